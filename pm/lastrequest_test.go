//go:build linux

package pm

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// askStatus asks the master's pm.status_listen at sock for the full JSON
// status page and returns its processes.
func askStatus(t *testing.T, sock string) []map[string]any {
	t.Helper()
	body := statusOverFastCGI(t, sock, "full&json")
	var page struct {
		Processes []map[string]any `json:"processes"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("status over pm.status_listen: %v: %q", err, body)
	}
	return page.Processes
}

// TestLastRequestFigures: the status page's "last request cpu" is the CPU
// time of that request over its wall time, in percent, and "last request
// memory" the bytes it allocated, each request's own whatever came before
// it: a CPU spin reads about 100, a sleep about 0, a ping at most 100 per
// core, a request allocating 10 MiB at least that, and a ping right after
// it little.
func TestLastRequestFigures(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "status.sock")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, StatusListen: sock})
	p.waitProcs(1, 10*time.Second)
	var spun float64 // the last spin's own share of the CPU, in percent
	last := func(path string) (cpu, mem float64) {
		t.Helper()
		resp, err := p.client.Get("http://pool" + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		spun, _ = strconv.ParseFloat(resp.Header.Get("X-Spin-Percent"), 64)
		var procs []map[string]any
		p.waitFor("the worker to be idle", 5*time.Second, func() bool {
			procs = askStatus(t, sock)
			return len(procs) == 1 && procs[0]["state"] == "Idle"
		})
		cpu, _ = procs[0]["last request cpu"].(float64)
		mem, _ = procs[0]["last request memory"].(float64)
		t.Logf("%s: last request cpu %.2f, memory %.0f (X-Spin-Percent %.2f)", path, cpu, mem, spun)
		return cpu, mem
	}
	pingMost := 100 * float64(runtime.NumCPU())
	// A spin reads about 100 on an idle machine; where other processes
	// take the CPU, about the share the spin itself measured.
	aboutSpin := func(cpu float64) bool { return cpu >= 0.8*spun && cpu <= pingMost }
	for range 3 {
		if cpu, _ := last("/?spin=300ms"); !aboutSpin(cpu) {
			t.Errorf("a request spinning for 300 ms of CPU: last request cpu %.2f, want about %.2f", cpu, spun)
		}
		if cpu, _ := last("/ping"); cpu > pingMost {
			t.Errorf("a ping right after a CPU spin: last request cpu %.2f, want at most %.0f", cpu, pingMost)
		}
		for range 5 {
			p.get("/ping")
		}
		if cpu, _ := last("/?spin=300ms"); !aboutSpin(cpu) {
			t.Errorf("a CPU spin right after pings: last request cpu %.2f, want about %.2f", cpu, spun)
		}
		if cpu, _ := last("/?d=300ms"); cpu > 5 {
			t.Errorf("a request sleeping 300 ms: last request cpu %.2f, want about 0", cpu)
		}
		if _, mem := last("/?alloc=10485760"); mem < 10<<20 {
			t.Errorf("a request allocating 10 MiB: last request memory %.0f", mem)
		}
		if cpu, mem := last("/ping"); mem > 1<<20 || cpu > pingMost {
			t.Errorf("a ping right after a request allocating 10 MiB: last request memory %.0f, want little; cpu %.2f, want at most %.0f", mem, cpu, pingMost)
		}
	}
}
