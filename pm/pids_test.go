//go:build linux

package pm

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fpmshm/fpmshm/status/promcollector"
)

// TestNoPIDZeroWhileSpawning: while bursts make a dynamic pool spawn (and
// pm.max_requests makes it replace its workers without pause), the status
// page's full JSON and a Prometheus collector gathered in a loop never list
// pid 0 nor the same pid twice, and Gather never fails.
func TestNoPIDZeroWhileSpawning(t *testing.T) {
	p := startPool(t, Config{PM: Dynamic, MaxChildren: 6, StartServers: 1, MinSpareServers: 1, MaxSpareServers: 2, MaxRequests: 3})
	p.waitProcs(1, 10*time.Second)

	var (
		mu       sync.Mutex
		bad      []string
		looks    atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		reported = func(format string, args ...any) {
			mu.Lock()
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf(format, args...))
			}
			mu.Unlock()
		}
	)
	checkPIDs := func(where string, pids []int) {
		looks.Add(1)
		seen := map[int]bool{}
		for _, pid := range pids {
			if pid <= 0 || seen[pid] {
				reported("%s lists pids %v", where, pids)
				return
			}
			seen[pid] = true
		}
	}
	loop := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f()
			}
		}()
	}
	loop(func() { // the status page, served by a worker
		code, body, err := p.get("/status?full&json")
		if err != nil || code != 200 {
			return // a busy pool may turn it away; the load checks service
		}
		var page struct {
			Processes []struct {
				PID int `json:"pid"`
			} `json:"processes"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			reported("status page: %v: %q", err, body)
			return
		}
		var pids []int
		for _, pr := range page.Processes {
			pids = append(pids, pr.PID)
		}
		checkPIDs("the status page", pids)
	})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(promcollector.NewCollector(p.board, promcollector.CollectorOpts{}))
	loop(func() { // a scrape, reading the segment as a tool does
		mfs, err := reg.Gather()
		if err != nil {
			reported("Gather: %v", err)
			return
		}
		var pids []int
		for _, mf := range mfs {
			if mf.GetName() != "phpfpm_process_state" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "pid" {
						var pid int
						fmt.Sscan(l.GetValue(), &pid)
						pids = append(pids, pid)
					}
				}
			}
		}
		checkPIDs("a scrape", pids)
		time.Sleep(200 * time.Microsecond)
	})

	for range 3 { // bursts: the pool grows, then shrinks back
		l := p.startLoad(6, "/?d=20ms")
		time.Sleep(1500 * time.Millisecond)
		l.end()
		l.check(t)
		time.Sleep(500 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for _, b := range bad {
		t.Error(b)
	}
	if looks.Load() < 100 {
		t.Errorf("only %d looks at the pids", looks.Load())
	}
	t.Logf("%d looks at the pids", looks.Load())
}
