package shmcache

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/internal/testproc"
)

// The benchmarks bench/run pairs with APCu, Redis and an in-process map:
// a 16-byte key and a 100-byte value, one key, as the APCu anchors do.

var (
	benchKey   = []byte("bench-key-000001")
	benchValue = bytes.Repeat([]byte{'v'}, 100)
)

func benchCache(b *testing.B) *Cache {
	return newTest(b, Options{Name: "bench", Size: 64 << 20})
}

// BenchmarkGet100 is AppendGet of a 100-byte value into a reused buffer.
func BenchmarkGet100(b *testing.B) {
	c := benchCache(b)
	if err := c.Set(benchKey, benchValue, 0); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		v, ok := c.AppendGet(buf[:0], benchKey)
		if !ok || len(v) != 100 {
			b.Fatal("miss")
		}
	}
}

// BenchmarkSet100 is Set of a 100-byte value over the same key.
func BenchmarkSet100(b *testing.B) {
	c := benchCache(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Set(benchKey, benchValue, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIncr is Incr of one counter.
func BenchmarkIncr(b *testing.B) {
	c := benchCache(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Incr(benchKey, 1, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapRWMutexGet100 is the in-process reference: a copy of a
// 100-byte value out of a map behind a sync.RWMutex.
func BenchmarkMapRWMutexGet100(b *testing.B) {
	var mu sync.RWMutex
	m := map[string][]byte{string(benchKey): bytes.Clone(benchValue)}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		mu.RLock()
		v, ok := m[string(benchKey)]
		buf = append(buf[:0], v...)
		mu.RUnlock()
		if !ok || len(buf) != 100 {
			b.Fatal("miss")
		}
	}
}

func init() {
	testproc.Register("shmcache-mixed", mixedHelper)
}

// mixedKeys is how many keys each process of the mixed benchmarks uses.
const mixedKeys = 1000

var mixedSize = 16 << 20

// mixedLoop runs n operations on keys: nine Gets for each Set, 100-byte
// values.
func mixedLoop(c *Cache, keys [][]byte, buf []byte, n int) error {
	for i := range n {
		k := keys[i%mixedKeys]
		if i%10 == 0 {
			if err := c.Set(k, benchValue, 0); err != nil {
				return err
			}
		} else if _, ok := c.AppendGet(buf[:0], k); !ok {
			return fmt.Errorf("miss on %s", k)
		}
	}
	return nil
}

// cpuTime returns the CPU time this process has used.
func cpuTime(tb testing.TB) time.Duration {
	user, system, err := sys.ProcessCPUTimes()
	if err != nil {
		tb.Fatal(err)
	}
	return user + system
}

// reportCPUs reports how many processors the processes of a benchmark
// kept busy while it was timed: their CPU time over the elapsed time. Two
// processes that show less than about 1.9 shared the machine with other
// work, and their ns/op says as much about that work as about the cache.
func reportCPUs(b *testing.B, cpu, elapsed time.Duration) {
	if elapsed > 0 {
		b.ReportMetric(float64(cpu)/float64(elapsed), "cpus")
	}
}

// BenchmarkMixed1Proc is one process doing 90% Get, 10% Set on its own
// keys; BenchmarkMixed2Proc is two processes doing the same at once on
// different keys, ns/op over both: bench/run compares the two. Both also
// report the processors they kept busy ("cpus").
func BenchmarkMixed1Proc(b *testing.B) {
	c := newTest(b, Options{Name: "mixed", Size: mixedSize})
	keys := make([][]byte, mixedKeys)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "p0-key-%08d", i)
		c.Set(keys[i], benchValue, 0)
	}
	buf := make([]byte, 0, 128)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	if err := mixedLoop(c, keys, buf, b.N); err != nil {
		b.Fatal(err)
	}
	reportCPUs(b, cpuTime(b)-cpu, time.Since(start))
}

func BenchmarkMixed2Proc(b *testing.B) {
	c := newTest(b, Options{Name: "mixed", Size: mixedSize})
	half := b.N / 2
	cmd := testproc.Command(b, "shmcache-mixed", strconv.Itoa(half))
	if err := c.ShareWith(cmd); err != nil {
		b.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "R" {
		b.Fatalf("helper: %q", lines.Text())
	}
	keys := make([][]byte, mixedKeys)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "p0-key-%08d", i)
		c.Set(keys[i], benchValue, 0)
	}
	buf := make([]byte, 0, 128)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	in.Write([]byte("g"))
	if err := mixedLoop(c, keys, buf, b.N-half); err != nil {
		b.Fatal(err)
	}
	var helperCPU time.Duration
	if !lines.Scan() {
		b.Fatalf("helper: %v", lines.Err())
	}
	if _, err := fmt.Sscanf(lines.Text(), "done %d", &helperCPU); err != nil {
		b.Fatalf("helper: %q", lines.Text())
	}
	b.StopTimer()
	reportCPUs(b, cpuTime(b)-cpu+helperCPU, time.Since(start))
}

// mixedHelper is the second process of BenchmarkMixed2Proc: it prepares
// its keys, says "R", waits for a byte on stdin, runs args[0] operations
// and says "done" and the CPU time it used from the byte on, in ns.
func mixedHelper(args []string) int {
	c, err := Inherited("mixed")
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	keys := make([][]byte, mixedKeys)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "p1-key-%08d", i)
		if err := c.Set(keys[i], benchValue, 0); err != nil {
			return fail(err)
		}
	}
	fmt.Println("R")
	os.Stdin.Read(make([]byte, 1))
	user, system, err := sys.ProcessCPUTimes()
	if err != nil {
		return fail(err)
	}
	if err := mixedLoop(c, keys, make([]byte, 0, 128), intArgs(args)[0]); err != nil {
		return fail(err)
	}
	user2, system2, err := sys.ProcessCPUTimes()
	if err != nil {
		return fail(err)
	}
	fmt.Println("done", int64(user2+system2-user-system))
	return 0
}
