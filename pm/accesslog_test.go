package pm

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// TestAccessLogFastCGI: a request served over FastCGI is logged in
// access.format with what the web server passed and what the handler
// answered.
func TestAccessLogFastCGI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	format := `%R %u %m %r%Q%q %f %l %s %{HTTP_HOST}e %{X-Test}o %n %p %P %%`
	access, err := newAccessLog(fd, format, "www", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer access.Close()

	s := newTestFCGIServer(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		w.WriteHeader(http.StatusCreated)
	}, nil)
	s.access = access
	c, done := serveOne(t, s)
	out, _ := fcgiRequest(t, fcgitest.NewClient(c), 1, false, map[string]string{
		"REQUEST_METHOD": "POST", "SCRIPT_NAME": "/index.php", "SCRIPT_FILENAME": "/srv/index.php",
		"QUERY_STRING": "a=1", "REQUEST_URI": "/index.php?a=1", "CONTENT_LENGTH": "5", "SERVER_PROTOCOL": "HTTP/1.1",
		"REMOTE_ADDR": "192.0.2.7", "REMOTE_USER": "mallory", "HTTP_HOST": "example.test",
		"HTTP_AUTHORIZATION": "Basic YWxpY2U6c2VjcmV0", // alice:secret
	}, "hello")
	if !strings.HasPrefix(out, "Status: 201") {
		t.Fatalf("response %q", out)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "127.0.0.1 alice POST /index.php?a=1 /srv/index.php 5 201 example.test yes www " +
		strconv.Itoa(os.Getpid()) + " " + strconv.Itoa(os.Getppid()) + " %\n"
	if string(b) != want {
		t.Errorf("access log\n%q\nwant\n%q", b, want)
	}
}

// TestAccessLogPool: every worker of a pool appends its requests to
// access.log, one whole line each; after the file is moved away, SIGUSR1
// makes the master open a new one at the path and the new workers write
// there.
func TestAccessLogPool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 3, AccessLog: path, AccessFormat: "%m %r%Q%q %s %p"})
	pids := p.waitProcs(3, 10*time.Second)
	l := p.startLoad(6, "/?d=1ms")
	time.Sleep(500 * time.Millisecond)
	l.end()
	l.check(t)
	lines := readLines(t, path)
	if int64(len(lines)) != l.ok.Load() {
		t.Fatalf("%d lines in the access log for %d requests answered", len(lines), l.ok.Load())
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pid, _ := strconv.Atoi(f[len(f)-1])
		if len(f) != 4 || f[0] != "GET" || f[1] != "/?d=1ms" || f[2] != "200" || !slices.Contains(pids, pid) {
			t.Fatalf("access log line %q, want GET /?d=1ms 200 and a worker's pid %v", line, pids)
		}
	}

	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGUSR1)
	p.waitFor("requests logged in the reopened access log", 10*time.Second, func() bool {
		if code, _, err := p.get("/?after=rotation"); err != nil || code != 200 {
			t.Fatalf("request after SIGUSR1: %d %v", code, err)
		}
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), "GET /?after=rotation 200")
	})
	if n := len(readLines(t, path+".1")); n < len(lines) {
		t.Errorf("the rotated file has %d lines, fewer than the %d written before", n, len(lines))
	}
}

// readLines returns the lines of the file at path.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a whole line: %q", path, b)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestLogsThatCannotBeOpened: an access.log or slowlog the master cannot
// open stops the pool from starting (or a reload from taking effect) with
// an error naming the directive and wrapping the cause; nothing stays open.
func TestLogsThatCannotBeOpened(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-dir", "x.log")
	fine := filepath.Join(t.TempDir(), "fine.log")
	for _, c := range []Config{{AccessLog: missing}, {AccessLog: fine, Slowlog: missing}} {
		_, _, err := c.spawnSettings(os.Geteuid())
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%+v: %v, want an error wrapping ErrNotExist", c, err)
		}
	}
}
