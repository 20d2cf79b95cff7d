package pm

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
	"github.com/fpmshm/fpmshm/scoreboard"
)

// dialFastCGI opens a FastCGI connection to the pool.
func (p *testPool) dialFastCGI() *fcgitest.Client {
	p.t.Helper()
	return dialFastCGI(p.t, p.cfg.Listen)
}

// dialFastCGI opens a FastCGI connection to addr, closed when the test
// ends, and fails the test if it cannot.
func dialFastCGI(t testing.TB, addr string) *fcgitest.Client {
	t.Helper()
	cl, err := fcgitest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// keptGet sends GET / as request id on cl, keeping the connection, and
// fails the test unless the handler answers.
func keptGet(t *testing.T, cl *fcgitest.Client, id uint16) {
	t.Helper()
	req := fcgitest.Get("/", "")
	req.ID, req.KeepConn = id, true
	resp, err := cl.Do(req)
	if err != nil || !strings.HasPrefix(string(resp.Body), "ok ") {
		t.Fatalf("request %d on a kept connection: %v %v", id, resp, err)
	}
}

// sendParams sends FCGI_BEGIN_REQUEST (no FCGI_KEEP_CONN) and the
// FCGI_PARAMS of request 1 to GET uri (POST with a body of bodyLen bytes
// when bodyLen > 0), leaving FCGI_STDIN to the caller.
func sendParams(t *testing.T, cl *fcgitest.Client, uri string, bodyLen int) {
	t.Helper()
	path, query, _ := strings.Cut(uri, "?")
	params := fcgitest.Get(path, query).Params
	if bodyLen > 0 {
		params["REQUEST_METHOD"], params["CONTENT_LENGTH"] = "POST", strconv.Itoa(bodyLen)
	}
	var b []byte
	for k, v := range params {
		b = fcgi.AppendPair(b, k, v)
	}
	for _, rec := range []struct {
		typ     uint8
		content []byte
	}{
		{fcgi.TypeBeginRequest, []byte{0, fcgi.RoleResponder, 0, 0, 0, 0, 0, 0}},
		{fcgi.TypeParams, b},
		{fcgi.TypeParams, nil},
	} {
		if err := cl.WriteRecord(rec.typ, 1, rec.content); err != nil {
			t.Fatal(err)
		}
	}
}

// heldPools are the pools a held connection must not take off the air:
// each starts with one worker, which the held connection takes.
var heldPools = []struct {
	name   string
	cfg    Config
	within time.Duration // the other client is served within this
}{
	{"ondemand", Config{PM: Ondemand, MaxChildren: 4}, time.Second},
	{"dynamic", Config{PM: Dynamic, MaxChildren: 4, StartServers: 1, MinSpareServers: 1, MaxSpareServers: 1}, time.Second},
}

// servedWhileHeld checks that, while a connection holds one worker, the
// status shows that worker active (Reading headers) and another client is
// served within the pool's bound.
func servedWhileHeld(t *testing.T, p *testPool, within time.Duration) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // for the worker to take the connection
	start := time.Now()
	p.client.Timeout = within + 5*time.Second
	code, body, err := p.get("/")
	if took := time.Since(start); err != nil || code != 200 || took > within {
		t.Errorf("another client while a connection is held: %d %q %v after %v, want an answer within %v", code, body, err, took, within)
	}
	held := 0
	s := p.snap()
	for _, pr := range s.Procs {
		if pr.Stage == scoreboard.ReadingHead {
			held++
		}
	}
	if held != 1 || s.Pool.Active < 1 {
		t.Errorf("status while a connection is held: %d workers Reading headers, %d active; want the held worker active", held, s.Pool.Active)
	}
}

// TestSilentConnectionHoldsNoPool: a FastCGI connection that sends nothing
// holds its worker as Reading headers, so the pool serves others.
func TestSilentConnectionHoldsNoPool(t *testing.T) {
	for _, pc := range heldPools {
		t.Run(pc.name, func(t *testing.T) {
			p := startPool(t, pc.cfg)
			if pc.cfg.PM == Ondemand {
				p.get("/") // the first worker
			}
			p.waitProcs(1, 5*time.Second)
			p.dialFastCGI()
			servedWhileHeld(t, p, pc.within)
		})
	}
}

// TestKeptConnectionHoldsNoPool: a connection kept open after its request
// (FCGI_KEEP_CONN) holds its worker as Reading headers, as PHP-FPM's.
func TestKeptConnectionHoldsNoPool(t *testing.T) {
	for _, pc := range heldPools {
		t.Run(pc.name, func(t *testing.T) {
			p := startPool(t, pc.cfg)
			if pc.cfg.PM == Ondemand {
				p.get("/")
			}
			p.waitProcs(1, 5*time.Second)
			cl := p.dialFastCGI()
			keptGet(t, cl, 1)
			servedWhileHeld(t, p, pc.within)
			keptGet(t, cl, 2)
		})
	}
}

// TestFirstByteTimeout: a connection that sends no request is closed after
// request_first_byte_timeout, new or kept, and its worker serves again.
func TestFirstByteTimeout(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RequestFirstByteTimeout: 300 * time.Millisecond})
	p.waitProcs(1, 5*time.Second)
	for _, kept := range []bool{false, true} {
		cl := p.dialFastCGI()
		if kept {
			keptGet(t, cl, 1)
		}
		start := time.Now()
		cl.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := cl.Conn.Read(make([]byte, 1))
		if took := time.Since(start); n != 0 || !errors.Is(err, io.EOF) || took < 250*time.Millisecond || took > 2*time.Second {
			t.Errorf("kept %v: a silent connection read %d, %v after %v; want it closed after about 300ms", kept, n, err, took)
		}
		if code, body, err := p.get("/"); err != nil || code != 200 {
			t.Errorf("kept %v: the worker after dropping a silent connection: %d %q %v", kept, code, body, err)
		}
	}
}

// TestGracefulStopWithSilentClient: SIGQUIT with a connection that has
// begun no request: the worker hangs it up and the master is gone within
// a second.
func TestGracefulStopWithSilentClient(t *testing.T) {
	for _, how := range []string{"new", "kept", "http"} {
		t.Run(how, func(t *testing.T) {
			p := startPool(t, Config{PM: Static, MaxChildren: 1})
			p.waitProcs(1, 5*time.Second)
			var c net.Conn
			switch how {
			case "http":
				var err error
				if c, err = net.Dial("unix", p.cfg.HTTPListen); err != nil {
					t.Fatal(err)
				}
				defer c.Close()
			case "kept":
				cl := p.dialFastCGI()
				keptGet(t, cl, 1)
				c = cl.Conn
			default:
				c = p.dialFastCGI().Conn
			}
			p.waitFor("the worker to hold the connection", 2*time.Second, func() bool { return p.snap().Pool.Active == 1 })
			start := time.Now()
			p.signal(syscall.SIGQUIT)
			select {
			case err := <-p.exited:
				p.exited <- err
				if err != nil {
					t.Errorf("master after SIGQUIT: %v", err)
				}
				if took := time.Since(start); took > time.Second {
					t.Errorf("the master took %v to stop, want at most a second", took)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("the master did not exit within 5s of SIGQUIT with a silent client")
			}
			c.SetReadDeadline(time.Now().Add(time.Second))
			if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
				t.Errorf("the silent client's connection after the stop: read %d, %v; want it closed", n, err)
			}
		})
	}
}

// readMark waits for the file a handler writes when its request's context
// is cancelled (testHandler's ?wait=ctx&mark=PATH).
func readMark(t *testing.T, path string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the handler did not see its context cancelled within %v", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestContextCancelledOnAbort: a handler's r.Context() is cancelled when
// the web server aborts the request (FCGI_ABORT_REQUEST) while it reads
// the body or after it, and when the web server hangs up while it runs.
func TestContextCancelledOnAbort(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 1})
	p.waitProcs(1, 5*time.Second)
	dir := t.TempDir()

	t.Run("abort", func(t *testing.T) {
		mark := filepath.Join(dir, "abort")
		cl := p.dialFastCGI()
		sendParams(t, cl, "/?wait=ctx&mark="+mark, 100)
		cl.WriteRecord(fcgi.TypeStdin, 1, []byte("part of the body"))
		time.Sleep(100 * time.Millisecond)
		cl.WriteRecord(fcgi.TypeAbortRequest, 1, nil)
		if got := readMark(t, mark, 5*time.Second); !strings.HasPrefix(got, "cancelled") {
			t.Errorf("handler after FCGI_ABORT_REQUEST: %s", got)
		}
		cl.Close()
	})
	t.Run("abort after the body", func(t *testing.T) {
		mark := filepath.Join(dir, "abort-after")
		cl := p.dialFastCGI()
		sendParams(t, cl, "/?wait=ctx&mark="+mark, 0)
		cl.WriteRecord(fcgi.TypeStdin, 1, nil)
		p.waitFor("the request to run", 2*time.Second, func() bool { return p.snap().Pool.Active == 1 })
		time.Sleep(100 * time.Millisecond)
		cl.WriteRecord(fcgi.TypeAbortRequest, 1, nil)
		if got := readMark(t, mark, 5*time.Second); !strings.HasPrefix(got, "cancelled") {
			t.Errorf("handler after FCGI_ABORT_REQUEST following the body: %s", got)
		}
		cl.Close()
	})
	t.Run("hangup", func(t *testing.T) {
		mark := filepath.Join(dir, "hangup")
		cl := p.dialFastCGI()
		sendParams(t, cl, "/?wait=ctx&mark="+mark, 0)
		cl.WriteRecord(fcgi.TypeStdin, 1, nil)
		p.waitFor("the request to run", 2*time.Second, func() bool { return p.snap().Pool.Active == 1 })
		time.Sleep(100 * time.Millisecond)
		cl.Close()
		if got := readMark(t, mark, 5*time.Second); !strings.HasPrefix(got, "cancelled") {
			t.Errorf("handler after the web server hung up: %s", got)
		}
	})
}

// TestContextCancelledOnTerminateTimeout: past request_terminate_timeout
// the worker gets SIGTERM and cancels the request's context, over FastCGI
// and over HTTP, before the master kills it.
func TestContextCancelledOnTerminateTimeout(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RequestTerminateTimeout: time.Second})
	p.waitProcs(1, 5*time.Second)
	dir := t.TempDir()
	t.Run("fastcgi", func(t *testing.T) {
		mark := filepath.Join(dir, "fcgi")
		cl := p.dialFastCGI()
		start := time.Now()
		resp, err := cl.Do(fcgitest.Get("/", "wait=ctx&mark="+mark))
		if got := readMark(t, mark, 5*time.Second); !strings.HasPrefix(got, "cancelled") {
			t.Errorf("handler past request_terminate_timeout: %s", got)
		}
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("the request ended after %v (%v, %v), want about 1s to 2s", took, resp, err)
		}
	})
	p.waitProcs(1, 5*time.Second)
	t.Run("http", func(t *testing.T) {
		mark := filepath.Join(dir, "http")
		p.get("/?wait=ctx&mark=" + mark)
		if got := readMark(t, mark, 5*time.Second); !strings.HasPrefix(got, "cancelled") {
			t.Errorf("handler past request_terminate_timeout: %s", got)
		}
	})
}

// TestDynamicSpawnsAtOnceForHeldWorker: a dynamic pool that runs short of
// idle workers because a connection holds its only idle one spawns within
// a few tenths of a second, whenever in the maintenance's second the
// shortage begins (PHP-FPM's once-a-second look alone takes up to a
// second): three shortages in a row are each met within the bound.
func TestDynamicSpawnsAtOnceForHeldWorker(t *testing.T) {
	p := startPool(t, Config{PM: Dynamic, MaxChildren: 4, StartServers: 1, MinSpareServers: 1, MaxSpareServers: 1})
	p.waitProcs(1, 5*time.Second)
	const bound = 600 * time.Millisecond // the look every 100 ms, a worker's start, the test's 50 ms polls
	for round := range 3 {
		cl := p.dialFastCGI()
		start := time.Now()
		p.waitProcs(2, 5*time.Second)
		if took := time.Since(start); took > bound {
			t.Errorf("round %d: the pool took %v to spawn for a held worker, want at most %v", round, took, bound)
		}
		cl.Close()
		p.waitProcs(1, 5*time.Second) // the spare one is stopped at a maintenance
		time.Sleep(time.Duration(round+1) * 300 * time.Millisecond)
	}
}
