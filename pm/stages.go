package pm

import (
	"net/http"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/scoreboard"
)

// stages drives a worker's slot through PHP-FPM's request stages and
// measures each request's CPU time and memory, which the access log
// reports too. With no recorder (the scoreboard turned off) every method
// does nothing.
//
// The CPU time is PHP-FPM's: the whole process's (every thread, as
// PHP-FPM's times() counts its child) from the start of the request, when
// its headers are read, to its end, read from the process CPU clock at
// both ends (getrusage: no other reading is cheaper, and it splits user
// from system time for the access log); the status page shows it over the
// request's wall time. The memory is what the request allocated on the Go
// heap, read from the runtime's count of allocated bytes at both ends (see
// heapAllocated). The four readings are most of the scoreboard's cost per
// request (BenchmarkStages).
type stages struct {
	rec      recorder
	cpuBegan cpuTimes      // the CPU clock when the request began
	cpuAt    time.Duration // the monotonic clock just after the request began
	memBegan uint64        // the heap's allocated bytes when the request began
	cpuLast  cpuTimes      // the CPU time of the last request
	memLast  uint64        // the bytes the last request allocated
	sample   [1]metrics.Sample
}

// monotonic reads the monotonic clock alone: half the price of time.Now,
// which reads the wall clock too.
func monotonic() time.Duration { return time.Since(monotonicBase) }

var monotonicBase = time.Now()

// cpuTimes is CPU time used in user and in system mode.
type cpuTimes struct{ user, system time.Duration }

// total is user plus system time.
func (c cpuTimes) total() time.Duration { return c.user + c.system }

// since returns the CPU time used from c0 to c, never negative.
func (c cpuTimes) since(c0 cpuTimes) cpuTimes {
	return cpuTimes{max(c.user-c0.user, 0), max(c.system-c0.system, 0)}
}

// within bounds c by what the process can have used in wall time: wall on
// each of its CPUs. The kernel brings the CPU time of the process's other
// running threads up to date only at its ticks and context switches, so a
// request of microseconds can be charged a piece of CPU time another
// thread used just before it, more than the process can have used in the
// request's time; that excess, and that alone, is taken off (from the
// user time first).
func (c cpuTimes) within(wall time.Duration) cpuTimes {
	cpus := time.Duration(runtime.NumCPU())
	if wall >= c.total()/cpus { // within bounds; wall*cpus cannot overflow below
		return c
	}
	over := c.total() - wall*cpus
	cut := min(over, c.user)
	c.user -= cut
	c.system -= over - cut
	return c
}

// heapAllocs is the runtime metric of the bytes ever allocated on the heap.
const heapAllocs = "/gc/heap/allocs:bytes"

func newStages(rec recorder) *stages {
	s := &stages{rec: rec}
	s.sample[0].Name = heapAllocs
	return s
}

// accepting marks the worker idle, waiting for a connection.
func (s *stages) accepting() {
	if s.rec != nil {
		s.rec.Accepting()
	}
}

// begin starts a request: reading its headers. The heap's count and the
// CPU clock are read first, the clock last, next to the slot's own
// reading of the time, so that the request's CPU time and duration span
// the same moments; the time read after it is within the request's
// duration (see cpuTimes.within).
func (s *stages) begin() {
	if s.rec == nil {
		return
	}
	s.memBegan = s.heapAllocated()
	s.cpuBegan = cpuTime()
	s.rec.ReadingHeaders()
	s.cpuAt = monotonic()
}

// info records the request and enters the Running stage. scriptName and
// scriptFilename are SCRIPT_NAME and SCRIPT_FILENAME; user is the user of
// the request's Basic authorization, as PHP-FPM's auth_user.
func (s *stages) info(r *http.Request, scriptName, scriptFilename, user string) {
	if s.rec == nil {
		return
	}
	s.rec.RequestInfo(scoreboard.RequestInfo{
		Method:        r.Method,
		URI:           scriptName,
		Query:         r.URL.RawQuery,
		User:          user,
		Script:        scriptFilename,
		ContentLength: max(r.ContentLength, 0),
	})
	s.rec.Executing()
}

// end records the request's CPU time and memory, then finishes it.
func (s *stages) end() {
	if s.rec == nil {
		return
	}
	allocated := s.heapAllocated()
	s.memLast = allocated - min(s.memBegan, allocated)
	s.cpuLast = cpuTime().since(s.cpuBegan).within(monotonic() - s.cpuAt)
	s.rec.End(s.cpuLast.total(), s.memLast)
	s.rec.Finished()
}

// lastRequest returns the CPU time and memory of the last request, as end
// measured them.
func (s *stages) lastRequest() (cpuTimes, uint64) { return s.cpuLast, s.memLast }

// heapAllocated returns the bytes the runtime has counted as allocated on
// the heap since the process started: its difference over a request is
// what the request allocated (with the little the worker's other
// goroutines allocate meanwhile), whether still live or already collected.
// Objects over 32 KiB are counted as they are allocated; smaller ones when
// their span (8 KiB or more) leaves the allocating processor's cache, so
// some of a request's small allocations may be counted, a span at a time,
// in the figure of a later request. The reading costs a few hundred
// nanoseconds (BenchmarkHeapAllocsRead); an exact count would stop the
// world (runtime.ReadMemStats).
func (s *stages) heapAllocated() uint64 {
	metrics.Read(s.sample[:])
	if s.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.sample[0].Value.Uint64()
}

// cpuTime returns the CPU time this process has used.
func cpuTime() cpuTimes {
	user, system, _ := sys.ProcessCPUTimes()
	return cpuTimes{user, system}
}
