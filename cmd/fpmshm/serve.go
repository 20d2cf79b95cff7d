package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/pm/errorlog"
	"github.com/fpmshm/fpmshm/pm/fpmconf"
	"github.com/fpmshm/fpmshm/shm"
)

// defaultPIDFile is where serve writes the master's pid, and where status
// and top look for it, unless told otherwise.
func defaultPIDFile() string { return filepath.Join(os.TempDir(), "fpmshm.pid") }

// serveDefaults is the pool serve runs without a file or flags, where it
// differs from the directives' defaults.
func serveDefaults() pm.Config {
	return pm.Config{
		MaxChildren:     5,
		StartServers:    2,
		MinSpareServers: 1,
		MaxSpareServers: 3,
		Listen:          "127.0.0.1:9000",
		HTTPListen:      "127.0.0.1:8080",
		StatusPath:      "/status",
		PingPath:        "/ping",
		PIDFile:         defaultPIDFile(),
		Caches:          map[string]pm.CacheConfig{demoCache: {Size: 8 << 20}},
	}
}

// serve runs a pool of workers serving the demo handler, as php-fpm runs
// a pool of PHP children. Its error log is the one the directives describe
// (pm.NewLogger): php-fpm's lines on the standard error by default.
func serve(args []string) int {
	cfg, opts, code := serveConfig(args)
	if code >= 0 {
		return code
	}
	if opts.verbose {
		cfg.LogLevel = errorlog.LevelDebug
	}
	log := pm.NewLogger(&cfg) // Run makes its own of the same directives; a worker's are its master's
	if opts.loadErr != nil {
		initFailed(log, opts.loadErr, fmt.Errorf("failed to load configuration file '%s'", opts.file))
		if opts.test > 0 {
			return exitConfig
		}
		return 2
	}
	if opts.test > 0 {
		return testConfig(log, &cfg, opts)
	}
	shm.SetLogger(log)
	if err := pm.Run(context.Background(), cfg, demoHandler()); err != nil {
		initFailed(log, err)
		if errors.Is(err, pm.ErrConfig) {
			return 2
		}
		return 1
	}
	return 0
}

// serveOptions are serve's own flags, and how reading the -y file went.
type serveOptions struct {
	file    string // -y
	verbose bool   // -v
	test    int    // 1 for -t, 2 for -tt
	loadErr error  // reading the -y file failed
}

// serveConfig builds the pool from the defaults, the -y file and the
// flags, which win over the file: the flags are parsed once to find the
// file, then again over what the file gave. With a file, the pool's Reload
// does the same again, so that SIGUSR2 takes up the file's changes. code is
// the exit code when the command must stop, -1 otherwise.
func serveConfig(args []string) (cfg pm.Config, opts serveOptions, code int) {
	var test, testDump bool
	newFlags := func(c *pm.Config, file *string, verbose *bool) *flag.FlagSet {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: fpmshm serve [-y FILE] [flags]\n\n"+
				"Runs a pool of worker processes serving a demo page over FastCGI and HTTP, with\n"+
				"PHP-FPM's status page and ping. Flags are PHP-FPM's directives and win over FILE.\n"+
				"Signals: SIGTERM/SIGINT stop, SIGQUIT stops gracefully, SIGUSR2 reads FILE again\n"+
				"and replaces the workers. The error log is php-fpm's (log_format fpm) on the standard\n"+
				"error or in error_log. -t tests the configuration and exits 0, or 78 (EX_CONFIG) as\n"+
				"php-fpm -t; -tt prints it first.\n\n")
			fs.PrintDefaults()
		}
		fs.StringVar(file, "y", "", "read the pool from this php-fpm.conf-style `FILE` (one pool section; [global] may set pid)")
		fs.BoolVar(verbose, "v", false, "log at debug level (log_level = debug)")
		fs.BoolVar(&test, "t", false, "test the configuration and exit, as php-fpm -t")
		fs.BoolVar(&testDump, "tt", false, "test the configuration, print it and exit, as php-fpm -tt")
		pm.BindFlags(fs, c)
		return fs
	}
	first := serveDefaults()
	fs := newFlags(&first, &opts.file, &opts.verbose)
	if err := fs.Parse(args); err != nil {
		return first, opts, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fpmshm serve: unexpected arguments %q\n", fs.Args())
		return first, opts, 2
	}
	switch {
	case testDump:
		opts.test = 2
	case test:
		opts.test = 1
	}
	file := opts.file
	if file == "" || pm.IsWorker() { // a worker gets its pool from the master
		return first, opts, -1
	}
	load := func() (pm.Config, error) {
		c := serveDefaults()
		if err := fpmconf.LoadFile(file, &c); err != nil {
			return c, err
		}
		var f string
		var v bool
		return c, newFlags(&c, &f, &v).Parse(args) // parsed once already: cannot fail
	}
	cfg, err := load()
	if err != nil {
		opts.loadErr = err
		return first, opts, -1
	}
	cfg.Reload = load
	return cfg, opts, -1
}
