package pm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/ini.v1"

	"github.com/fpmshm/fpmshm/status"
)

// DirectiveError is a directive of a configuration file that is unknown or
// whose value is wrong.
type DirectiveError struct {
	File    string
	Line    int    // 1-based; 0 when unknown
	Section string // "global", or the pool's name
	Key     string
	Err     error
}

// Error returns "FILE:LINE: [SECTION] KEY: reason".
func (e *DirectiveError) Error() string {
	return fmt.Sprintf("%s:%d: [%s] %s: %v", e.File, e.Line, e.Section, e.Key, e.Err)
}

// Unwrap returns the reason, such as ErrUnknownDirective.
func (e *DirectiveError) Unwrap() error { return e.Err }

// ErrUnknownDirective is matched by the DirectiveError of a directive that
// fpmshm does not implement.
var ErrUnknownDirective = errors.New("unknown directive (not implemented by fpmshm)")

// LoadFile reads a php-fpm.conf-style file into c: an optional [global]
// section (pid, error_log, process_control_timeout, include) and one pool
// section, whose name becomes c.Pool, with the directives Config
// documents. "$pool" in a value is replaced by the pool's name, as PHP-FPM
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
func LoadFile(path string, c *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read pool file: %w", err)
	}
	return LoadINI(data, path, c)
}

// LoadINI is LoadFile on the file's contents; name is used in errors and
// to find included files.
func LoadINI(data []byte, name string, c *Config) error {
	l := loader{out: *c}
	l.out.Env, l.out.Notices = maps.Clone(c.Env), slices.Clone(c.Notices) // nothing shared with c until all is well
	l.load(data, name)
	if err := errors.Join(l.errs...); err != nil {
		return err
	}
	*c = l.out
	return nil
}

// loader reads a configuration file and the files it includes.
type loader struct {
	out   Config
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
				case secName == "global":
					e.Err = applyGlobal(&l.out, k.Name(), value)
				default:
					e.Err = applyPool(&l.out, k.Name(), strings.ReplaceAll(value, "$pool", secName))
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

// applyGlobal sets one directive of the [global] section.
func applyGlobal(c *Config, key, value string) (err error) {
	switch key {
	case "pid":
		c.PIDFile = value
	case "error_log":
		if value == "syslog" {
			return errors.New("syslog: fpmshm logs to a file or to the standard error")
		}
		c.ErrorLog = value
	case "process_control_timeout":
		c.ProcessControlTimeout, err = ParseDuration(value)
	default:
		return ErrUnknownDirective
	}
	return err
}

// applyPool sets one directive of the pool section.
func applyPool(c *Config, key, value string) error {
	var err error
	switch key {
	case "pm":
		c.PM, err = ParsePM(value)
	case "pm.max_children":
		c.MaxChildren, err = parseCount(value)
	case "pm.start_servers":
		c.StartServers, err = parseCount(value)
	case "pm.min_spare_servers":
		c.MinSpareServers, err = parseCount(value)
	case "pm.max_spare_servers":
		c.MaxSpareServers, err = parseCount(value)
	case "pm.max_requests":
		c.MaxRequests, err = parseCount(value)
	case "pm.max_spawn_rate":
		c.MaxSpawnRate, err = parseCount(value)
	case "pm.process_idle_timeout":
		c.ProcessIdleTimeout, err = ParseDuration(value)
	case "request_terminate_timeout":
		c.RequestTerminateTimeout, err = ParseDuration(value)
	case "request_first_byte_timeout":
		c.RequestFirstByteTimeout, err = ParseDuration(value)
	case "request_slowlog_timeout":
		c.RequestSlowlogTimeout, err = ParseDuration(value)
	case "request_max_header_bytes":
		c.RequestMaxHeaderBytes, err = ParseSize(value)
	case "listen":
		c.Listen = value
	case "listen.backlog":
		c.ListenBacklog, err = parseBacklog(value)
	case "listen.owner":
		c.ListenOwner = value
	case "listen.group":
		c.ListenGroup = value
	case "listen.mode":
		c.ListenMode, err = ParseMode(value)
	case "user":
		c.User = value
	case "group":
		c.Group = value
	case "clear_env":
		c.ClearEnv, err = parseBool(value)
	case "access.log":
		c.AccessLog = value
	case "access.format":
		c.AccessFormat = value
	case "slowlog":
		c.Slowlog = value
	case "pm.status_path":
		c.StatusPath = value
	case "pm.status_listen":
		c.StatusListen = value
	case "ping.path":
		c.PingPath = value
	case "ping.response":
		c.PingResponse = value
	case "status.version":
		c.StatusVersion, err = status.ParseVersion(value)
	default:
		if name, ok := strings.CutPrefix(key, "cache."); ok {
			return c.SetCache(name, value)
		}
		if name, ok := envName(key); ok {
			if c.Env == nil {
				c.Env = map[string]string{}
			}
			c.Env[name] = value
			return nil
		}
		if phpOnly(key) {
			c.Notices = append(c.Notices, fmt.Sprintf("%s: means something to PHP only; ignored", key))
			return nil
		}
		return ErrUnknownDirective
	}
	return err
}

// envName returns NAME of an env[NAME] directive.
func envName(key string) (string, bool) {
	name, ok := strings.CutPrefix(key, "env[")
	if name, ok = strings.CutSuffix(name, "]"); !ok || name == "" || strings.ContainsAny(name, "=[]") {
		return "", false
	}
	return name, true
}

// phpOnly reports whether key is a pool directive of PHP-FPM that only
// concerns the PHP interpreter (its ini settings, its backtraces, its
// script extensions), which a Go worker has no use for.
func phpOnly(key string) bool {
	for _, prefix := range []string{"php_value[", "php_flag[", "php_admin_value[", "php_admin_flag["} {
		if strings.HasPrefix(key, prefix) && strings.HasSuffix(key, "]") {
			return true
		}
	}
	switch key {
	case "security.limit_extensions", "request_slowlog_trace_depth", "catch_workers_output", "decorate_workers_output":
		return true
	}
	return false
}

// ParseSize parses a size in bytes as PHP's ini does: a whole number,
// optionally followed by K, M or G (in either case) for KiB, MiB or GiB.
func ParseSize(s string) (int, error) {
	n, ok := parseBytes(s, math.MaxInt32)
	if !ok {
		return 0, fmt.Errorf("%q is not a size in bytes below 2G (such as 1048576, 512K or 1M)", s)
	}
	return n, nil
}

// parseBytes parses a size as ParseSize does, up to most bytes.
func parseBytes(s string, most int64) (int, bool) {
	t := strings.TrimSpace(s)
	shift := 0
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
	}
	if shift > 0 {
		t = t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > most>>shift || n<<shift > math.MaxInt {
		return 0, false
	}
	return int(n << shift), true
}

// ParseMode parses listen.mode: octal permission bits, such as 0660.
func ParseMode(s string) (os.FileMode, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("%q is not a file mode (octal permission bits such as 0660)", s)
	}
	return os.FileMode(n), nil
}

// parseBool parses a yes/no directive as PHP's ini does: yes, on, true or
// 1; no, off, false, 0 or nothing.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "on", "true", "1":
		return true, nil
	case "no", "off", "false", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}

// ParsePM parses the pm directive: static, dynamic or ondemand.
func ParsePM(s string) (PM, error) {
	switch strings.TrimSpace(s) {
	case "static":
		return Static, nil
	case "dynamic":
		return Dynamic, nil
	case "ondemand":
		return Ondemand, nil
	}
	return 0, fmt.Errorf("%q is not static, dynamic or ondemand", s)
}

// ParseDuration parses a timeout as PHP-FPM does: a whole number with an
// optional unit s (the default), m, h or d: "30", "30s", "2m".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	unit := time.Second
	if s != "" {
		switch s[len(s)-1] {
		case 's':
			s = s[:len(s)-1]
		case 'm':
			s, unit = s[:len(s)-1], time.Minute
		case 'h':
			s, unit = s[:len(s)-1], time.Hour
		case 'd':
			s, unit = s[:len(s)-1], 24*time.Hour
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a timeout (a whole number with an optional s, m, h or d)", s)
	}
	return time.Duration(n) * unit, nil
}

// parseCount parses a non-negative whole number.
func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative whole number", s)
	}
	return n, nil
}

// parseBacklog parses listen.backlog; -1 means the system's maximum, as
// in PHP-FPM.
func parseBacklog(s string) (int, error) {
	if strings.TrimSpace(s) == "-1" {
		return 65535, nil
	}
	n, err := parseCount(s)
	if err == nil && n == 0 {
		err = fmt.Errorf("%q: the backlog must be positive", s)
	}
	return n, err
}

// keyLines maps "section\x00key" to the line where the key is first set,
// for the error messages (the INI parser does not keep lines).
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	section := ini.DefaultSection
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			if end := strings.IndexByte(line, ']'); end > 0 {
				section = strings.TrimSpace(line[1:end])
			}
			continue
		}
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if eq := strings.IndexByte(line, '='); eq > 0 {
			id := section + "\x00" + strings.TrimSpace(line[:eq])
			if _, seen := lines[id]; !seen {
				lines[id] = n
			}
		}
	}
	return lines
}
