package pm

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
	"github.com/fpmshm/fpmshm/internal/testproc"
)

// rssKiB is the resident set size of process pid.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmRSS %q", v)
			}
			return n
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// maxGrowthKiB is how much a worker may grow while it serves a flood or a
// large body: a few MiB, what the race detector's shadow memory multiplies.
func maxGrowthKiB() int {
	if raceEnabled {
		return 16 << 10
	}
	return 4 << 10
}

// readLogFor reads the log at path once it holds want, or after 5s: the
// workers' lines reach it through the master (catch_workers_output).
func readLogFor(path, want string) []byte {
	var b []byte
	testproc.Poll(5*time.Second, 20*time.Millisecond, func() bool {
		b, _ = os.ReadFile(path)
		return bytes.Contains(b, []byte(want))
	})
	return b
}

// servedOK checks that the pool at addr answers a FastCGI request.
func servedOK(t *testing.T, addr string) {
	t.Helper()
	cl := dialFastCGI(t, addr)
	resp, err := cl.Do(fcgitest.Get("/index.php", ""))
	if err != nil || resp.Status != 200 || !bytes.HasPrefix(resp.Body, []byte("ok ")) {
		t.Fatalf("the next client: %+v %v", resp, err)
	}
}

// TestParamsFlood: a client sending 64 MiB of FCGI_PARAMS that never end
// gets 431 once request_max_header_bytes is passed and its connection is
// closed; the worker does not grow, logs the limit, and serves on.
func TestParamsFlood(t *testing.T) {
	errLog := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, ErrorLog: errLog, CatchWorkersOutput: true})
	pid := p.waitProcs(1, 10*time.Second)[0]
	servedOK(t, p.cfg.Listen)
	before := rssKiB(t, pid)

	cl := dialFastCGI(t, p.cfg.Listen)
	sent := make(chan int, 1)
	go func() {
		n := 0
		record := bytes.Repeat([]byte("h"), fcgi.MaxContent-7)
		err := cl.WriteRecord(fcgi.TypeBeginRequest, 1, []byte{0, fcgi.RoleResponder, 0, 0, 0, 0, 0, 0})
		pair := fcgi.AppendPair(nil, "HTTP_X_FLOOD", string(record[:fcgi.MaxContent-20]))
		for ; err == nil && n < 64<<20; n += len(pair) {
			err = cl.WriteRecord(fcgi.TypeParams, 1, pair)
		}
		sent <- n
	}()
	cl.Conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := cl.ReadResponse(1)
	if err != nil {
		t.Fatalf("the answer to a flood of parameters: %v", err)
	}
	if resp.Status != 431 {
		t.Errorf("a flood of parameters answered %d %q, want 431", resp.Status, resp.Stdout)
	}
	if err := cl.Closed(); err != nil {
		t.Errorf("the worker did not close the connection: %v", err)
	}
	n := <-sent
	after := rssKiB(t, pid)
	t.Logf("worker RSS %d KiB before, %d KiB after %d bytes of parameters", before, after, n)
	if after-before > maxGrowthKiB() {
		t.Errorf("the worker grew by %d KiB", after-before)
	}
	if got := p.pids(); len(got) != 1 || got[0] != pid {
		t.Errorf("workers %v after the flood, want %d", got, pid)
	}
	servedOK(t, p.cfg.Listen)
	b := readLogFor(errLog, "request_max_header_bytes=1048576")
	if !bytes.Contains(b, []byte("request_max_header_bytes=1048576")) {
		t.Errorf("no log line naming the limit in:\n%s", b)
	}
}

// TestMalformedRecordClosesConnection: a record of another version closes
// the connection, with a log line, and the next client is served.
func TestMalformedRecordClosesConnection(t *testing.T) {
	errLog := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, ErrorLog: errLog, CatchWorkersOutput: true})
	p.waitProcs(1, 10*time.Second)
	breakProtocol(t, p.cfg.Listen)
	servedOK(t, p.cfg.Listen)
	b := readLogFor(errLog, "broke the protocol")
	if !bytes.Contains(b, []byte("broke the protocol")) || !bytes.Contains(b, []byte("version 2")) {
		t.Errorf("no log line for the bad record in:\n%s", b)
	}
}

// TestBodyStreamed: the handler reads the body while the client is still
// sending it (the client waits for the handler's answer to the first MiB
// before it sends the rest), and the worker holds none of it: 64 MiB go
// through without growing it.
func TestBodyStreamed(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 1})
	pid := p.waitProcs(1, 10*time.Second)[0]
	servedOK(t, p.cfg.Listen)
	before := rssKiB(t, pid)
	cl := dialFastCGI(t, p.cfg.Listen)
	cl.Conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := fcgitest.Get("/index.php", "stream")
	req.Params["REQUEST_METHOD"], req.Params["CONTENT_LENGTH"] = "POST", strconv.Itoa(64<<20)
	body := &gatedBody{t: t, cl: cl, size: 64 << 20}
	req.Body = body
	if err := cl.Send(req); err != nil {
		t.Fatal(err)
	}
	out := body.first
	for {
		rec, err := cl.ReadRecord()
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type == fcgi.TypeEndRequest {
			break
		}
		out = append(out, rec.Content...)
	}
	if !bytes.HasPrefix(out, []byte("Status: 200 OK\r\n")) || !bytes.HasSuffix(out, []byte(fmt.Sprintf("MiB 64\ntotal %d\nok %d", 64<<20, pid))) {
		t.Errorf("response %.100q...%q", out, out[max(0, len(out)-100):])
	}
	after := rssKiB(t, pid)
	t.Logf("worker RSS %d KiB before, %d KiB after a body of 64 MiB", before, after)
	if after-before > maxGrowthKiB() {
		t.Errorf("the worker grew by %d KiB", after-before)
	}
}

// gatedBody is a body of size bytes that, after its first MiB, waits for
// the handler's "MiB 1" before giving the rest; first holds the response
// up to it.
type gatedBody struct {
	t     *testing.T
	cl    *fcgitest.Client
	size  int
	sent  int
	first []byte
}

func (b *gatedBody) Read(p []byte) (int, error) {
	if b.sent == b.size {
		return 0, io.EOF
	}
	if b.sent == 1<<20 {
		rec, err := b.cl.ReadRecord()
		if err != nil || rec.Type != fcgi.TypeStdout || !bytes.Contains(rec.Content, []byte("MiB 1\n")) {
			return 0, fmt.Errorf("no answer to the first MiB while the body is sent: %v %+v", err, rec)
		}
		b.first = rec.Content
		b.cl.Conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	n := min(len(p), b.size-b.sent, 1<<20-b.sent%(1<<20))
	for i := range p[:n] {
		p[i] = 'b'
	}
	b.sent += n
	return n, nil
}

// breakProtocol sends the FastCGI server at addr a record of version 2 and
// waits for the server to close the connection.
func breakProtocol(t *testing.T, addr string) {
	t.Helper()
	cl := dialFastCGI(t, addr)
	cl.Conn.Write([]byte{2, fcgi.TypeBeginRequest, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	if err := cl.Closed(); err != nil {
		t.Errorf("the worker did not close a connection of version 2: %v", err)
	}
}
