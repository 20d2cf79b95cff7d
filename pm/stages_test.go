package pm

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// cpuRecorder keeps the CPU time of each End.
type cpuRecorder struct{ cpu []time.Duration }

func (c *cpuRecorder) Accepting()                           {}
func (c *cpuRecorder) ReadingHeaders()                      {}
func (c *cpuRecorder) RequestInfo(scoreboard.RequestInfo)   {}
func (c *cpuRecorder) Executing()                           {}
func (c *cpuRecorder) End(cpu time.Duration, memory uint64) { c.cpu = append(c.cpu, cpu) }
func (c *cpuRecorder) Finished()                            {}

// spin uses about d of CPU time.
func spin(d time.Duration) {
	for start := cpuTime().total(); cpuTime().total()-start < d; {
	}
}

// TestStagesCPU checks how a request's CPU time is reported: measured when
// the CPU clock is due, the last window's average per request otherwise.
func TestStagesCPU(t *testing.T) {
	rec := &cpuRecorder{}
	st := newStages(rec)
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}}
	request := func(work time.Duration) {
		st.begin()
		st.info(r, "/", "", "")
		spin(work)
		st.end()
	}
	time.Sleep(cpuEvery)
	request(20 * time.Millisecond) // the clock is due: measured
	request(0)                     // not due: the same figure again
	time.Sleep(2 * cpuEvery)       // idle: no CPU
	request(6 * time.Millisecond)  // due: 6 ms over the two requests since the reading
	if len(rec.cpu) != 3 {
		t.Fatalf("%d End calls, want 3", len(rec.cpu))
	}
	if rec.cpu[0] < 20*time.Millisecond || rec.cpu[0] > 60*time.Millisecond {
		t.Errorf("a 20 ms request reported %v of CPU", rec.cpu[0])
	}
	if rec.cpu[1] != rec.cpu[0] {
		t.Errorf("a request ended before the clock was due reported %v, want the window's %v", rec.cpu[1], rec.cpu[0])
	}
	if rec.cpu[2] < 3*time.Millisecond || rec.cpu[2] > 15*time.Millisecond {
		t.Errorf("6 ms over two requests reported %v per request, want about 3 ms", rec.cpu[2])
	}
}
