package pm

import (
	"math"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// endRecorder keeps the CPU time and memory of each End.
type endRecorder struct {
	cpu []time.Duration
	mem []uint64
}

func (c *endRecorder) Accepting()                         {}
func (c *endRecorder) ReadingHeaders()                    {}
func (c *endRecorder) RequestInfo(scoreboard.RequestInfo) {}
func (c *endRecorder) Executing()                         {}
func (c *endRecorder) End(cpu time.Duration, memory uint64) {
	c.cpu, c.mem = append(c.cpu, cpu), append(c.mem, memory)
}
func (c *endRecorder) Finished() {}

// spin uses about d of CPU time and returns the CPU time it used over its
// wall time, in percent: about 100 unless other processes took the CPU.
func spin(d time.Duration) float64 {
	began, start := time.Now(), cpuTime().total()
	used := time.Duration(0)
	for used < d {
		used = cpuTime().total() - start
	}
	return float64(used) / float64(time.Since(began)) * 100
}

// allocSink keeps allocate's memory from being optimised away.
var allocSink []byte

// allocate allocates n bytes on the heap and touches them.
func allocate(n int) {
	allocSink = make([]byte, n)
	for i := 0; i < n; i += 4096 {
		allocSink[i] = 1
	}
}

// TestCPUWithin: a CPU time more than the process can have used in the
// wall time is cut to that, from the user time first; one within it is
// kept exactly.
func TestCPUWithin(t *testing.T) {
	n := time.Duration(runtime.NumCPU())
	wall := 10 * time.Microsecond
	if got := (cpuTimes{3 * time.Microsecond, 2 * time.Microsecond}).within(wall); got != (cpuTimes{3 * time.Microsecond, 2 * time.Microsecond}) {
		t.Errorf("5 us in 10 us became %+v", got)
	}
	got := (cpuTimes{wall*n + time.Microsecond, 4 * time.Millisecond}).within(wall)
	if got.total() != wall*n || got.user != 0 {
		t.Errorf("%v of CPU in %v on %d CPUs became %+v", wall*n+time.Microsecond+4*time.Millisecond, wall, n, got)
	}
	long := cpuTimes{time.Second, time.Second} // a wall time whose product with the CPUs overflows
	if got := long.within(time.Duration(math.MaxInt64)); got != long {
		t.Errorf("%+v in the longest wall time became %+v", long, got)
	}
}

// TestStagesFigures checks each request's own CPU time and memory: a
// request is measured from its begin to its end, whatever came before.
func TestStagesFigures(t *testing.T) {
	rec := &endRecorder{}
	st := newStages(rec)
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}}
	request := func(work func()) {
		st.begin()
		st.info(r, "/", "", "")
		work()
		st.end()
	}
	request(func() { spin(20 * time.Millisecond) })
	request(func() {})
	request(func() { time.Sleep(20 * time.Millisecond) })
	request(func() { allocate(10 << 20) })
	request(func() {})
	if len(rec.cpu) != 5 {
		t.Fatalf("%d End calls, want 5", len(rec.cpu))
	}
	if c := rec.cpu[0]; c < 20*time.Millisecond || c > 60*time.Millisecond {
		t.Errorf("a request spinning for 20 ms of CPU reported %v", c)
	}
	if c := rec.cpu[1]; c > 2*time.Millisecond {
		t.Errorf("an empty request right after a spin reported %v of CPU", c)
	}
	if c := rec.cpu[2]; c > 2*time.Millisecond {
		t.Errorf("a request sleeping 20 ms reported %v of CPU", c)
	}
	if m := rec.mem[3]; m < 10<<20 {
		t.Errorf("a request allocating 10 MiB reported %d bytes", m)
	}
	if m := rec.mem[4]; m > 256<<10 {
		t.Errorf("an empty request right after one allocating 10 MiB reported %d bytes", m)
	}
}
