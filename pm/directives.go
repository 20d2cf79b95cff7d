package pm

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fpmshm/fpmshm/pm/accesslog"
	"github.com/fpmshm/fpmshm/pm/errorlog"
)

// Section is where a directive is set in a php-fpm.conf file.
type Section uint8

// The sections of a php-fpm.conf file.
const (
	// PoolSection is a pool's own section, such as [www]: the directive
	// is set for that pool.
	PoolSection Section = iota
	// GlobalSection is the [global] section: the directive is set once,
	// for the master.
	GlobalSection
	// NoSection marks a setting of fpmshm's own that php-fpm.conf has no
	// directive for: only a program or a command-line flag sets it.
	NoSection
)

// A Directive is one setting of fpmshm, named as in php-fpm.conf: the
// section that sets it, the value a zero field stands for, whether a
// reload can change it, how its text is parsed into its Config field and
// which values of that field are valid. Directives lists them all, each
// once: php-fpm.conf files (package pm/fpmconf), command-line flags
// (BindFlags), Config.SetDefaults, Config.Validate and reloads read them
// there.
type Directive struct {
	// Name is the directive's name, as in php-fpm.conf. In a pattern,
	// NAME, in capitals, stands for a name the file chooses: "env[NAME]"
	// is matched by env[PATH], "cache.NAME" by cache.pages.
	Name    string
	Section Section
	// Default is the value a zero field stands for, as the directive
	// would set it ("511", "10s"); SetDefaults sets it. Empty when zero
	// is the default, or when there is none.
	Default string
	// Restart is true for a setting a running master cannot change: a
	// reload keeps its running value and logs that it did.
	Restart bool
	// Usage says what the directive sets, in one line, for a flag's help;
	// a word in `backquotes` names its value there.
	Usage string

	// value reads the directive into its Config field and writes it
	// back; nil for a directive of PHP-FPM's that fpmshm accepts and
	// ignores, as it concerns only the PHP interpreter.
	value value
	// ignored says why fpmshm ignores a directive without value, when
	// it is not that only PHP reads it.
	ignored string
	// flag names the directive's flag when its name is another's, in the
	// other section ("master.rlimit_files" for [global] rlimit_files).
	flag string
}

// DefaultPool is the name of a pool that sets none.
const DefaultPool = "www"

// maxChildrenLimit bounds pm.max_children: each is a process and a slot.
const maxChildrenLimit = 65536

// directives is the table of every directive fpmshm knows. Adding one is
// adding its line here (and its field to Config).
var directives = []Directive{
	// [global]
	{Name: "pid", Section: GlobalSection, Restart: true, value: text(func(c *Config) *string { return &c.PIDFile }),
		Usage: "write the master's pid to this `file` (empty: none)"},
	{Name: "error_log", Section: GlobalSection, value: field[string]{func(c *Config) *string { return &c.ErrorLog }, parseErrorLog, identity, nil},
		Usage: "send the master's and workers' standard error, and the error log, to this `file`, or syslog (empty: keep the standard error)"},
	{Name: "process_control_timeout", Section: GlobalSection, value: duration(func(c *Config) *time.Duration { return &c.ProcessControlTimeout }),
		Usage: "SIGTERM a worker told to stop and still finishing its request after this `timeout` (0: wait)"},
	{Name: "systemd_interval", Section: GlobalSection, Default: "10s", Restart: true, value: systemdInterval(),
		Usage: "under systemd (Type=notify), send php-fpm's status line every `interval` (0: never)"},

	// [global]: the error log, php-fpm's lines by default.
	{Name: "log_level", Section: GlobalSection, Default: "notice", Restart: true, value: field[slog.Level]{func(c *Config) *slog.Level { return &c.LogLevel }, parseLogLevel, formatLogLevel, validLogLevel},
		Usage: "the error log's least `level`: alert, error, warning, notice or debug"},
	{Name: "log_limit", Section: GlobalSection, Default: "1024", Restart: true, value: count(func(c *Config) *int { return &c.LogLimit }).valid(atLeast(errorlog.MinLimit)),
		Usage: "the longest error-log line, in `bytes`, that a worker's output is wrapped at"},
	{Name: "log_format", Section: GlobalSection, Default: LogFormatFPM, Restart: true, value: text(func(c *Config) *string { return &c.LogFormat }).valid(validLogFormat),
		Usage: "the error log's `format`: fpm (php-fpm's lines), text or json (slog's); fpmshm's own"},
	{Name: "syslog.facility", Section: GlobalSection, Default: "daemon", Restart: true, value: text(func(c *Config) *string { return &c.SyslogFacility }).valid(validFacility),
		Usage: "with error_log = syslog, the `facility`: daemon, user, local0 ... local7, ..."},
	{Name: "syslog.ident", Section: GlobalSection, Default: errorlog.DefaultIdent, Restart: true, value: text(func(c *Config) *string { return &c.SyslogIdent }),
		Usage: "with error_log = syslog, the `name` each line is sent under (php-fpm's, so that rules matching it keep working)"},

	// fpmshm's own settings, which php-fpm.conf has no directive for.
	{Name: "pool", Section: NoSection, Default: DefaultPool, Restart: true, value: text(func(c *Config) *string { return &c.Pool }),
		Usage: "the pool's `name` (in php-fpm.conf, its section's)"},
	{Name: "http", Section: NoSection, Restart: true, value: text(func(c *Config) *string { return &c.HTTPListen }),
		Usage: "plain HTTP `socket`, in listen's forms (empty: none)"},
	{Name: "process_control_timeout.terminate", Section: NoSection, value: boolean(func(c *Config) *bool { return &c.ProcessControlTerminate }),
		Usage: "with process_control_timeout 0, SIGTERM a worker told to stop at once, as php-fpm does, rather than wait for its request"},
	{Name: "no-scoreboard", Section: NoSection, Restart: true, value: boolean(func(c *Config) *bool { return &c.NoScoreboard }),
		Usage: "turn the workers' scoreboard updates off (pm static only; for measuring their cost)"},

	// A pool's section.
	{Name: "pm", Default: "dynamic", Restart: true, value: field[PM]{func(c *Config) *PM { return &c.PM }, ParsePM, PM.String, validPM},
		Usage: "process `manager`: static, dynamic or ondemand"},
	{Name: "pm.max_children", Restart: true, value: count(func(c *Config) *int { return &c.MaxChildren }).valid(between(1, maxChildrenLimit)),
		Usage: "the most `workers` at once"},
	{Name: "pm.start_servers", value: count(func(c *Config) *int { return &c.StartServers }),
		Usage: "`workers` at start (dynamic; 0: min + (max - min) / 2)"},
	{Name: "pm.min_spare_servers", value: count(func(c *Config) *int { return &c.MinSpareServers }),
		Usage: "fewest idle `workers` (dynamic)"},
	{Name: "pm.max_spare_servers", value: count(func(c *Config) *int { return &c.MaxSpareServers }),
		Usage: "most idle `workers` (dynamic)"},
	{Name: "pm.max_spawn_rate", Default: "32", value: count(func(c *Config) *int { return &c.MaxSpawnRate }).valid(atLeast(1)),
		Usage: "most `workers` spawned at once (dynamic)"},
	{Name: "pm.process_idle_timeout", Default: "10s", value: duration(func(c *Config) *time.Duration { return &c.ProcessIdleTimeout }),
		Usage: "stop an ondemand worker idle for longer than this `timeout`"},
	{Name: "pm.max_requests", value: count(func(c *Config) *int { return &c.MaxRequests }).valid(atLeast(0)),
		Usage: "`requests` before a worker is replaced (0: never)"},
	{Name: "request_terminate_timeout", value: duration(func(c *Config) *time.Duration { return &c.RequestTerminateTimeout }),
		Usage: "kill a worker still serving one request after this `timeout` (0: off)"},
	{Name: "request_first_byte_timeout", Default: "5s", value: duration(func(c *Config) *time.Duration { return &c.RequestFirstByteTimeout }),
		Usage: "close a connection that sends no request within this `timeout`"},
	{Name: "request_slowlog_timeout", value: duration(func(c *Config) *time.Duration { return &c.RequestSlowlogTimeout }),
		Usage: "count and log requests running past this `timeout` (0: off)"},
	{Name: "request_max_header_bytes", Default: "1M", value: field[int]{func(c *Config) *int { return &c.RequestMaxHeaderBytes }, ParseSize, formatBytes, atLeast(0)},
		Usage: "most bytes of FastCGI parameters one request may send: a `size` such as 1048576, 512K or 1M"},
	{Name: "listen", Restart: true, value: text(func(c *Config) *string { return &c.Listen }),
		Usage: "FastCGI `socket`: host:port, port or unix socket path (empty: none)"},
	{Name: "listen.backlog", Default: "-1", Restart: true, value: field[int]{func(c *Config) *int { return &c.ListenBacklog }, parseBacklog, formatInt, validBacklog},
		Usage: "listen queue `size` (-1: the system's maximum, somaxconn)"},
	{Name: "listen.owner", Restart: true, value: text(func(c *Config) *string { return &c.ListenOwner }),
		Usage: "`user` owning a unix socket listener"},
	{Name: "listen.group", Restart: true, value: text(func(c *Config) *string { return &c.ListenGroup }),
		Usage: "`group` of a unix socket listener"},
	{Name: "listen.mode", Default: "0660", Restart: true, value: field[os.FileMode]{func(c *Config) *os.FileMode { return &c.ListenMode }, ParseMode, formatMode, validMode},
		Usage: "`permissions` of a unix socket listener, in octal"},
	{Name: "user", value: text(func(c *Config) *string { return &c.User }),
		Usage: "run the workers as this `user` (master running as root)"},
	{Name: "group", value: text(func(c *Config) *string { return &c.Group }),
		Usage: "run the workers with this `group` (default: user's)"},
	{Name: "env[NAME]", value: envValue{},
		Usage: "set a variable in the workers' environment (a VALUE of $NAME is the master's NAME); repeatable: `NAME=VALUE`"},
	{Name: "clear_env", value: boolean(func(c *Config) *bool { return &c.ClearEnv }),
		Usage: "start the workers without the master's environment"},
	{Name: "access.log", value: text(func(c *Config) *string { return &c.AccessLog }),
		Usage: "log each request to this `file` (empty: none)"},
	{Name: "access.format", Default: accesslog.DefaultFormat, value: text(func(c *Config) *string { return &c.AccessFormat }),
		Usage: "access log `format`, PHP-FPM's"},
	{Name: "slowlog", value: text(func(c *Config) *string { return &c.Slowlog }),
		Usage: "write the stacks of a worker past request_slowlog_timeout to this `file`"},
	{Name: "pm.status_path", value: text(func(c *Config) *string { return &c.StatusPath }),
		Usage: "status page `path` (empty: off)"},
	{Name: "pm.status_listen", Restart: true, value: text(func(c *Config) *string { return &c.StatusListen }),
		Usage: "FastCGI `socket` on which the master answers status and ping (empty: none)"},
	{Name: "ping.path", value: text(func(c *Config) *string { return &c.PingPath }),
		Usage: "ping `path` (empty: off)"},
	{Name: "ping.response", Default: "pong", value: text(func(c *Config) *string { return &c.PingResponse }),
		Usage: "ping `response`"},
	{Name: "status.version", Default: "8.4", value: statusVersion(),
		Usage: "the php-fpm `release` whose fields the status page shows: 8.2, 8.3 or 8.4"},
	{Name: "cache.NAME", Restart: true, value: cachesValue{},
		Usage: "declare a shared cache of SIZE bytes (k, M, G) that evicts or refuses when full; size 0 removes one; repeatable: `NAME=SIZE[,evict|refuse]`"},

	// The process limits and the workers' output, as PHP-FPM has them.
	{Name: "process.max", Section: GlobalSection, value: count(func(c *Config) *int { return &c.ProcessMax }),
		Usage: "the most `workers` the master runs at once, over every pool (0: pm.max_children alone)"},
	{Name: "emergency_restart_threshold", Section: GlobalSection, value: count(func(c *Config) *int { return &c.EmergencyRestartThreshold }),
		Usage: "reload when this many `workers` crash within emergency_restart_interval (0: off)"},
	{Name: "emergency_restart_interval", Section: GlobalSection, value: duration(func(c *Config) *time.Duration { return &c.EmergencyRestartInterval }),
		Usage: "the `interval` emergency_restart_threshold counts crashes in (0: off)"},
	{Name: "rlimit_files", Section: GlobalSection, Restart: true, flag: "master.rlimit_files", value: count(func(c *Config) *int { return &c.MasterRlimitFiles }),
		Usage: "the master's limit of open `files` (RLIMIT_NOFILE; 0: the system's), which workers inherit"},
	{Name: "rlimit_core", Section: GlobalSection, Restart: true, flag: "master.rlimit_core", value: field[string]{func(c *Config) *string { return &c.MasterRlimitCore }, parseRlimitCore, identity, nil},
		Usage: "the master's largest core dump, in `bytes` or unlimited (RLIMIT_CORE; empty: the system's)"},
	{Name: "process.priority", Section: GlobalSection, Restart: true, flag: "master.process.priority", value: field[string]{func(c *Config) *string { return &c.MasterProcessPriority }, parsePriority, identity, nil},
		Usage: "the master's nice `value`, -19 to 20 (empty: as started; master running as root)"},
	{Name: "daemonize", Section: GlobalSection, ignored: "fpmshm stays in the foreground, under its supervisor",
		Usage: "accepted and ignored: fpmshm stays in the foreground"},
	{Name: "listen.allowed_clients", value: field[string]{func(c *Config) *string { return &c.ListenAllowedClients }, parseAllowedClients, identity, nil},
		Usage: "accept TCP connections from these `addresses` only, comma-separated IPv4 and IPv6 (empty: any)"},
	{Name: "catch_workers_output", value: boolean(func(c *Config) *bool { return &c.CatchWorkersOutput }),
		Usage: "log the lines the workers write to their standard output and error (otherwise discarded)"},
	{Name: "decorate_workers_output", value: field[bool]{func(c *Config) *bool { return &c.UndecoratedWorkersOutput }, parseNotBool, formatNotBool, nil},
		Usage: "prefix each line caught from a worker with its pool, pid and stream (yes, the default, or no)"},
	{Name: "rlimit_files", value: count(func(c *Config) *int { return &c.RlimitFiles }),
		Usage: "the workers' limit of open `files` (RLIMIT_NOFILE; 0: the system's)"},
	{Name: "rlimit_core", value: field[string]{func(c *Config) *string { return &c.RlimitCore }, parseRlimitCore, identity, nil},
		Usage: "the workers' largest core dump, in `bytes` or unlimited (RLIMIT_CORE; empty: the system's)"},
	{Name: "process.priority", value: field[string]{func(c *Config) *string { return &c.ProcessPriority }, parsePriority, identity, nil},
		Usage: "the workers' nice `value`, -19 to 20 (empty: the master's; master running as root)"},
	{Name: "request_terminate_timeout_track_finished", value: boolean(func(c *Config) *bool { return &c.RequestTerminateTimeoutTrackFinished }),
		Usage: "apply request_terminate_timeout also once the response is complete (the Finishing stage)"},

	// PHP-FPM's directives that only concern the PHP interpreter (its ini
	// settings, its backtraces, its script extensions): accepted, with a
	// notice, and ignored.
	{Name: "php_value[NAME]"},
	{Name: "php_flag[NAME]"},
	{Name: "php_admin_value[NAME]"},
	{Name: "php_admin_flag[NAME]"},
	{Name: "security.limit_extensions"},
	{Name: "request_slowlog_trace_depth"},
}

// Directives returns the directives fpmshm knows, each once.
func Directives() []Directive { return slices.Clone(directives) }

// Flag is the directive's command-line flag (BindFlags): its name; for a
// pattern, what precedes NAME ("cache" for cache.NAME); for a [global]
// directive whose name a pool's directive has too, its own name
// ("master.rlimit_files").
func (d Directive) Flag() string { return flagName(&d) }

// LookupDirective returns the directive of section whose name, or
// pattern, key matches.
func LookupDirective(section Section, key string) (Directive, bool) {
	for _, d := range directives {
		if _, ok := d.match(key); ok && d.Section == section {
			return d, true
		}
	}
	return Directive{}, false
}

// Set sets the directive key, the directive's name or one its pattern
// matches, to value in c, parsed as PHP-FPM parses it. A directive fpmshm
// ignores adds a notice to c.Notices.
func (d Directive) Set(c *Config, key, value string) error {
	name, ok := d.match(key)
	if !ok {
		return fmt.Errorf("%s is not the directive %s", key, d.Name)
	}
	if d.value == nil {
		why := d.ignored
		if why == "" {
			why = "means something to PHP only"
		}
		c.Notices = append(c.Notices, fmt.Sprintf("%s: %s; ignored", key, why))
		return nil
	}
	return d.value.set(c, name, value)
}

// Ignored reports whether fpmshm accepts the directive and ignores it.
func (d Directive) Ignored() bool { return d.value == nil }

// match reports whether key is the directive, and returns the NAME it
// gives a pattern: 1 byte or more, with no '=', '[' or ']'.
func (d *Directive) match(key string) (name string, ok bool) {
	prefix, suffix, pattern := strings.Cut(d.Name, "NAME")
	if !pattern {
		return "", key == d.Name
	}
	name, ok = strings.CutPrefix(key, prefix)
	if !ok {
		return "", false
	}
	if name, ok = strings.CutSuffix(name, suffix); !ok || name == "" || strings.ContainsAny(name, "=[]") {
		return "", false
	}
	return name, true
}

// pattern reports whether the directive's name is a pattern.
func (d *Directive) pattern() bool { return strings.Contains(d.Name, "NAME") }
