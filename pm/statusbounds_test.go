//go:build linux

package pm

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rssKiB returns the resident set size of process pid, in KiB.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmRSS line %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// fcgiHeader is a FastCGI record header for a record of n bytes.
func fcgiHeader(typ uint8, id uint16, n int) []byte {
	return []byte{1, typ, byte(id >> 8), byte(id), byte(n >> 8), byte(n), 0, 0}
}

// TestStatusListenBounded: silent connections and connections flooding
// FCGI_PARAMS at pm.status_listen neither grow the master, which often
// runs as root, nor keep it from answering the status page for long.
func TestStatusListenBounded(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "status.sock")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, StatusListen: sock})
	p.waitProcs(1, 10*time.Second)
	master := p.cmd.Process.Pid
	askStatus(t, sock) // the master's status path warmed up
	before := rssKiB(t, master)

	const silent, floods = 64, 4
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range silent {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for range floods {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() { // a request whose parameters never end: 64 MiB of them
			defer wg.Done()
			var buf bytes.Buffer
			buf.Write(fcgiHeader(typeBeginRequest, 1, 8))
			buf.Write([]byte{0, roleResponder, 0, 0, 0, 0, 0, 0})
			pair := append([]byte{1, 0x8f, 0xff, 0xff, 0xff, 'X'}, make([]byte, 65535-6)...)
			buf.Write(fcgiHeader(typeParams, 1, len(pair)))
			buf.Write(pair)
			chunk := append(fcgiHeader(typeParams, 1, 65535), make([]byte, 65535)...)
			c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			n, err := c.Write(buf.Bytes())
			for i := 0; err == nil && i < 1024; i++ {
				var m int
				m, err = c.Write(chunk)
				n += m
			}
			mu.Lock()
			sent += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	after := rssKiB(t, master)
	t.Logf("the master's RSS went from %d KiB to %d KiB while %d silent connections waited and %d others sent %d MiB of parameters", before, after, silent, floods, sent>>20)
	if after-before > statusGrowthKiB {
		t.Errorf("the master grew by %d KiB", after-before)
	}

	began := time.Now()
	procs := askStatus(t, sock)
	t.Logf("the status page was answered after %v", time.Since(began))
	if len(procs) != 1 {
		t.Errorf("status page over pm.status_listen: %d processes, want 1", len(procs))
	}
}
