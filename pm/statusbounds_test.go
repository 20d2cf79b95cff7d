//go:build linux

package pm

import (
	"bytes"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

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
			fcgitest.WriteRecord(&buf, fcgi.TypeBeginRequest, 1, []byte{0, fcgi.RoleResponder, 0, 0, 0, 0, 0, 0})
			pair := append([]byte{1, 0x8f, 0xff, 0xff, 0xff, 'X'}, make([]byte, 65535-6)...)
			fcgitest.WriteRecord(&buf, fcgi.TypeParams, 1, pair)
			var record bytes.Buffer
			fcgitest.WriteRecord(&record, fcgi.TypeParams, 1, make([]byte, 65535))
			chunk := record.Bytes()
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
