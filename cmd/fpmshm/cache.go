package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status"
)

// cacheUsage is the synopsis of fpmshm cache.
const cacheUsage = `usage: fpmshm cache [-pid PID | -pidfile FILE] [-cache NAME] stats
       fpmshm cache [-pid PID | -pidfile FILE] [-cache NAME] [-raw | -counter] get KEY
       fpmshm cache [-pid PID | -pidfile FILE] [-cache NAME] [-limit N] keys

Reads a running pool's shared caches from the master's shared memory,
read-only: stats prints each cache's figures (or NAME's), get prints the
value of KEY, keys lists the keys, at most -limit of them, in the cache's
order. get and keys need -cache when the pool has more than one cache.

A value or key that is printable text is printed as it is, any other (or
one starting with a double quote) Go-quoted ("\x00\x01"); get -raw writes the value's bytes exactly, with no
newline, and get -counter prints a counter of Incr (8 bytes) as a number.
get exits with 1 when KEY has no entry.

`

// runCache is "fpmshm cache".
func runCache(args []string) int {
	fs := flag.NewFlagSet("cache", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), cacheUsage)
		fs.PrintDefaults()
	}
	var t target
	t.bindMaster(fs)
	name := fs.String("cache", "", "the cache's `name` (default: every cache for stats, the only one for get and keys)")
	raw := fs.Bool("raw", false, "get: write the value's bytes exactly")
	counter := fs.Bool("counter", false, "get: print the value as a counter (an 8-byte little-endian integer, as Incr stores it)")
	limit := fs.Int("limit", 100, "keys: list at most this many keys")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	op, rest := fs.Arg(0), fs.Args()[min(1, fs.NArg()):]
	want := map[string]int{"stats": 0, "get": 1, "keys": 0}
	if n, ok := want[op]; !ok || len(rest) != n {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "fpmshm cache:", err)
		return 1
	}
	pid, err := t.masterPID()
	if err != nil {
		return fail(err)
	}
	names, err := cacheNames(pid, *name, op != "stats")
	if err != nil {
		return fail(err)
	}
	caches := make([]*shmcache.Cache, len(names))
	for i, n := range names {
		if caches[i], err = shmcache.Attach(pid, n); err != nil {
			return fail(fmt.Errorf("master %d: %w", pid, err))
		}
		defer caches[i].Close()
	}
	switch op {
	case "stats":
		for i, c := range caches {
			if i > 0 {
				fmt.Println()
			}
			printCacheStats(os.Stdout, names[i], c.Stats())
		}
	case "get":
		v, ok := caches[0].Get([]byte(rest[0]))
		if !ok {
			return fail(fmt.Errorf("cache %s: no entry for %s", names[0], shown([]byte(rest[0]))))
		}
		switch {
		case *raw:
			os.Stdout.Write(v)
		case *counter:
			if len(v) != 8 {
				return fail(fmt.Errorf("cache %s: the value of %s is %d bytes long, not an 8-byte counter", names[0], shown([]byte(rest[0])), len(v)))
			}
			fmt.Println(int64(binary.LittleEndian.Uint64(v)))
		default:
			fmt.Println(shown(v))
		}
	case "keys":
		if *limit < 0 {
			fs.Usage()
			return 2
		}
		listed := 0
		err := caches[0].Range(func(key, _ []byte) bool {
			if listed == *limit {
				return false
			}
			fmt.Println(shown(key))
			listed++
			return true
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "fpmshm cache: keys:", err)
		}
		if n := caches[0].Len(); listed == *limit && n > listed {
			fmt.Fprintf(os.Stderr, "fpmshm cache: listed %d of about %d keys (-limit)\n", listed, n)
		}
	}
	return 0
}

// cacheNames returns the names of the caches master pid holds: only, when
// it is set, or all of them, which must be one when one is true.
func cacheNames(pid int, only string, one bool) ([]string, error) {
	if only != "" {
		return []string{only}, nil
	}
	segs, err := shm.Names(pid)
	if errors.Is(err, shm.ErrNotSupported) {
		return nil, errors.New("this system cannot list a process's segments: name the cache with -cache")
	}
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", pid, err)
	}
	var names []string
	for _, s := range segs {
		if n, ok := strings.CutPrefix(s, shmcache.SegmentName("")); ok {
			names = append(names, n)
		}
	}
	switch {
	case len(names) == 0:
		return nil, fmt.Errorf("process %d holds no cache (does its pool declare any?)", pid)
	case one && len(names) > 1:
		return nil, fmt.Errorf("process %d holds the caches %s: choose one with -cache", pid, strings.Join(names, ", "))
	}
	return names, nil
}

// printCacheStats prints one cache's figures, a name and a value a line.
func printCacheStats(w io.Writer, name string, s shmcache.Stats) {
	for _, f := range []struct {
		name  string
		value any
	}{
		{"cache", name},
		{"size", s.Size},
		{"policy", s.Policy},
		{"stripes", s.Stripes},
		{"page size", s.PageSize},
		{"entries", s.Entries},
		{"stored bytes", s.Bytes},
		{"used bytes", s.Used},
		{"free bytes", s.Free},
		{"hits", s.Hits},
		{"misses", s.Misses},
		{"sets", s.Sets},
		{"incrs", s.Incrs},
		{"deletes", s.Deletes},
		{"evictions", s.Evictions},
		{"expirations", s.Expirations},
		{"refused", s.Refused},
		{"repairs", s.Repairs},
		{"corruptions", s.Corruptions},
	} {
		fmt.Fprintf(w, "%-14s%v\n", f.name+":", f.value)
	}
}

// shown returns b as it is when it is printable text (not starting with a
// double quote), else Go-quoted.
func shown(b []byte) string {
	if !utf8.Valid(b) || len(b) > 0 && b[0] == '"' {
		return strconv.Quote(string(b))
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return strconv.Quote(string(b))
		}
	}
	return string(b)
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
