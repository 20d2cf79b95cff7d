package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/status"
)

// defaultPIDFile is where serve writes the master's pid, and where status
// and top look for it, unless told otherwise.
func defaultPIDFile() string { return filepath.Join(os.TempDir(), "fpmshm.pid") }

// serveDefaults is the pool serve runs without a file or flags.
func serveDefaults() pm.Config {
	return pm.Config{
		Pool:            pm.DefaultPool,
		PM:              pm.Dynamic,
		MaxChildren:     5,
		StartServers:    2,
		MinSpareServers: 1,
		MaxSpareServers: 3,
		Listen:          "127.0.0.1:9000",
		HTTPListen:      "127.0.0.1:8080",
		StatusPath:      "/status",
		PingPath:        "/ping",
		PingResponse:    "pong",
		PIDFile:         defaultPIDFile(),
		Caches:          map[string]pm.CacheConfig{demoCache: {Size: 8 << 20}},
	}
}

// serve runs a pool of workers serving the demo handler, as php-fpm runs
// a pool of PHP children.
func serve(args []string) int {
	cfg, verbose, code := serveConfig(args)
	if code >= 0 {
		return code
	}
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	shm.SetLogger(log)
	cfg.Logger = log
	if err := pm.Run(context.Background(), cfg, demoHandler()); err != nil {
		log.Error("fpmshm serve", "err", err)
		if errors.Is(err, pm.ErrConfig) {
			return 2
		}
		return 1
	}
	return 0
}

// serveConfig builds the pool from the defaults, the -y file and the
// flags, which win over the file: the flags are parsed once to find the
// file, then again over what the file gave. With a file, the pool's Reload
// does the same again, so that SIGUSR2 takes up the file's changes. code is
// the exit code when the command must stop, -1 otherwise.
func serveConfig(args []string) (cfg pm.Config, verbose bool, code int) {
	newFlags := func(c *pm.Config, file *string, verbose *bool) *flag.FlagSet {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: fpmshm serve [-y FILE] [flags]\n\n"+
				"Runs a pool of worker processes serving a demo page over FastCGI and HTTP, with\n"+
				"PHP-FPM's status page and ping. Flags are PHP-FPM's directives and win over FILE.\n"+
				"Signals: SIGTERM/SIGINT stop, SIGQUIT stops gracefully, SIGUSR2 reads FILE again\n"+
				"and replaces the workers.\n\n")
			fs.PrintDefaults()
		}
		fs.StringVar(file, "y", "", "read the pool from this php-fpm.conf-style `FILE` (one pool section; [global] may set pid)")
		fs.BoolVar(verbose, "v", false, "log at debug level")
		bindFlags(fs, c)
		return fs
	}
	var file string
	first := serveDefaults()
	fs := newFlags(&first, &file, &verbose)
	if err := fs.Parse(args); err != nil {
		return first, false, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fpmshm serve: unexpected arguments %q\n", fs.Args())
		return first, false, 2
	}
	if file == "" || pm.IsWorker() { // a worker gets its pool from the master
		return first, verbose, -1
	}
	load := func() (pm.Config, error) {
		c := serveDefaults()
		if err := pm.LoadFile(file, &c); err != nil {
			return c, err
		}
		var f string
		var v bool
		return c, newFlags(&c, &f, &v).Parse(args) // parsed once already: cannot fail
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "fpmshm serve: %v\n", err)
		return cfg, false, 2
	}
	cfg.Reload = load
	return cfg, verbose, -1
}

// bindFlags declares one flag per directive, named as the directive.
func bindFlags(fs *flag.FlagSet, c *pm.Config) {
	fs.StringVar(&c.Pool, "pool", c.Pool, "the pool's `name`")
	fs.Func("pm", "process manager: static, dynamic or ondemand (default dynamic)", func(s string) error {
		v, err := pm.ParsePM(s)
		c.PM = v
		return err
	})
	fs.IntVar(&c.MaxChildren, "pm.max_children", c.MaxChildren, "the most workers at once")
	fs.IntVar(&c.StartServers, "pm.start_servers", c.StartServers, "workers at start (dynamic)")
	fs.IntVar(&c.MinSpareServers, "pm.min_spare_servers", c.MinSpareServers, "fewest idle workers (dynamic)")
	fs.IntVar(&c.MaxSpareServers, "pm.max_spare_servers", c.MaxSpareServers, "most idle workers (dynamic)")
	fs.IntVar(&c.MaxRequests, "pm.max_requests", c.MaxRequests, "requests before a worker is replaced (0: never)")
	fs.IntVar(&c.MaxSpawnRate, "pm.max_spawn_rate", c.MaxSpawnRate, "most workers spawned at once (dynamic; default 32)")
	durationFlag(fs, &c.ProcessIdleTimeout, "pm.process_idle_timeout", "idle time before an ondemand worker stops (default 10s)")
	durationFlag(fs, &c.RequestTerminateTimeout, "request_terminate_timeout", "kill a worker serving one request this long (0: off)")
	durationFlag(fs, &c.RequestFirstByteTimeout, "request_first_byte_timeout", "close a connection that sends no request this long (default 5s)")
	durationFlag(fs, &c.RequestSlowlogTimeout, "request_slowlog_timeout", "count and log requests running this long (0: off)")
	fs.Func("request_max_header_bytes", "most bytes of FastCGI parameters one request may send: 1048576, 512K, 1M (default 1M)", func(s string) error {
		n, err := pm.ParseSize(s)
		c.RequestMaxHeaderBytes = n
		return err
	})
	durationFlag(fs, &c.ProcessControlTimeout, "process_control_timeout", "SIGTERM a worker still finishing its request this long after it was told to stop (0: wait)")
	fs.StringVar(&c.Listen, "listen", c.Listen, "FastCGI socket: host:port, port or unix socket path (empty: none)")
	fs.StringVar(&c.HTTPListen, "http", c.HTTPListen, "plain HTTP socket, same forms (empty: none)")
	fs.IntVar(&c.ListenBacklog, "listen.backlog", c.ListenBacklog, "listen queue size (default 511)")
	fs.StringVar(&c.ListenOwner, "listen.owner", c.ListenOwner, "`user` owning a unix socket listener")
	fs.StringVar(&c.ListenGroup, "listen.group", c.ListenGroup, "`group` of a unix socket listener")
	fs.Func("listen.mode", "permissions of a unix socket listener (default 0660)", func(s string) error {
		m, err := pm.ParseMode(s)
		c.ListenMode = m
		return err
	})
	fs.StringVar(&c.User, "user", c.User, "run the workers as this `user` (master running as root)")
	fs.StringVar(&c.Group, "group", c.Group, "run the workers with this `group` (default: user's)")
	fs.BoolVar(&c.ClearEnv, "clear_env", c.ClearEnv, "start the workers without the master's environment")
	fs.StringVar(&c.AccessLog, "access.log", c.AccessLog, "log each request to this `file` (empty: none)")
	fs.StringVar(&c.Slowlog, "slowlog", c.Slowlog, "write the stacks of a worker past request_slowlog_timeout to this `file`")
	fs.StringVar(&c.AccessFormat, "access.format", c.AccessFormat, "access log `format`, PHP-FPM's (default \"%R - %u %t \\\"%m %r\\\" %s\")")
	fs.StringVar(&c.StatusPath, "pm.status_path", c.StatusPath, "status page path (empty: off)")
	fs.StringVar(&c.StatusListen, "pm.status_listen", c.StatusListen, "FastCGI socket on which the master answers status and ping (empty: none)")
	fs.StringVar(&c.PingPath, "ping.path", c.PingPath, "ping path (empty: off)")
	fs.StringVar(&c.PingResponse, "ping.response", c.PingResponse, "ping response")
	fs.Func("status.version", "the php-fpm release whose fields the status page shows: 8.2, 8.3 or 8.4 (default 8.4)", func(s string) error {
		v, err := status.ParseVersion(s)
		c.StatusVersion = v
		return err
	})
	fs.StringVar(&c.PIDFile, "pid", c.PIDFile, "write the master's pid to this `file` (empty: none)")
	fs.StringVar(&c.ErrorLog, "error_log", c.ErrorLog, "send the master's and workers' standard error to this `file` (empty: keep it)")
	fs.BoolVar(&c.NoScoreboard, "no-scoreboard", false, "turn the workers' scoreboard updates off (pm static only; for measuring their cost)")
	fs.Func("cache", "declare a shared cache, as cache.NAME = SIZE[,evict|refuse] in a pool file: `NAME=SIZE[,POLICY]` (size 0 removes one; repeatable; default demo=8M)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("%q is not NAME=SIZE", s)
		}
		return c.SetCache(name, value)
	})
}

// durationFlag declares a flag taking PHP-FPM's timeouts ("30", "30s",
// "2m") or Go durations ("1.5s").
func durationFlag(fs *flag.FlagSet, d *time.Duration, name, usage string) {
	fs.Func(name, usage, func(s string) error {
		v, err := pm.ParseDuration(s)
		if err != nil {
			if v, err = time.ParseDuration(s); err != nil {
				return fmt.Errorf("%q is not a timeout", s)
			}
		}
		*d = v
		return nil
	})
}
