package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
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

// serve runs the pools of workers serving the demo handler, as php-fpm
// runs its pools of PHP children. Its error log is the one the directives
// describe (pm.NewLogger): php-fpm's lines on the standard error by
// default.
func serve(args []string) int {
	pools, opts, code := serveConfig(args)
	if code >= 0 {
		return code
	}
	for i := range pools {
		if opts.verbose {
			pools[i].LogLevel = errorlog.LevelDebug
		}
	}
	log := pm.NewLogger(&pools[0]) // Run makes its own of the same directives; a worker's are its master's
	if opts.loadErr != nil {
		initFailed(log, opts.loadErr, fmt.Errorf("failed to load configuration file '%s'", opts.file))
		return exitConfig
	}
	if opts.test > 0 {
		return testConfig(log, pools, opts)
	}
	shm.SetLogger(log)
	h := demoHandler()
	err := pm.RunPools(context.Background(), pools, func(string) http.Handler { return h })
	switch {
	case errors.Is(err, pm.ErrStart):
		initFailed(log, err)
		return exitConfig
	case err != nil:
		log.Error(err.Error())
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

// serveConfig builds the pools from the defaults, the -y file and the
// flags, which win over the file and apply to every pool: the flags are
// parsed once to find the file, then again over each pool the file gave.
// With a file, each pool's Reload does the same again, so that SIGUSR2
// takes up the file's changes. code is the exit code when the command must
// stop, -1 otherwise.
func serveConfig(args []string) (pools []pm.Config, opts serveOptions, code int) {
	var test, testDump bool
	newFlags := func(c *pm.Config, file *string, verbose *bool) *flag.FlagSet {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: fpmshm serve [-y FILE] [-t | -tt] [flags]\n\n"+
				"Runs pools of worker processes serving a demo page over FastCGI and HTTP, with\n"+
				"PHP-FPM's status page and ping. FILE is php-fpm.conf's form: [global], one\n"+
				"section per pool, include. Flags are PHP-FPM's directives; they win over FILE and\n"+
				"apply to every pool. With several pools, each pool's sockets are its section's\n"+
				"listen (and http): the default sockets are a lone pool's.\n"+
				"Signals: SIGTERM/SIGINT stop, SIGQUIT stops gracefully, SIGUSR2 reads FILE again\n"+
				"and replaces the workers, SIGUSR1 reopens the logs. The error log is php-fpm's\n"+
				"(log_format fpm) on the standard error or in error_log. -t tests the configuration\n"+
				"and exits 0, or 78 (EX_CONFIG) as php-fpm -t; -tt prints it first. A master\n"+
				"that cannot start (its configuration, a socket, a limit) exits 78 as php-fpm's,\n"+
				"and a flag it does not know makes it exit 64 (EX_USAGE), as php-fpm's.\n\n")
			fs.PrintDefaults()
		}
		fs.StringVar(file, "y", "", "read the pools from this php-fpm.conf-style `FILE` ([global] and a section per pool)")
		fs.BoolVar(verbose, "v", false, "log at debug level (log_level = debug)")
		fs.BoolVar(&test, "t", false, "test the configuration and exit, as php-fpm -t")
		fs.BoolVar(&testDump, "tt", false, "test the configuration, print it and exit, as php-fpm -tt")
		pm.BindFlags(fs, c)
		return fs
	}
	first := serveDefaults()
	lone := []pm.Config{first}
	fs := newFlags(&lone[0], &opts.file, &opts.verbose)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return lone, opts, 0
		}
		return lone, opts, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fpmshm serve: unexpected arguments %q\n", fs.Args())
		return lone, opts, exitUsage
	}
	switch {
	case testDump:
		opts.test = 2
	case test:
		opts.test = 1
	}
	file := opts.file
	if file == "" || pm.IsWorker() { // a worker gets its pool from the master
		return lone, opts, -1
	}
	load := func() ([]pm.Config, error) {
		pools, err := fpmconf.LoadPoolsFile(file, serveDefaults())
		if err == nil && len(pools) > 1 { // the default sockets are a lone pool's
			base := serveDefaults()
			base.Listen, base.HTTPListen = "", ""
			pools, err = fpmconf.LoadPoolsFile(file, base)
		}
		if err != nil {
			return nil, err
		}
		for i := range pools {
			var f string
			var v bool
			newFlags(&pools[i], &f, &v).Parse(args) // parsed once already: cannot fail
		}
		return pools, nil
	}
	pools, err := load()
	if err != nil {
		opts.loadErr = err
		return lone, opts, -1
	}
	for i := range pools {
		pools[i].Reload = reloadPool(load, pools[i].Pool, file)
	}
	return pools, opts, -1
}

// reloadPool is the Reload of pool: the pools load gives, of which
// pool's.
func reloadPool(load func() ([]pm.Config, error), pool, file string) func() (pm.Config, error) {
	return func() (pm.Config, error) {
		pools, err := load()
		if err != nil {
			return pm.Config{}, err
		}
		for _, c := range pools {
			if c.Pool == pool {
				return c, nil
			}
		}
		return pm.Config{}, fmt.Errorf("%s has no pool %s any more: removing a pool takes a restart", file, pool)
	}
}
