package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status"
)

// target is the master a reading command (status, top, cache) looks at,
// as its flags say.
type target struct {
	pid     int
	pidfile string
	pool    string
}

// bind declares the flags that find the master and its pool: -pid,
// -pidfile and -pool.
func (t *target) bind(fs *flag.FlagSet) {
	t.bindMaster(fs)
	fs.StringVar(&t.pool, "pool", "", "the pool's `name` (default: the master's one pool; top: all its pools)")
}

// bindMaster declares the flags that find the master: -pid and -pidfile.
func (t *target) bindMaster(fs *flag.FlagSet) {
	fs.IntVar(&t.pid, "pid", 0, "the master's process id (default: read from -pidfile)")
	fs.StringVar(&t.pidfile, "pidfile", defaultPIDFile(), "the pid file the master wrote (serve -pid)")
}

// masterPID returns the pid given, or the one in the pid file.
func (t *target) masterPID() (int, error) {
	if t.pid > 0 {
		return t.pid, nil
	}
	return pm.ReadPIDFile(t.pidfile)
}

// open maps the scoreboard of t's pool read-only: the pool -pool names,
// or the master's one pool (several are an error that names them).
func (t *target) open() (*scoreboard.Board, error) {
	pid, err := t.masterPID()
	if err != nil {
		return nil, err
	}
	pool := t.pool
	if pool == "" {
		pools, err := masterPools(pid)
		if err != nil {
			return nil, err
		}
		if len(pools) > 1 {
			return nil, fmt.Errorf("master %d runs %d pools (%s): name one with -pool", pid, len(pools), strings.Join(pools, ", "))
		}
		pool = pools[0]
	}
	return openBoard(pid, pool)
}

// openAll maps the scoreboards of t's pool read-only: the one -pool names,
// or every pool of the master, by name.
func (t *target) openAll() ([]*scoreboard.Board, error) {
	pid, err := t.masterPID()
	if err != nil {
		return nil, err
	}
	pools := []string{t.pool}
	if t.pool == "" {
		if pools, err = masterPools(pid); err != nil {
			return nil, err
		}
	}
	var boards []*scoreboard.Board
	for _, pool := range pools {
		b, err := openBoard(pid, pool)
		if err != nil {
			for _, b := range boards {
				b.Close()
			}
			return nil, err
		}
		boards = append(boards, b)
	}
	return boards, nil
}

// openBoard maps the scoreboard of master pid's pool read-only.
func openBoard(pid int, pool string) (*scoreboard.Board, error) {
	seg, err := shm.Attach(pid, scoreboard.SegmentName(pool), false)
	if err != nil {
		return nil, fmt.Errorf("master %d, pool %s: %w", pid, pool, err)
	}
	b, err := scoreboard.Open(seg)
	if err != nil {
		seg.Free()
		return nil, fmt.Errorf("master %d, pool %s: %w", pid, pool, err)
	}
	return b, nil
}

// errNoScoreboard is returned when a process holds no scoreboard.
var errNoScoreboard = errors.New("holds no scoreboard (is it an fpmshm master?)")

// masterPools returns the names of the pools whose scoreboards pid holds,
// sorted; the default pool's name where segments cannot be listed.
func masterPools(pid int) ([]string, error) {
	names, err := shm.Names(pid)
	if errors.Is(err, shm.ErrNotSupported) {
		return []string{pm.DefaultPool}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	var pools []string
	for _, name := range names {
		if pool, ok := strings.CutPrefix(name, scoreboard.SegmentName("")); ok {
			pools = append(pools, pool)
		}
	}
	if len(pools) == 0 {
		return nil, fmt.Errorf("process %d %w", pid, errNoScoreboard)
	}
	slices.Sort(pools)
	return pools, nil
}

// cacheStats returns the figures of the caches of t's master, for the
// OpenMetrics status page; a cache that cannot be read is left out, with a
// warning.
func (t *target) cacheStats() []status.CacheStats {
	pid, err := t.masterPID()
	if err != nil {
		return nil
	}
	names, err := cacheNames(pid, "", false)
	if err != nil {
		return nil // no cache, or none that can be listed
	}
	var out []status.CacheStats
	for _, name := range names {
		c, err := shmcache.Attach(pid, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "fpmshm status: cache %s left out: %v\n", name, err)
			continue
		}
		out = append(out, status.CacheStats{Name: name, Stats: c.Stats()})
		c.Close()
	}
	return out
}
