package fpmconf

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/ini.v1"

	"github.com/fpmshm/fpmshm/pm"
)

// LoadFile reads a php-fpm.conf-style file into c: an optional [global]
// section (pid, error_log, process_control_timeout, include) and one pool
// section, whose name becomes c.Pool, with the directives pm.Directives
// lists. "$pool" in a value is replaced by the pool's name, as PHP-FPM
// does. include = PATTERN reads the files the glob pattern matches
// (relative to the including file's directory) in their place, so that
// php-fpm.conf and its pool.d/*.conf load together. Directives set in the
// files override c's fields; the others are kept. PHP-FPM's directives
// that only concern the PHP interpreter (php_value[...],
// php_admin_flag[...], security.limit_extensions, ...) are accepted and
// added to c.Notices as ignored.
//
// Every unknown directive and every bad value is reported, each as a
// *DirectiveError with its file and line, joined in one error; nothing is
// applied then. A second pool section is an error: LoadPoolsFile reads
// several.
func LoadFile(path string, c *pm.Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read pool file: %w", err)
	}
	return LoadINI(data, path, c)
}

// LoadINI is LoadFile on the file's contents; name is used in errors and
// to find included files.
func LoadINI(data []byte, name string, c *pm.Config) error {
	l := newLoader(*c, true)
	l.load(data, name)
	pools, err := l.result()
	if err != nil {
		return err
	}
	*c = pools[0]
	return nil
}

// LoadPoolsFile reads a php-fpm.conf-style file with any number of pool
// sections, as php-fpm.conf and its pool.d/*.conf: a pm.Config for each
// pool, in the order of their first sections, for pm.RunPools. Each pool
// starts from base (with its own copies of base's maps), takes its
// section's directives and every [global] directive, wherever in the
// files it is set (they are the master's, one for all pools). The notices
// of the files themselves (an include matching nothing) are the first
// pool's. A section that appears twice, in one file or two, continues the
// same pool. Without any pool section, the one pool is base with the
// [global] directives. Errors are reported as LoadFile reports them.
func LoadPoolsFile(path string, base pm.Config) ([]pm.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration file: %w", err)
	}
	l := newLoader(base, false)
	l.load(data, path)
	return l.result()
}

// loader reads a configuration file and the files it includes.
type loader struct {
	base    pm.Config
	onePool bool         // a second pool section is an error
	global  pm.Config    // base with the [global] directives, which are checked there once
	globals []setting    // the [global] directives, in order, set on each pool at the end
	pools   []*pm.Config // in the order of their first sections
	notices []string     // of the files themselves
	errs    []error
	depth   int // of includes
}

// setting is one directive of a file, as written.
type setting struct{ key, value string }

func newLoader(base pm.Config, onePool bool) *loader {
	return &loader{base: base, onePool: onePool, global: clone(base)}
}

// clone is c with its own copies of its maps and notices: nothing is
// shared with the caller's Config until all is well.
func clone(c pm.Config) pm.Config {
	c.Env, c.Caches, c.Notices = maps.Clone(c.Env), maps.Clone(c.Caches), slices.Clone(c.Notices)
	return c
}

// result is the pools read, each with the [global] directives, or the
// errors found.
func (l *loader) result() ([]pm.Config, error) {
	if err := errors.Join(l.errs...); err != nil {
		return nil, err
	}
	if len(l.pools) == 0 {
		l.pools = append(l.pools, ptr(clone(l.base)))
	}
	l.pools[0].Notices = append(l.pools[0].Notices, l.notices...)
	out := make([]pm.Config, len(l.pools))
	for i, c := range l.pools {
		for _, s := range l.globals {
			d, _ := pm.LookupDirective(pm.GlobalSection, s.key)
			d.Set(c, s.key, s.value) // it was set without error on l.global
		}
		out[i] = *c
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// pool returns the pool of section name, made from base on its first
// section.
func (l *loader) pool(name, file string) *pm.Config {
	for _, c := range l.pools {
		if c.Pool == name {
			return c
		}
	}
	if l.onePool && len(l.pools) > 0 {
		l.errs = append(l.errs, fmt.Errorf("%s: [%s]: a second pool: LoadFile reads one pool; fpmshm serve and LoadPoolsFile read several", file, name))
	}
	c := clone(l.base)
	c.Pool = name
	l.pools = append(l.pools, &c)
	return &c
}

// maxIncludeDepth bounds includes of includes, which may otherwise loop.
const maxIncludeDepth = 8

// load applies the file name, whose contents are data.
func (l *loader) load(data []byte, name string) {
	f, err := ini.LoadSources(ini.LoadOptions{SpaceBeforeInlineComment: true, UnescapeValueDoubleQuotes: true, AllowShadows: true}, data)
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("parse %s: %w", name, err))
		return
	}
	lines := keyLines(data)
	for _, sec := range f.Sections() {
		secName := sec.Name()
		var pool *pm.Config
		if secName != ini.DefaultSection && secName != "global" {
			pool = l.pool(secName, name)
		}
		for _, k := range sec.Keys() {
			for _, value := range k.ValueWithShadows() { // a directive set twice: each in turn, the last wins
				e := &DirectiveError{File: name, Line: lines[secName+"\x00"+k.Name()], Section: secName, Key: k.Name()}
				switch {
				case secName == ini.DefaultSection:
					e.Section, e.Err = "", errors.New("outside of any section")
				case k.Name() == "include":
					e.Err = l.include(value, name)
				case pool == nil:
					e.Err = l.setGlobal(k.Name(), value)
				default:
					e.Err = setPool(pool, secName, k.Name(), value)
				}
				if e.Err != nil {
					l.errs = append(l.errs, e)
				}
			}
		}
	}
}

// include loads the files pattern matches, in order, as PHP-FPM's include
// directive does; a pattern that matches nothing is a notice, as there.
func (l *loader) include(pattern, from string) error {
	if l.depth >= maxIncludeDepth {
		return fmt.Errorf("includes nest deeper than %d files", maxIncludeDepth)
	}
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(from), pattern)
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		return fmt.Errorf("pattern %q: %w", pattern, err)
	}
	if len(files) == 0 {
		l.notices = append(l.notices, fmt.Sprintf("%s: nothing matches the include pattern %q", from, pattern))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read included file: %w", err)
		}
		l.depth++
		l.load(data, file)
		l.depth--
	}
	return nil
}

// setGlobal sets the [global] directive key to value, checking it on
// l.global and keeping it for every pool.
func (l *loader) setGlobal(key, value string) error {
	d, ok := pm.LookupDirective(pm.GlobalSection, key)
	if !ok {
		return ErrUnknownDirective
	}
	if err := d.Set(&l.global, key, value); err != nil {
		return err
	}
	l.globals = append(l.globals, setting{key, value})
	return nil
}

// setPool sets the directive key of the pool section secName, whose value
// is value, in c, as pm's table of directives reads it.
func setPool(c *pm.Config, secName, key, value string) error {
	d, ok := pm.LookupDirective(pm.PoolSection, key)
	if !ok {
		return ErrUnknownDirective
	}
	return d.Set(c, key, strings.ReplaceAll(value, "$pool", secName))
}
