package accesslog

import (
	"bytes"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// recorder is a file that keeps each write, or fails it while fail is set.
type recorder struct {
	writes []string
	fail   bool
	closed bool
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.fail {
		return 0, &os.PathError{Op: "write", Path: "access.log", Err: syscall.ENOSPC}
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) Close() error {
	r.closed = true
	return nil
}

// TestLogWrite: each entry is one write of one line, completed with the
// pool, the pids and the request's duration; an entry whose line is empty
// writes nothing; a failing write is logged once until writes succeed
// again.
func TestLogWrite(t *testing.T) {
	f, err := ParseFormat("%n %p %P %m %{micro}d")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	file := &recorder{}
	l := New(file, f, "www", slog.New(slog.NewTextHandler(&logged, nil)))

	began := time.Now().Add(-time.Second)
	e := &Entry{Method: "GET", Accepted: began}
	l.Write(e)
	pids := strconv.Itoa(os.Getpid()) + " " + strconv.Itoa(os.Getppid())
	if len(file.writes) != 1 || !strings.HasPrefix(file.writes[0], "www "+pids+" GET ") || !strings.HasSuffix(file.writes[0], "\n") {
		t.Fatalf("writes %q, want one line of pool www, pids %s and GET", file.writes, pids)
	}
	if e.Duration < time.Second || !e.Finished.After(began) {
		t.Errorf("entry's duration %v and end %v, want at least 1s after %v", e.Duration, e.Finished, began)
	}

	empty, err := ParseFormat("%q")
	if err != nil {
		t.Fatal(err)
	}
	New(file, empty, "www", slog.New(slog.DiscardHandler)).Write(&Entry{})
	if len(file.writes) != 1 {
		t.Errorf("an empty line was written: %q", file.writes[1:])
	}

	file.fail = true
	l.Write(&Entry{Method: "GET"})
	l.Write(&Entry{Method: "GET"})
	if n := strings.Count(logged.String(), "write to the access log"); n != 1 {
		t.Errorf("two failed writes logged %d times, want once:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), syscall.ENOSPC.Error()) {
		t.Errorf("the failure logged does not give its cause: %s", logged.String())
	}
	file.fail = false
	l.Write(&Entry{Method: "GET"})
	file.fail = true
	l.Write(&Entry{Method: "GET"})
	if n := strings.Count(logged.String(), "write to the access log"); n != 2 {
		t.Errorf("a failure after a success logged %d failures in all, want 2", n)
	}
	if len(file.writes) != 2 {
		t.Errorf("%d lines written, want 2", len(file.writes))
	}

	if err := l.Close(); err != nil || !file.closed {
		t.Errorf("Close: %v; the file closed: %v", err, file.closed)
	}
}
