package pm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// RunPools runs several pools in one master, as php-fpm runs the [www]
// and [api] sections of its php-fpm.conf: each pool has its own sockets,
// process manager, user, limits, logs, scoreboard (so its own status page,
// read by fpmshm status -pool NAME) and workers, started and replaced as
// its Config says, as Run does for one pool. The pools share the master:
// one pid file, one error_log, one set of signals (SIGTERM, SIGQUIT,
// SIGUSR2 and SIGUSR1 act on every pool), and the shared caches, which a
// pool declares by name: pools declaring the same name share that cache,
// and must declare it with the same size and policy.
//
// pools must have distinct names and sockets, and agree on the [global]
// directives (pid, error_log, process_control_timeout), which belong to
// the master. handler gives the handler of each pool by its name; a nil
// handler, or a nil result, serves 404 for everything but the status page
// and ping. A worker is told its pool by the master, so the same call runs
// the master and the workers, as with Run.
//
// A worker that crashes is replaced within its pool; the other pools do
// not notice. RunPools returns when every pool has stopped; if a pool
// fails to start, the others are stopped and its error returned.
func RunPools(ctx context.Context, pools []Config, handler func(pool string) http.Handler) error {
	byPool := func(pool string) http.Handler {
		if handler != nil {
			if h := handler(pool); h != nil {
				return h
			}
		}
		return http.NotFoundHandler()
	}
	if IsWorker() {
		var cfg Config // only its Logger is used
		if len(pools) > 0 {
			cfg = pools[0]
		}
		return runWorker(ctx, cfg, byPool)
	}
	return runMaster(ctx, pools)
}

// ErrStart is matched (errors.Is) by an error of Run or RunPools that
// ended the master before it served: a configuration that does not pass
// Validate (the error also matches ErrConfig), a socket that cannot be
// bound, a limit or pid file that cannot be set. php-fpm exits with 78
// (EX_CONFIG) for these, as fpmshm serve does.
var ErrStart = errors.New("the master did not start")

// startError is an error that ended the master before it served: it
// matches ErrStart and reads as the error it holds.
type startError struct{ err error }

func (e startError) Error() string        { return e.err.Error() }
func (e startError) Unwrap() error        { return e.err }
func (e startError) Is(target error) bool { return target == ErrStart }

// runMaster is Run and RunPools in the master. Its signals are handled
// from its first line: one that comes while the pools start is acted on
// once they have started, and the pid file, which tells the world where to
// send them, is written only once they are handled.
func runMaster(ctx context.Context, pools []Config) error {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, masterSignals...)
	defer signal.Stop(sigs)
	cfgs, err := checkPools(pools)
	if err != nil {
		return startError{err}
	}
	limits, notices := cfgs[0].masterLimits(os.Geteuid()) // [global]: the same in every pool
	logNotices(cfgs[0].logger(), notices)
	if err := limits.takeForMaster(); err != nil {
		return startError{err}
	}
	var opened []*masterResources
	defer func() {
		for i := len(opened) - 1; i >= 0; i-- {
			opened[i].Close()
		}
	}()
	for _, cfg := range cfgs {
		pidFile := cfg.PIDFile // the master's, written below once every pool is open
		cfg.PIDFile = ""
		res, err := openMaster(cfg)
		cfg.PIDFile = pidFile
		if err != nil {
			return startError{err}
		}
		opened = append(opened, res)
	}
	if pidFile := cfgs[0].PIDFile; pidFile != "" {
		if err := writePIDFile(pidFile); err != nil {
			return startError{err}
		}
		defer removePIDFile(pidFile)
	}
	log := cfgs[0].logger()
	log.Info(fmt.Sprintf("fpm is running, pid %d", os.Getpid())) // php-fpm's words, as the line below
	log.Info("ready to handle connections")
	return runPools(ctx, cfgs, opened, sigs)
}

// runPools runs each pool on its resources, each with its own loop, until
// every one has stopped, and systemd's notifier for them all. Each signal
// to the master is passed on to every pool. A pool that fails stops the
// others.
func runPools(ctx context.Context, cfgs []*Config, res []*masterResources, sigs <-chan os.Signal) error {
	wide := newMasterWide(len(cfgs))
	poolsDone, notified := make(chan struct{}), make(chan struct{})
	every, log := cfgs[0].SystemdInterval, cfgs[0].logger() // read here: a pool's reload rewrites its Config
	go func() {
		defer close(notified)
		runSystemd(every, log, wide, poolsDone)
	}()
	defer func() {
		close(poolsDone)
		<-notified
	}()
	if len(cfgs) == 1 {
		return runPool(ctx, cfgs[0], res[0], sigs, wide, 0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	poolSigs := make([]chan os.Signal, len(cfgs))
	for i := range poolSigs {
		poolSigs[i] = make(chan os.Signal, cap(sigs))
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		for {
			select {
			case s := <-sigs:
				for _, ps := range poolSigs {
					select {
					case ps <- s:
					default: // the pool has stopped, or already has every signal it can act on
					}
				}
			case <-stopped:
				return
			}
		}
	}()
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = runPool(ctx, cfgs[i], res[i], poolSigs[i], wide, i); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkPools sets the defaults of copies of pools and validates them: each
// pool, and the pools together.
func checkPools(pools []Config) ([]*Config, error) {
	if len(pools) == 0 {
		return nil, fmt.Errorf("%w: no pool", ErrConfig)
	}
	cfgs := make([]*Config, len(pools))
	var log *slog.Logger // the error log the directives describe, made once: every pool has the same [global]
	for i := range pools {
		cfg := pools[i]
		cfg.SetDefaults()
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		if cfg.Logger == nil {
			if log == nil {
				log = NewLogger(&cfg)
			}
			cfg.Logger = log
		}
		cfgs[i] = &cfg
	}
	return cfgs, checkTogether(cfgs)
}

// checkTogether checks what pools of one master must agree on: distinct
// names and sockets, the same [global] directives, and caches of the same
// name declared alike.
func checkTogether(cfgs []*Config) error {
	pools := map[string]string{}   // scoreboard segment: pool
	sockets := map[string]string{} // socket: pool
	caches := map[string]*Config{} // name: the first pool declaring it
	first := cfgs[0]
	for _, c := range cfgs {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("pool %s: %w: %s", c.Pool, ErrConfig, fmt.Sprintf(format, args...))
		}
		board := scoreboard.SegmentName(c.Pool)
		if other, ok := pools[board]; ok {
			return fail("a second pool of the same name, or one that names its scoreboard %s as pool %s does", board, other)
		}
		pools[board] = c.Pool
		for _, addr := range []string{c.Listen, c.HTTPListen, c.StatusListen} {
			if other, ok := sockets[addr]; ok && addr != "" {
				return fail("%s is also pool %s's socket", addr, other)
			}
			sockets[addr] = c.Pool
		}
		for _, d := range directives {
			if d.Section == GlobalSection && d.value != nil && d.value.format(c) != d.value.format(first) {
				return fail("[global] %s is %q here and %q in pool %s: it is the master's, one for all pools", d.Name, d.value.format(c), d.value.format(first), first.Pool)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(c.Caches)) {
			if other, ok := caches[name]; ok && other.Caches[name] != c.Caches[name] {
				return fail("cache.%s is %s here and %s in pool %s: pools share a cache of one name", name, c.Caches[name], other.Caches[name], other.Pool)
			} else if !ok {
				caches[name] = c
			}
		}
	}
	return nil
}
