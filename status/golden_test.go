package status

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path"
	"testing"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// TestRenderGolden renders each php-fpm 8.2 sample's values and compares
// the bytes with what php-fpm 8.2 sent (testdata/php82, cut from
// /work/shared/spec) and with the same replies carrying 8.4's memory peak
// (testdata/php84).
func TestRenderGolden(t *testing.T) {
	for _, v := range []Version{PHP82, PHP84} {
		for _, s := range samples() {
			t.Run(v.String()+"/"+s.name, func(t *testing.T) {
				want := readGolden(t, path.Join(goldenDir(v), s.name+".txt"))
				q := ParseQuery(s.query)
				var got bytes.Buffer
				err := Render(&got, s.snap, Options{Format: q.Format, Full: q.Full, Version: v})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.body) {
					t.Errorf("body differs from php-fpm's\n got: %q\nwant: %q", got.Bytes(), want.body)
				}
			})
		}
	}
}

// TestHandlerGolden serves each sample through Handler and checks status,
// headers and body against php-fpm's reply; with PHPHeaderCase the header
// names must match byte for byte too.
func TestHandlerGolden(t *testing.T) {
	for _, phpCase := range []bool{false, true} {
		for _, v := range []Version{PHP82, PHP84} {
			for _, s := range samples() {
				name := v.String() + "/" + s.name
				if phpCase {
					name += "/phpcase"
				}
				t.Run(name, func(t *testing.T) {
					want := readGolden(t, path.Join(goldenDir(v), s.name+".txt"))
					h := &Handler{Source: fixed(s.snap), Version: v, PHPHeaderCase: phpCase}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest("GET", "/status?"+s.query, nil))
					if rec.Code != http.StatusOK {
						t.Fatalf("status %d, want 200", rec.Code)
					}
					checkHeaders(t, rec.Header(), want.headers, phpCase)
					if !bytes.Equal(rec.Body.Bytes(), want.body) {
						t.Errorf("body differs from php-fpm's\n got: %q\nwant: %q", rec.Body.Bytes(), want.body)
					}
				})
			}
		}
	}
}

// checkHeaders checks that h holds exactly the wanted headers: with exact,
// under the very names php-fpm used; otherwise under any spelling.
func checkHeaders(t *testing.T, h http.Header, want [][2]string, exact bool) {
	t.Helper()
	n := 0
	for k, vs := range h {
		if len(vs) > 0 {
			n++
		} else if http.CanonicalHeaderKey(k) != "Content-Type" {
			t.Errorf("unexpected empty header %q", k)
		}
	}
	if n != len(want) {
		t.Errorf("%d headers %v, want %d %v", n, h, len(want), want)
	}
	for _, kv := range want {
		var got []string
		if exact {
			got = h[kv[0]]
		} else {
			got = h.Values(kv[0])
		}
		if len(got) != 1 || got[0] != kv[1] {
			t.Errorf("header %q = %q, want %q", kv[0], got, kv[1])
		}
	}
}

// fixed is a Source that always gives snap.
func fixed(snap scoreboard.Snapshot) Source {
	return SourceFunc(func(bool) (scoreboard.Snapshot, error) { return snap, nil })
}
