package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
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

// serve runs pools of workers serving the demo handler, as php-fpm runs
// pools of PHP children.
func serve(args []string) int {
	pools, verbose, code := serveConfig(args)
	if code >= 0 {
		return code
	}
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	shm.SetLogger(log)
	for i := range pools {
		pools[i].Logger = log
	}
	h := demoHandler()
	if err := pm.RunPools(context.Background(), pools, func(string) http.Handler { return h }); err != nil {
		log.Error("fpmshm serve", "err", err)
		if errors.Is(err, pm.ErrConfig) {
			return 2
		}
		return 1
	}
	return 0
}

// serveConfig builds the pools from the defaults, the -y file and the
// flags, which win over the file and apply to every pool: the flags are
// parsed once to find the file, then again over each pool the file gave.
// With a file, each pool's Reload does the same again, so that SIGUSR2
// takes up the file's changes. code is the exit code when the command must
// stop, -1 otherwise.
func serveConfig(args []string) (pools []pm.Config, verbose bool, code int) {
	newFlags := func(c *pm.Config, file *string, verbose *bool) *flag.FlagSet {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "usage: fpmshm serve [-y FILE] [flags]\n\n"+
				"Runs pools of worker processes serving a demo page over FastCGI and HTTP, with\n"+
				"PHP-FPM's status page and ping. FILE is php-fpm.conf's form: [global], one\n"+
				"section per pool, include. Flags are PHP-FPM's directives; they win over FILE and\n"+
				"apply to every pool. With several pools, each pool's sockets are its section's\n"+
				"listen (and http): the default sockets are a lone pool's.\n"+
				"Signals: SIGTERM/SIGINT stop, SIGQUIT stops gracefully, SIGUSR2 reads FILE again\n"+
				"and replaces the workers.\n\n")
			fs.PrintDefaults()
		}
		fs.StringVar(file, "y", "", "read the pools from this php-fpm.conf-style `FILE` ([global] and a section per pool)")
		fs.BoolVar(verbose, "v", false, "log at debug level")
		pm.BindFlags(fs, c)
		return fs
	}
	var file string
	first := serveDefaults()
	fs := newFlags(&first, &file, &verbose)
	if err := fs.Parse(args); err != nil {
		return []pm.Config{first}, false, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fpmshm serve: unexpected arguments %q\n", fs.Args())
		return []pm.Config{first}, false, 2
	}
	if file == "" || pm.IsWorker() { // a worker gets its pool from the master
		return []pm.Config{first}, verbose, -1
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
		fmt.Fprintf(os.Stderr, "fpmshm serve: %v\n", err)
		return []pm.Config{first}, false, 2
	}
	for i := range pools {
		pools[i].Reload = reloadPool(load, pools[i].Pool, file)
	}
	return pools, verbose, -1
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
