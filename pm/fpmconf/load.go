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
// section, whose name becomes c.Pool, with the directives pm.Directives lists. "$pool" in a value is replaced by the pool's name, as PHP-FPM
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
// applied then. A second pool section is an error: fpmshm runs one pool.
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
	l := loader{out: *c}
	l.out.Env, l.out.Caches, l.out.Notices = maps.Clone(c.Env), maps.Clone(c.Caches), slices.Clone(c.Notices) // nothing shared with c until all is well
	l.load(data, name)
	if err := errors.Join(l.errs...); err != nil {
		return err
	}
	*c = l.out
	return nil
}

// loader reads a configuration file and the files it includes.
type loader struct {
	out   pm.Config
	errs  []error
	pools int // pool sections seen in all the files
	depth int // of includes
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
		for _, k := range sec.Keys() {
			for _, value := range k.ValueWithShadows() { // a directive set twice: each in turn, the last wins
				e := &DirectiveError{File: name, Line: lines[secName+"\x00"+k.Name()], Section: secName, Key: k.Name()}
				switch {
				case secName == ini.DefaultSection:
					e.Section, e.Err = "", errors.New("outside of any section")
				case k.Name() == "include":
					e.Err = l.include(value, name)
				default:
					e.Err = l.apply(secName, k.Name(), value)
				}
				if e.Err != nil {
					l.errs = append(l.errs, e)
				}
			}
		}
		if secName != ini.DefaultSection && secName != "global" {
			l.pools++
			l.out.Pool = secName
			if l.pools > 1 {
				l.errs = append(l.errs, fmt.Errorf("%s: [%s]: a second pool: fpmshm runs one pool per master", name, secName))
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
		l.out.Notices = append(l.out.Notices, fmt.Sprintf("%s: nothing matches the include pattern %q", from, pattern))
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

// apply sets the directive key of the section secName, whose value is
// value, as pm's table of directives reads it.
func (l *loader) apply(secName, key, value string) error {
	section := pm.PoolSection
	if secName == "global" {
		section = pm.GlobalSection
	} else {
		value = strings.ReplaceAll(value, "$pool", secName)
	}
	d, ok := pm.LookupDirective(section, key)
	if !ok {
		return ErrUnknownDirective
	}
	return d.Set(&l.out, key, value)
}
