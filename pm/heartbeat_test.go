package pm

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHeartbeatEvery(t *testing.T) {
	for _, tt := range []struct {
		slow, term, want time.Duration
	}{
		{0, 0, 0},
		{time.Second, 0, time.Second / 3},
		{0, 30 * time.Second, 10 * time.Second},
		{5 * time.Second, time.Second, time.Second / 3},
		{100 * time.Millisecond, 0, minHeartbeat},
	} {
		c := Config{RequestSlowlogTimeout: tt.slow, RequestTerminateTimeout: tt.term}
		if got := heartbeatEvery(&c); got != tt.want {
			t.Errorf("slowlog %v, terminate %v: heartbeat %v, want %v", tt.slow, tt.term, got, tt.want)
		}
	}
}

// TestSlowRequestsEachCounted: with request_slowlog_timeout = 1s, each of
// six 1.5 s requests in a row is counted slow, warned of in the error log
// and traced in the slowlog, as in php-fpm 8.2, whose heartbeat (a third of
// the timeout) sees every request in its half second past the timeout. A
// once-a-second check sees every other one.
func TestSlowRequestsEachCounted(t *testing.T) {
	dir := t.TempDir()
	errLog, slowLog := filepath.Join(dir, "error.log"), filepath.Join(dir, "slow.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RequestSlowlogTimeout: time.Second, Slowlog: slowLog, ErrorLog: errLog})
	p.waitProcs(1, 10*time.Second)
	const n = 6
	for i := range n {
		if code, _, err := p.get("/?d=1500ms"); err != nil || code != 200 {
			t.Fatalf("request %d: %d %v", i, code, err)
		}
	}
	if got := p.snap().Pool.SlowRequests; got != n {
		t.Errorf("slow requests = %d, want %d", got, n)
	}
	b, _ := os.ReadFile(errLog)
	if got := strings.Count(string(b), "executing too slow"); got != n {
		t.Errorf("%d warnings of a slow request in the error log, want %d:\n%s", got, n, b)
	}
	p.waitFor("the traces in the slowlog", 5*time.Second, func() bool {
		b, _ := os.ReadFile(slowLog)
		return strings.Count(string(b), "]  [pool www] pid ") >= n
	})
	if b, _ := os.ReadFile(slowLog); strings.Count(string(b), "]  [pool www] pid ") != n {
		t.Errorf("%d traces in the slowlog, want %d", strings.Count(string(b), "]  [pool www] pid "), n)
	}
}

// TestTerminateTimeoutGranularity: with request_terminate_timeout = 1s, a
// request that honours its context ends within the timeout and a heartbeat
// (a third of it) and a little: four in a row, each on a worker started
// anew after the last one was ended. A once-a-second check lets each but
// the first run almost 2 s; on a busy machine one of the four may run
// late, so the bound holds for three of them.
func TestTerminateTimeoutGranularity(t *testing.T) {
	const term = time.Second
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RequestTerminateTimeout: term})
	bound := term + term/3 + 150*time.Millisecond // the timeout, a heartbeat, the exit
	dir := t.TempDir()
	var late []string
	for i := range 4 {
		p.waitProcs(1, 10*time.Second)
		mark := filepath.Join(dir, strconv.Itoa(i))
		start := time.Now()
		p.get("/?wait=ctx&mark=" + mark)
		took := time.Since(start)
		if got := readMark(t, mark, 5*time.Second); !strings.HasPrefix(got, "cancelled") {
			t.Fatalf("request %d: %s", i, got)
		}
		if took < term {
			t.Errorf("request %d ended after %v, before the timeout of %v", i, took, term)
		}
		if took > bound {
			late = append(late, fmt.Sprintf("request %d after %v", i, took))
		}
	}
	if len(late) > 1 {
		t.Errorf("%s: want each within %v", strings.Join(late, ", "), bound)
	}
}
