package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fpmshm/fpmshm/pm"
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
		pm.BindFlags(fs, c)
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
		if err := fpmconf.LoadFile(file, &c); err != nil {
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
