package status

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/scoreboard"
)

var errShm = errors.New("scoreboard: attach: no such segment")

func failing() Source {
	return SourceFunc(func(bool) (scoreboard.Snapshot, error) { return scoreboard.Snapshot{}, errShm })
}

// phpErrorHeaders are the headers of php-fpm's 500 reply.
var phpErrorHeaders = [][2]string{
	{"Content-type", "text/plain;charset=UTF-8"},
	{"Expires", "Thu, 01 Jan 1970 00:00:00 GMT"},
	{"Cache-Control", "no-cache, no-store, must-revalidate, max-age=0"},
}

// TestHandlerError checks php-fpm's reply when the scoreboard cannot be
// read, or holds negative counts: 500, its text, and the error logged.
func TestHandlerError(t *testing.T) {
	negative := sampleSnapshot(1)
	negative.Pool.Active = -1
	sources := map[string]Source{
		"failing":  failing(),
		"negative": fixed(negative),
		"nil":      nil,
	}
	for name, src := range sources {
		for _, method := range []string{"GET", "HEAD"} {
			t.Run(name+"/"+method, func(t *testing.T) {
				var log bytes.Buffer
				h := &Handler{Source: src, PHPHeaderCase: true, Logger: slog.New(slog.NewTextHandler(&log, nil))}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(method, "/status?json&full", nil))
				if rec.Code != http.StatusInternalServerError {
					t.Errorf("status %d, want 500", rec.Code)
				}
				checkHeaders(t, rec.Header(), phpErrorHeaders, true)
				wantBody := "Internal error. Please review log file for errors."
				if method == "HEAD" {
					wantBody = ""
				}
				if rec.Body.String() != wantBody {
					t.Errorf("body %q, want %q", rec.Body, wantBody)
				}
				if !strings.Contains(log.String(), "unable to find or access status shared memory") {
					t.Errorf("error not logged: %q", log.String())
				}
			})
		}
	}
	var log bytes.Buffer
	h := &Handler{Source: failing(), Logger: slog.New(slog.NewTextHandler(&log, nil))}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/status", nil))
	if !strings.Contains(log.String(), errShm.Error()) {
		t.Errorf("the source's error is not in the log: %q", log.String())
	}
}

// TestHandlerHead checks that HEAD gets the headers of GET and no body.
func TestHandlerHead(t *testing.T) {
	for _, s := range samples() {
		rec := httptest.NewRecorder()
		(&Handler{Source: fixed(s.snap)}).ServeHTTP(rec, httptest.NewRequest("HEAD", "/status?"+s.query, nil))
		want := readGolden(t, goldenDir(PHP84)+"/"+s.name+".txt")
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("%s: status %d, body %q", s.name, rec.Code, rec.Body)
		}
		checkHeaders(t, rec.Header(), want.headers, false)
	}
}

// TestHandlerFullFlag checks that the Source is asked for the processes
// exactly when the page shows them.
func TestHandlerFullFlag(t *testing.T) {
	for raw, want := range map[string]bool{"": false, "full": true, "json&full": true, "openmetrics": false, "openmetrics&full": true} {
		var asked []bool
		src := SourceFunc(func(full bool) (scoreboard.Snapshot, error) {
			asked = append(asked, full)
			return sampleSnapshot(1), nil
		})
		(&Handler{Source: src}).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/status?"+raw, nil))
		if len(asked) != 1 || asked[0] != want {
			t.Errorf("?%s: Source asked %v, want [%v]", raw, asked, want)
		}
	}
}

// TestPingGolden compares the ping reply with php-fpm 8.2's.
func TestPingGolden(t *testing.T) {
	want := readGolden(t, "ping.txt")
	for _, phpCase := range []bool{false, true} {
		for _, method := range []string{"GET", "HEAD"} {
			rec := httptest.NewRecorder()
			p := Ping("pong")
			p.PHPHeaderCase = phpCase
			p.ServeHTTP(rec, httptest.NewRequest(method, "/ping", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("%s: status %d", method, rec.Code)
			}
			checkHeaders(t, rec.Header(), want.headers, phpCase)
			wantBody := string(want.body)
			if method == "HEAD" {
				wantBody = ""
			}
			if rec.Body.String() != wantBody {
				t.Errorf("%s: body %q, want %q", method, rec.Body, wantBody)
			}
		}
	}
	rec := httptest.NewRecorder()
	(&PingHandler{}).ServeHTTP(rec, httptest.NewRequest("GET", "/ping", nil))
	if rec.Body.String() != "pong" {
		t.Errorf("default response %q", rec.Body)
	}
	rec = httptest.NewRecorder()
	Ping("alive\n").ServeHTTP(rec, httptest.NewRequest("GET", "/ping", nil))
	if rec.Body.String() != "alive\n" {
		t.Errorf("custom response %q", rec.Body)
	}
}

// TestRenderWriteError checks that Render returns the writer's error.
func TestRenderWriteError(t *testing.T) {
	err := Render(failWriter{}, sampleSnapshot(1), Options{})
	if !errors.Is(err, os.ErrClosed) {
		t.Errorf("Render = %v, want the writer's error", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

var _ io.Writer = failWriter{}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
