package fcgi_test

import (
	"bytes"
	"testing"

	"github.com/fpmshm/fpmshm/internal/fcgi"
	"github.com/fpmshm/fpmshm/internal/fcgi/fcgitest"
	"github.com/fpmshm/fpmshm/internal/testproc"
)

func TestMain(m *testing.M) { testproc.Main(m) }

// stream builds what a web server sends.
type stream struct{ bytes.Buffer }

func (s *stream) rec(typ uint8, id uint16, content []byte) *stream {
	fcgitest.WriteRecord(&s.Buffer, typ, id, content)
	return s
}

func (s *stream) begin(id uint16, role uint16, keep bool) *stream {
	flags := byte(0)
	if keep {
		flags = fcgi.FlagKeepConn
	}
	return s.rec(fcgi.TypeBeginRequest, id, []byte{byte(role >> 8), byte(role), flags, 0, 0, 0, 0, 0})
}

func (s *stream) params(id uint16, kv ...string) *stream {
	var p []byte
	for i := 0; i < len(kv); i += 2 {
		p = fcgi.AppendPair(p, kv[i], kv[i+1])
	}
	if len(p) > 0 {
		s.rec(fcgi.TypeParams, id, p)
	}
	return s.rec(fcgi.TypeParams, id, nil)
}

// records splits what the application wrote into records.
func records(t *testing.T, b []byte) []fcgitest.Record {
	t.Helper()
	var out []fcgitest.Record
	for len(b) > 0 {
		if len(b) < fcgi.HeaderLen {
			t.Fatalf("%d bytes after the last record", len(b))
		}
		h := fcgi.ParseHeader(b)
		n := fcgi.HeaderLen + int(h.Len) + int(h.Pad)
		if h.Version != 1 || len(b) < n {
			t.Fatalf("bad record %+v in %d bytes", h, len(b))
		}
		if (int(h.Len)+int(h.Pad))%8 != 0 {
			t.Errorf("record %+v not padded to 8", h)
		}
		out = append(out, fcgitest.Record{Type: h.Type, ID: h.ID, Content: b[fcgi.HeaderLen : fcgi.HeaderLen+int(h.Len)]})
		b = b[n:]
	}
	return out
}
