package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
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
	fs.StringVar(&t.pool, "pool", "", "the pool's name (default: the one scoreboard the master holds)")
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

// open maps the master's scoreboard read-only.
func (t *target) open() (*scoreboard.Board, error) {
	pid, err := t.masterPID()
	if err != nil {
		return nil, err
	}
	name := scoreboard.SegmentName(t.pool)
	if t.pool == "" {
		if name, err = findScoreboard(pid); err != nil {
			return nil, err
		}
	}
	seg, err := shm.Attach(pid, name, false)
	if err != nil {
		return nil, fmt.Errorf("master %d: %w", pid, err)
	}
	b, err := scoreboard.Open(seg)
	if err != nil {
		seg.Free()
		return nil, fmt.Errorf("master %d: %w", pid, err)
	}
	return b, nil
}

// errNoScoreboard is returned when a process holds no scoreboard.
var errNoScoreboard = errors.New("holds no scoreboard (is it an fpmshm master?)")

// findScoreboard returns the name of the scoreboard segment pid holds;
// the default pool's name where segments cannot be listed.
func findScoreboard(pid int) (string, error) {
	names, err := shm.Names(pid)
	if errors.Is(err, shm.ErrNotSupported) {
		return scoreboard.SegmentName(pm.DefaultPool), nil
	}
	if err != nil {
		return "", fmt.Errorf("process %d: %w", pid, err)
	}
	for _, name := range names {
		if strings.HasPrefix(name, scoreboard.SegmentName("")) {
			return name, nil
		}
	}
	return "", fmt.Errorf("process %d %w", pid, errNoScoreboard)
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
