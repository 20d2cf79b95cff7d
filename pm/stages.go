package pm

import (
	"net/http"
	"runtime/metrics"
	"time"

	"github.com/fpmshm/fpmshm/internal/sys"
	"github.com/fpmshm/fpmshm/scoreboard"
)

// stages drives a worker's slot through PHP-FPM's request stages and
// measures each request's CPU time (the whole process's, as PHP-FPM
// measures its child's) and memory, which the access log reports too. With
// no recorder (the scoreboard turned off) every method does nothing.
//
// The process CPU clock is costly to read in a busy worker (it sums every
// thread of the process: several microseconds, more than all the
// scoreboard's updates together), so it is read at the end of a request
// only when cpuEvery has passed since the last reading, the granularity of
// PHP-FPM's own times() ticks. The CPU time reported for a request is the
// process's CPU use since that reading divided by the requests that ended
// in between: exact for a worker that serves a request now and then, an
// average over the last window for a busy one. It includes the accept and
// the reading of the request.
type stages struct {
	rec     recorder
	cpuMark cpuTimes  // the CPU clock at its last reading
	cpuAt   time.Time // when it was read
	since   int       // requests ended since then
	cpuLast cpuTimes  // CPU time per request over the last window
	memLast uint64    // the memory of the last request
	sample  [1]metrics.Sample
}

// cpuTimes is CPU time used in user and in system mode.
type cpuTimes struct{ user, system time.Duration }

// total is user plus system time.
func (c cpuTimes) total() time.Duration { return c.user + c.system }

// cpuEvery is how often, at most, a worker reads its CPU clock.
const cpuEvery = 10 * time.Millisecond

// heapObjects is the runtime metric of the bytes held by heap objects,
// live or not yet collected.
const heapObjects = "/memory/classes/heap/objects:bytes"

func newStages(rec recorder) *stages {
	s := &stages{rec: rec, cpuMark: cpuTime(), cpuAt: time.Now()}
	s.sample[0].Name = heapObjects
	return s
}

// accepting marks the worker idle, waiting for a connection.
func (s *stages) accepting() {
	if s.rec != nil {
		s.rec.Accepting()
	}
}

// begin starts a request: reading its headers.
func (s *stages) begin() {
	if s.rec == nil {
		return
	}
	s.rec.ReadingHeaders()
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
	s.since++
	if time.Since(s.cpuAt) >= cpuEvery {
		now, n := cpuTime(), time.Duration(s.since)
		s.cpuLast = cpuTimes{max(now.user-s.cpuMark.user, 0) / n, max(now.system-s.cpuMark.system, 0) / n}
		s.cpuMark, s.cpuAt, s.since = now, time.Now(), 0
	}
	s.memLast = s.heapInUse()
	s.rec.End(s.cpuLast.total(), s.memLast)
	s.rec.Finished()
}

// heapInUse returns the bytes of the Go heap's objects, the memory a
// request is reported with: what it left live or not yet collected, with
// whatever else the worker holds, as PHP-FPM reports the whole script's
// memory_get_peak_usage.
func (s *stages) heapInUse() uint64 {
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
