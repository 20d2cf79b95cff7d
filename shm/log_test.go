package shm

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLogging checks the seed's zlog behaviour: failures at error level
// with the facts, allocations and frees at debug level, silence by default.
func TestLogging(t *testing.T) {
	var buf bytes.Buffer
	SetLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer SetLogger(nil)
	s, err := Alloc(3632)
	if err != nil {
		t.Fatal(err)
	}
	s.Free()
	Map(Options{Size: 4096, Prot: rw, Flags: Shared | Private | Anonymous})
	out := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="alloc shared memory" name=fpmshm size=3632`,
		`level=DEBUG msg="freed shared memory" name=fpmshm size=3632`,
		`level=ERROR msg="shm: map (4096 bytes): invalid combination of flags"`,
		`op=map size=4096`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	SetLogger(nil)
	buf.Reset()
	Map(Options{Size: 4096, Prot: rw, Flags: Shared | Private | Anonymous})
	if buf.Len() != 0 {
		t.Fatalf("logged without a logger: %s", buf.String())
	}
}
