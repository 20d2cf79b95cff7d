package pm

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/fpmshm/fpmshm/pm/accesslog"
	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status"
)

// PM is the process manager mode of a pool (the pm directive), numbered as
// PHP-FPM and the scoreboard number it. It is the scoreboard's type under
// pm's name so that a program configuring a pool (Config{PM: pm.Dynamic})
// need not import package scoreboard, whose readers know it by that name.
type PM = scoreboard.PM

// The process manager modes, as pm = static | dynamic | ondemand.
const (
	Static   = scoreboard.Static
	Dynamic  = scoreboard.Dynamic
	Ondemand = scoreboard.Ondemand
)

// Config is one pool: PHP-FPM's pool directives that fpmshm implements,
// plus the settings of the Go side. The zero value of each field means
// PHP-FPM's default where it has one; see SetDefaults.
type Config struct {
	Pool string // the pool's name ([www]); "www" when empty
	PM   PM     // pm: Static, Dynamic or Ondemand; Dynamic when zero

	MaxChildren     int // pm.max_children: the most workers at once
	StartServers    int // pm.start_servers (dynamic): min + (max - min) / 2 when 0
	MinSpareServers int // pm.min_spare_servers (dynamic)
	MaxSpareServers int // pm.max_spare_servers (dynamic)
	// MaxSpawnRate is pm.max_spawn_rate (dynamic): the most workers spawned
	// at once when idle ones run short, the rate doubling each second of
	// shortage up to it; 32 when zero.
	MaxSpawnRate int

	// ProcessIdleTimeout is pm.process_idle_timeout (ondemand): a worker
	// idle longer than this is stopped; 10s when zero.
	ProcessIdleTimeout time.Duration
	// MaxRequests is pm.max_requests: a worker that has served this many
	// requests exits and is replaced; 0 means never.
	MaxRequests int
	// RequestTerminateTimeout is request_terminate_timeout: a worker still
	// serving one request after this long is killed (and replaced); 0 is off.
	RequestTerminateTimeout time.Duration
	// RequestFirstByteTimeout is request_first_byte_timeout: how long a
	// worker waits for a request on a connection, a new one or one kept
	// open (FCGI_KEEP_CONN) after its last request, before it closes it;
	// 5s when zero. The worker counts as busy meanwhile ("Reading
	// headers"), so dynamic and ondemand pools spawn for other clients.
	// Every read from the web server waits at most this long, so it also
	// bounds a pause in the middle of a request's parameters or body.
	RequestFirstByteTimeout time.Duration
	// ProcessControlTimeout is [global] process_control_timeout: how long
	// a worker told to stop (by a reload, a graceful stop, or for being
	// spare or idle) may take to finish its request; then it gets SIGTERM,
	// and SIGKILL a second later. Zero waits however long the request
	// takes (PHP-FPM, with zero, sends SIGTERM at once: see
	// ProcessControlTerminate).
	ProcessControlTimeout time.Duration
	// ProcessControlTerminate gives a zero ProcessControlTimeout PHP-FPM's
	// meaning: a worker told to stop gets SIGTERM at once (its request's
	// context is cancelled), and SIGKILL a second later if it is still
	// there, where fpmshm otherwise waits for its request.
	ProcessControlTerminate bool
	// RequestSlowlogTimeout is request_slowlog_timeout: a request running
	// longer than this is counted in "slow requests" and logged; 0 is off.
	RequestSlowlogTimeout time.Duration
	// RequestMaxHeaderBytes is request_max_header_bytes: the most bytes of
	// FastCGI parameters (FCGI_PARAMS: the CGI variables and the HTTP
	// headers) one request may send. A worker answers a request past it
	// with 431 Request Header Fields Too Large and closes the connection,
	// reading no more of it. 1 MiB when zero, as net/http's MaxHeaderBytes.
	RequestMaxHeaderBytes int

	// Listen is the FastCGI socket (listen): "host:port", "port" (all
	// addresses) or the path of a unix socket (containing a '/'). Empty
	// means no FastCGI listener; Listen and HTTPListen cannot both be empty.
	Listen string
	// HTTPListen, when set, is a second socket, in the same forms, on which
	// the workers serve plain HTTP/1.1 the same way: one request at a time,
	// one request per connection.
	HTTPListen string
	// ListenBacklog is listen.backlog: the size of the listen queue; -1,
	// and so zero, is the system's maximum (on Linux, somaxconn), as
	// PHP-FPM's default on Linux.
	ListenBacklog int
	// ListenOwner and ListenGroup are listen.owner and listen.group: the
	// user and group, by name or number, a unix socket listener is given
	// (the master's when empty). ListenMode is listen.mode, its
	// permissions: 0660 when zero, as in PHP-FPM.
	ListenOwner, ListenGroup string
	ListenMode               os.FileMode

	// User and Group are user and group: the account the workers run as,
	// by name or number (Group defaults to User's primary group). They
	// take effect when the master runs as root; otherwise they are ignored
	// with a notice, as in PHP-FPM. The program must then be readable and
	// executable by that user, since the workers are that program.
	User, Group string
	// Env is env[NAME]: variables set in the workers' environment; a value
	// "$NAME" is the master's variable NAME, as in PHP-FPM. ClearEnv is
	// clear_env: the workers get only Env (and what the hand-over needs),
	// not the master's environment. Unlike PHP-FPM, whose PHP children need
	// little of it, the default is to keep it: a Go program often reads its
	// settings there.
	Env      map[string]string
	ClearEnv bool

	// AccessLog is access.log: the file each request is logged to, one line
	// each, in AccessFormat (access.format; PHP-FPM's default,
	// "%R - %u %t \"%m %r\" %s", when empty). Empty is off. A request's
	// CPU (%C) and memory (%M) are measured as for the scoreboard: 0 with
	// NoScoreboard.
	AccessLog, AccessFormat string

	// Slowlog is slowlog: the file where a worker serving a request past
	// request_slowlog_timeout writes, when the master asks it (SIGUSR1),
	// PHP-FPM's header for it and the stacks of all its goroutines, where
	// PHP-FPM writes the script's backtrace. Empty: slow requests are only
	// counted and logged.
	Slowlog string

	StatusPath string // pm.status_path: the status page's SCRIPT_NAME; empty is off
	// StatusListen is pm.status_listen: a FastCGI socket, in Listen's
	// forms, on which the master itself answers the status page and ping,
	// so that they stay readable when every worker is busy. Empty is none.
	StatusListen string
	PingPath     string // ping.path; empty is off
	PingResponse string // ping.response; "pong" when empty
	// StatusVersion is the php-fpm release whose fields the status page
	// shows: status.PHP82 for php-fpm 8.2 and 8.3, status.PHP84 (the zero
	// value) for 8.4, which adds the pool's memory peak. The master's page
	// on pm.status_listen keeps, as its path does, the value it started with.
	StatusVersion status.Version

	// PIDFile, when set, is where the master writes its process id
	// (php-fpm.conf's pid); it is removed when the master exits.
	PIDFile string
	// ErrorLog is [global] error_log: a file the master sends its standard
	// error to, and with it its workers' (which they inherit, or whose
	// lines it logs: see CatchWorkersOutput), opened for appending as
	// PHP-FPM opens it and reopened on SIGUSR1. Empty keeps the standard
	// error. ErrorLogSyslog sends the error log to syslog
	// instead, leaving the standard error as it is.
	ErrorLog string

	// SystemdInterval is [global] systemd_interval: under systemd with
	// Type=notify ($NOTIFY_SOCKET), how often the master sends php-fpm's
	// status line ("Processes active: 0, idle: 2, Requests: 3, slow: 0,
	// Traffic: 0.30req/sec"); 10s when zero, never when negative (php-fpm's
	// systemd_interval = 0), its counts those of every pool (RunPools)
	// summed. The master says READY=1 once every pool listens and has
	// started its workers, either way.
	SystemdInterval time.Duration

	// LogLevel, LogLimit, LogFormat, SyslogFacility and SyslogIdent are
	// [global] log_level, log_limit, log_format, syslog.facility and
	// syslog.ident: the error log Run writes when Logger is nil (see
	// NewLogger). LogLevel is one of errorlog's levels, the zero value
	// being notice; LogLimit is 1024 bytes when zero; LogFormat is
	// LogFormatFPM (php-fpm's lines, when empty), LogFormatText or
	// LogFormatJSON; the syslog settings, for ErrorLog = ErrorLogSyslog,
	// are "daemon" and "php-fpm" when empty, as in php-fpm.
	LogLevel                    slog.Level
	LogLimit                    int
	LogFormat                   string
	SyslogFacility, SyslogIdent string

	// ProcessMax is [global] process.max: the most workers the master
	// runs at once, in all its pools (RunPools), those told to stop
	// included; 0 leaves pm.max_children
	// alone. As in PHP-FPM, pm.max_children may be larger: the master then
	// starts no more than process.max, and logs PHP-FPM's warning once
	// each time it holds a worker back.
	ProcessMax int
	// EmergencyRestartThreshold and EmergencyRestartInterval are [global]
	// emergency_restart_threshold and emergency_restart_interval: when
	// that many workers crash within the interval, in any of its pools,
	// the master reloads every pool (as on SIGUSR2); either zero is off.
	// A crash is what PHP-FPM counts, an end on SIGSEGV or SIGBUS, and what
	// a Go worker does instead: the runtime turns those signals, and every
	// fatal error, into exit status 2.
	EmergencyRestartThreshold int
	EmergencyRestartInterval  time.Duration

	// ListenAllowedClients is listen.allowed_clients: the IPv4 and IPv6
	// addresses, separated by commas, from which the workers take TCP
	// connections (an IPv4 address also matches its IPv4-mapped IPv6
	// form). A worker closes a connection from any other address, logging
	// PHP-FPM's "Connection disallowed" error. Empty allows every client;
	// unix socket connections are never checked.
	ListenAllowedClients string

	// CatchWorkersOutput is catch_workers_output: the lines the workers
	// write to their standard output and error (their log among them) go
	// through pipes to the master, which logs each, as PHP-FPM does, as a
	// warning "[pool www] child 123 said into stderr: "...""; a line
	// longer than PHP-FPM's log_limit (1024 bytes for the whole line) is
	// split. Without it the workers write to the master's standard output
	// and error, so their own log lines reach the error log as a php-fpm
	// child's do (php-fpm sends a child's standard output and error, where
	// PHP's own output would go, to /dev/null; a Go worker's log is its
	// standard error). UndecoratedWorkersOutput is
	// decorate_workers_output = no: the master writes each caught line
	// as it is, up to 1023 bytes, with no prefix.
	CatchWorkersOutput       bool
	UndecoratedWorkersOutput bool

	// RlimitFiles is rlimit_files: the workers' RLIMIT_NOFILE (soft and
	// hard); 0 leaves the master's. RlimitCore is rlimit_core: their
	// RLIMIT_CORE, a number of bytes or "unlimited"; empty leaves the
	// master's. The master sets them on each worker it starts (Linux);
	// raising one past the master's hard limit needs root.
	RlimitFiles int
	RlimitCore  string
	// ProcessPriority is process.priority: the workers' nice value, -19
	// to 20, as text; empty leaves the master's. As in PHP-FPM it takes a
	// master running as root, and is ignored with a notice otherwise.
	ProcessPriority string
	// MasterRlimitFiles, MasterRlimitCore and MasterProcessPriority are
	// [global] rlimit_files, rlimit_core and process.priority: the same
	// limits, which PHP-FPM's [global] sets on the master itself. The
	// master takes them before it opens anything, so the workers it
	// starts inherit them unless their pool sets its own.
	MasterRlimitFiles     int
	MasterRlimitCore      string
	MasterProcessPriority string
	// RequestTerminateTimeoutTrackFinished is
	// request_terminate_timeout_track_finished: request_terminate_timeout
	// also applies to a request whose response is complete (the Finishing
	// stage, PHP-FPM's after fastcgi_finish_request); without it, as in
	// PHP-FPM, the timeout stops at the end of the response.
	RequestTerminateTimeoutTrackFinished bool

	// NoScoreboard turns off the workers' scoreboard updates (and the
	// CPU and memory readings that go with them). It exists to measure what
	// the scoreboard costs; it requires pm = static, as the other modes
	// decide from the workers' stages.
	NoScoreboard bool

	// Caches are the pool's shared caches (shmcache), by name (cache.NAME
	// in a pool file): the master makes each, of its size, before its first
	// worker and hands it to every worker, where a handler reaches it with
	// Cache(name); all the workers see the same entries. A name is 1 to 64
	// letters, digits, '.', '_' or '-'. A cache lives as long as the
	// master: a reload (SIGUSR2, SIGUSR1) keeps it and its entries, and a
	// change of the caches or of their sizes takes a restart.
	Caches map[string]CacheConfig

	// Logger receives the master's and workers' logs; when nil, Run
	// writes the error log the directives above describe (NewLogger).
	Logger *slog.Logger `json:"-"`

	// Notices are what loading the configuration noticed without acting on
	// it, such as the directives that only mean something to PHP. Run logs
	// them as warnings when it starts and when it reloads.
	Notices []string `json:"-"`

	// Reload, when set, gives the pool's configuration anew on SIGUSR2
	// (fpmshm serve reads its pool file again). The new settings take effect
	// with the workers the reload starts, but for those a running master
	// cannot change (Pool, PM, MaxChildren, the listeners and their
	// permissions, PIDFile, NoScoreboard and Caches), which keep their values, and
	// the log says so. An
	// error, or a configuration Validate refuses, cancels the reload: the
	// pool runs on as it was. When nil, SIGUSR2 replaces the workers with
	// the same configuration.
	Reload func() (Config, error) `json:"-"`

	// OnStart, when set, is called once in the master, never in a worker,
	// when the pool's sockets, scoreboard and caches exist and before its
	// first worker starts. It receives the Pool, whose Source gives the
	// pool's status to the program's own server (/metrics, admin pages).
	// Run waits for it, so it must return promptly: start a server in a
	// goroutine of its own. A reload does not call it again.
	OnStart func(*Pool) `json:"-"`
}

// ErrConfig is matched (errors.Is) by every error of Validate.
var ErrConfig = errors.New("invalid pool configuration")

// Validate checks the pool the way PHP-FPM does at start-up, with the
// values SetDefaults gives its zero fields; it changes nothing. The error
// names the first directive that is wrong and matches ErrConfig.
func (c *Config) Validate() error {
	d := *c
	d.SetDefaults()
	return d.validate()
}

// validate is Validate on a pool whose defaults are set.
func (c *Config) validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("pool %s: %w: %s", c.Pool, ErrConfig, fmt.Sprintf(format, args...))
	}
	if c.Listen == "" && c.HTTPListen == "" {
		return fail("listen is empty and there is no HTTP listener")
	}
	for i := range directives {
		if d := &directives[i]; d.value != nil {
			if err := d.value.validate(c); err != nil {
				return fail("%s %v", d.Name, err)
			}
		}
	}
	if c.NoScoreboard && c.PM != Static {
		return fail("the scoreboard can only be turned off with pm = static")
	}
	if err := c.validateLog(); err != nil {
		return fail("%v", err)
	}
	if err := c.validatePaths(); err != nil {
		return fail("%v", err)
	}
	if err := c.validateCaches(); err != nil {
		return fail("%v", err)
	}
	if f := c.accessFormat(); f != "" {
		if _, err := accesslog.ParseFormat(f); err != nil {
			return fail("access.format: %v", err)
		}
	}
	if c.PM == Dynamic {
		return c.validateDynamic(fail)
	}
	return nil
}

// SetDefaults sets, in each zero field that has one, the value it stands
// for (the directive's Default), and for a dynamic pool without
// pm.start_servers, PHP-FPM's min + (max - min) / 2. Run does it before
// it validates the pool.
func (c *Config) SetDefaults() {
	for i := range directives {
		d := &directives[i]
		if d.Default != "" && d.value.isZero(c) {
			if err := d.value.set(c, "", d.Default); err != nil {
				panic(fmt.Sprintf("pm: the default of %s, %q: %v", d.Name, d.Default, err)) // the table is wrong: a test guards it
			}
		}
	}
	if c.PM == Dynamic && c.StartServers == 0 {
		c.StartServers = c.MinSpareServers + (c.MaxSpareServers-c.MinSpareServers)/2
	}
}

// validateDynamic checks the spare-server directives as PHP-FPM does.
func (c *Config) validateDynamic(fail func(string, ...any) error) error {
	switch {
	case c.MinSpareServers < 1:
		return fail("pm.min_spare_servers (%d) must be positive", c.MinSpareServers)
	case c.MaxSpareServers < 1:
		return fail("pm.max_spare_servers (%d) must be positive", c.MaxSpareServers)
	case c.MinSpareServers > c.MaxSpareServers:
		return fail("pm.min_spare_servers (%d) cannot be greater than pm.max_spare_servers (%d)", c.MinSpareServers, c.MaxSpareServers)
	case c.MaxSpareServers > c.MaxChildren:
		return fail("pm.max_spare_servers (%d) cannot be greater than pm.max_children (%d)", c.MaxSpareServers, c.MaxChildren)
	case c.StartServers < c.MinSpareServers || c.StartServers > c.MaxSpareServers:
		return fail("pm.start_servers (%d) must not be less than pm.min_spare_servers (%d) and not greater than pm.max_spare_servers (%d)",
			c.StartServers, c.MinSpareServers, c.MaxSpareServers)
	}
	return nil
}

// validatePaths checks the status and ping paths: absolute, as PHP-FPM
// requires ("must start with a '/'").
func (c *Config) validatePaths() error {
	if p := c.StatusPath; p != "" && p[0] != '/' {
		return fmt.Errorf("pm.status_path (%q) must start with a '/'", p)
	}
	if p := c.PingPath; p != "" && p[0] != '/' {
		return fmt.Errorf("ping.path (%q) must start with a '/'", p)
	}
	if c.StatusPath != "" && c.StatusPath == c.PingPath {
		return fmt.Errorf("pm.status_path and ping.path are both %q", c.StatusPath)
	}
	if c.StatusListen != "" && c.StatusPath == "" {
		return fmt.Errorf("pm.status_listen (%q) needs pm.status_path", c.StatusListen)
	}
	return nil
}

// accessFormat is the access.format in effect: "" without an access log.
func (c *Config) accessFormat() string {
	switch {
	case c.AccessLog == "":
		return ""
	case c.AccessFormat == "":
		return accesslog.DefaultFormat
	}
	return c.AccessFormat
}

// startCount is how many workers the pool starts with.
func (c *Config) startCount() int {
	switch c.PM {
	case Static:
		return c.MaxChildren
	case Dynamic:
		return c.StartServers
	}
	return 0
}

// logger returns the Logger or slog.Default().
func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// terminatesAtOnce reports whether a worker told to stop gets SIGTERM at
// once: process_control_timeout 0, with PHP-FPM's meaning.
func (c *Config) terminatesAtOnce() bool {
	return c.ProcessControlTimeout == 0 && c.ProcessControlTerminate
}
