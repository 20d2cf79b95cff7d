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

// cacheFlags are the flags of fpmshm cache.
type cacheFlags struct {
	t       target
	name    string
	raw     bool
	counter bool
	limit   int
}

// flagSet declares the flags of fpmshm cache into f.
func (f *cacheFlags) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("cache", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), cacheUsage)
		fs.PrintDefaults()
	}
	f.t.bindMaster(fs)
	fs.StringVar(&f.name, "cache", "", "the cache's `name` (default: every cache for stats, the only one for get and keys)")
	fs.BoolVar(&f.raw, "raw", false, "get: write the value's bytes exactly")
	fs.BoolVar(&f.counter, "counter", false, "get: print the value as a counter (an 8-byte little-endian integer, as Incr stores it)")
	fs.IntVar(&f.limit, "limit", 100, "keys: list at most this many keys")
	return fs
}

// runCache is "fpmshm cache".
func runCache(args []string) int {
	var f cacheFlags
	fs := f.flagSet()
	if err := fs.Parse(args); err != nil {
		return 2
	}
	op, rest := fs.Arg(0), fs.Args()[min(1, fs.NArg()):]
	want := map[string]int{"stats": 0, "get": 1, "keys": 0}
	if n, ok := want[op]; !ok || len(rest) != n {
		fs.Usage()
		return 2
	}
	names, caches, err := f.attach(op != "stats")
	for _, c := range caches {
		defer c.Close()
	}
	if err != nil {
		return cacheFailed(err)
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
		return f.get(names[0], caches[0], rest[0])
	case "keys":
		if f.limit < 0 {
			fs.Usage()
			return 2
		}
		f.keys(caches[0])
	}
	return 0
}

// cacheFailed reports err and returns the exit code of a failed command.
func cacheFailed(err error) int {
	fmt.Fprintln(os.Stderr, "fpmshm cache:", err)
	return 1
}

// attach attaches the caches the command reads, which must be one when
// one is true, and returns them with their names; on an error, those
// attached so far.
func (f *cacheFlags) attach(one bool) ([]string, []*shmcache.Cache, error) {
	pid, err := f.t.masterPID()
	if err != nil {
		return nil, nil, err
	}
	names, err := cacheNames(pid, f.name, one)
	if err != nil {
		return nil, nil, err
	}
	var caches []*shmcache.Cache
	for _, n := range names {
		c, err := shmcache.Attach(pid, n)
		if err != nil {
			return nil, caches, fmt.Errorf("master %d: %w", pid, err)
		}
		caches = append(caches, c)
	}
	return names, caches, nil
}

// get prints the value of key in cache c, named name, as -raw or -counter
// say; it exits with 1 when key has no entry.
func (f *cacheFlags) get(name string, c *shmcache.Cache, key string) int {
	v, ok := c.Get([]byte(key))
	if !ok {
		return cacheFailed(fmt.Errorf("cache %s: no entry for %s", name, shown([]byte(key))))
	}
	switch {
	case f.raw:
		os.Stdout.Write(v)
	case f.counter:
		if len(v) != 8 {
			return cacheFailed(fmt.Errorf("cache %s: the value of %s is %d bytes long, not an 8-byte counter", name, shown([]byte(key)), len(v)))
		}
		fmt.Println(int64(binary.LittleEndian.Uint64(v)))
	default:
		fmt.Println(shown(v))
	}
	return 0
}

// keys lists the keys of c, at most -limit of them, saying so on the
// standard error when there are more.
func (f *cacheFlags) keys(c *shmcache.Cache) {
	listed := 0
	err := c.Range(func(key, _ []byte) bool {
		if listed == f.limit {
			return false
		}
		fmt.Println(shown(key))
		listed++
		return true
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpmshm cache: keys:", err)
	}
	if n := c.Len(); listed == f.limit && n > listed {
		fmt.Fprintf(os.Stderr, "fpmshm cache: listed %d of about %d keys (-limit)\n", listed, n)
	}
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
