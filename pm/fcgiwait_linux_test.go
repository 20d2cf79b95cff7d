package pm

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
)

// TestStrayRecordsDoNotHoldWorker: a client that trickles records that
// begin no request (FCGI_GET_VALUES, records of requests never begun or
// already ended), one every 100ms, on a new connection or a kept one, is
// closed when request_first_byte_timeout has passed since the worker began
// to wait, with a log line; a client waiting meanwhile is served then. One
// that falls silent after such records is closed at the same time, not a
// read's timeout later.
func TestStrayRecordsDoNotHoldWorker(t *testing.T) {
	const limit = time.Second
	errLog := filepath.Join(t.TempDir(), "error.log")
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RequestFirstByteTimeout: limit, ErrorLog: errLog})
	p.waitProcs(1, 10*time.Second)
	for _, tc := range []struct {
		name    string
		typ     uint8
		id      uint16
		content []byte
		kept    bool
		records int // how many to send; 0: until the connection is closed
	}{
		{"get_values", fcgi.TypeGetValues, 0, fcgi.AppendPair(nil, "FCGI_MAX_CONNS", ""), false, 0},
		{"other_request", fcgi.TypeStdin, 9, []byte("x"), false, 0},
		{"kept_get_values", fcgi.TypeGetValues, 0, fcgi.AppendPair(nil, "FCGI_MPXS_CONNS", ""), true, 0},
		{"kept_aborts", fcgi.TypeAbortRequest, 9, nil, true, 0},
		{"then_silent", fcgi.TypeGetValues, 0, nil, false, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := p.dialFastCGI()
			if tc.kept {
				keptGet(t, cl, 1)
			}
			start := time.Now()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for n := 1; cl.WriteRecord(tc.typ, tc.id, tc.content) == nil && n != tc.records; n++ {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
			}()
			served := make(chan error, 1)
			go func() {
				other, err := fcgitest.Dial(p.cfg.Listen)
				if err != nil {
					served <- err
					return
				}
				defer other.Close()
				_, err = other.Do(fcgitest.Get("/index.php", ""))
				served <- err
			}()
			err := cl.Closed()
			took := time.Since(start)
			if err != nil || took > limit+400*time.Millisecond {
				t.Fatalf("the trickling client's connection: %v after %v; want it closed after %v", err, took, limit)
			}
			if took < limit-100*time.Millisecond {
				t.Errorf("the trickling client was closed after %v, before request_first_byte_timeout (%v)", took, limit)
			}
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("the client waiting meanwhile: %v", err)
				}
			case <-time.After(2 * time.Second):
				t.Errorf("the client waiting meanwhile was not served within 2s of the trickling one's close")
			}
		})
	}
	b, _ := os.ReadFile(errLog)
	if n := bytes.Count(b, []byte("no FCGI_BEGIN_REQUEST within 1s")); n != 5 {
		t.Errorf("%d log lines for the closed connections, want 5, in:\n%s", n, b)
	}
}

// TestStrayRecordsThenStalledBody: after records that begin no request
// have made the worker bound its wait, the request that follows is bounded
// as any other: its body stalling, the worker answers and closes the
// connection within request_first_byte_timeout.
func TestStrayRecordsThenStalledBody(t *testing.T) {
	const limit = time.Second
	p := startPool(t, Config{PM: Static, MaxChildren: 1, RequestFirstByteTimeout: limit})
	p.waitProcs(1, 10*time.Second)
	cl := p.dialFastCGI()
	for range 3 {
		if err := cl.WriteRecord(fcgi.TypeGetValues, 0, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sendParams(t, cl, "/", 10)
	if err := cl.WriteRecord(fcgi.TypeStdin, 1, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := cl.Closed()
	if took := time.Since(start); err != nil || took > limit+400*time.Millisecond {
		t.Errorf("a request whose body stalls after records that began none: closed %v after %v, want it closed after %v", err, took, limit)
	}
	servedOK(t, p.cfg.Listen)
}
