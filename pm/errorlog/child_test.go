package errorlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// newChild returns a ChildOutput of worker 7 of pool www writing to buf
// through a Handler with options opts, at the time t0.
func newChild(buf *bytes.Buffer, opts *Options, decorate bool) *ChildOutput {
	c := NewChildOutput(NewHandler(buf, opts), "www", 7, decorate)
	c.now = func() time.Time { return t0 }
	return c
}

// said returns php-fpm's decorated line for a worker's line.
func said(stream, line string) string {
	return `[02-Dec-2026 00:05:08] WARNING: [pool www] child 7 said into ` + stream + `: "` + line + `"`
}

func TestChildOutputLines(t *testing.T) {
	type write struct{ stream, data string }
	tests := []struct {
		name   string
		writes []write
		close  bool
		want   []string
	}{
		{"lines", []write{{"stderr", "one\ntwo\n"}}, false, []string{said("stderr", "one"), said("stderr", "two")}},
		{"a line in pieces", []write{{"stderr", "par"}, {"stderr", "tial"}, {"stderr", " line\nnext"}}, false,
			[]string{said("stderr", "partial line")}},
		{"empty lines dropped", []write{{"stdout", "\n\na\n\n"}, {"stdout", "\n"}}, false, []string{said("stdout", "a")}},
		{"bytes kept", []write{{"stderr", "cr\r\nnul\x00x \"q\" \x01 é\n"}}, false,
			[]string{said("stderr", "cr\r"), said("stderr", "nul\x00x \"q\" \x01 é")}},
		{"the other stream ends a line", []write{{"stdout", "out partial"}, {"stderr", "err partial"}, {"stdout", " more\n"}}, false,
			[]string{said("stdout", "out partial"), said("stderr", "err partial"), said("stdout", " more")}},
		{"the flush marker ends a line", []write{{"stderr", "partial" + FlushMarker + "next\n"}}, false,
			[]string{said("stderr", "partial"), said("stderr", "next")}},
		{"the flush marker split across writes", []write{{"stderr", "partial\x00fs"}, {"stderr", "c"}, {"stderr", "f\x00next\n"}}, false,
			[]string{said("stderr", "partial"), said("stderr", "next")}},
		{"a flush marker alone", []write{{"stderr", FlushMarker}, {"stderr", FlushMarker[:3]}, {"stderr", FlushMarker[3:]}}, false, nil},
		{"not quite the marker", []write{{"stderr", "a\x00fsX\n"}, {"stderr", "b\x00f"}, {"stderr", "\x00fscf\x00"}}, false,
			[]string{said("stderr", "a\x00fsX"), said("stderr", "b\x00f")}},
		{"held marker bytes, then the other stream", []write{{"stderr", "a\x00fs"}, {"stdout", "b\n"}}, false,
			[]string{said("stderr", "a\x00fs"), said("stdout", "b")}},
		{"close logs the line in progress", []write{{"stderr", "last words\x00fsc"}}, true, []string{said("stderr", "last words\x00fsc")}},
		{"close with nothing in progress", []write{{"stderr", "done\n"}}, true, []string{said("stderr", "done")}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		c := newChild(&buf, nil, true)
		for _, w := range tt.writes {
			out := c.Stdout()
			if w.stream == "stderr" {
				out = c.Stderr()
			}
			if n, err := out.Write([]byte(w.data)); n != len(w.data) || err != nil {
				t.Fatalf("%s: Write = %d, %v", tt.name, n, err)
			}
		}
		if tt.close {
			c.Close()
		}
		want := strings.Join(tt.want, "\n")
		if want != "" {
			want += "\n"
		}
		if got := buf.String(); got != want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, want)
		}
	}
}

// TestChildOutputWrap checks the wrapping point: a log line holds at most
// log_limit-1 bytes, and a worker's line that fills it exactly is one line.
func TestChildOutputWrap(t *testing.T) {
	for _, decorate := range []bool{true, false} {
		var buf bytes.Buffer
		c := newChild(&buf, &Options{Limit: 600}, decorate)
		room := 599
		if decorate {
			room -= len(said("stderr", ""))
		}
		for _, n := range []int{room - 1, room, room + 1, 3*room + 2} {
			buf.Reset()
			fmt.Fprint(c.Stderr(), strings.Repeat("x", n)+"\n")
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if want := (n + room - 1) / room; len(lines) != want {
				t.Errorf("decorate %v, a %d-byte line (room %d): %d log lines, want %d", decorate, n, room, len(lines), want)
			}
			for _, l := range lines {
				if len(l) > 599 {
					t.Errorf("decorate %v: a %d-byte log line over log_limit 600", decorate, len(l))
				}
			}
			if len(lines[0]) != 599 && n >= room {
				t.Errorf("decorate %v, a %d-byte line: first log line %d bytes, want 599", decorate, n, len(lines[0]))
			}
		}
	}
}

// TestChildOutputLevel checks that decorated lines, which are warnings,
// follow log_level, and that undecorated lines are written whatever it
// says, as php-fpm writes them.
func TestChildOutputLevel(t *testing.T) {
	var buf bytes.Buffer
	fmt.Fprint(newChild(&buf, &Options{Level: LevelError}, true).Stderr(), "dropped\n")
	if buf.Len() != 0 {
		t.Errorf("decorated at log_level error: %q", buf.String())
	}
	fmt.Fprint(newChild(&buf, &Options{Level: LevelAlert}, false).Stderr(), "kept\n")
	if got := buf.String(); got != "kept\n" {
		t.Errorf("undecorated at log_level alert: %q", got)
	}
}

// TestChildOutputSlogHandler checks a worker's lines through slog's JSON
// handler.
func TestChildOutputSlogHandler(t *testing.T) {
	var buf bytes.Buffer
	c := NewChildOutput(slog.NewJSONHandler(&buf, nil), "www", 7, true)
	fmt.Fprint(c.Stderr(), "hello\n")
	fmt.Fprint(c.Stdout(), strings.Repeat("y", DefaultLimit))
	c.Close()
	var recs []map[string]any
	for l := range strings.SplitSeq(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		recs = append(recs, m)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3: %s", len(recs), buf.String())
	}
	if recs[0]["msg"] != `child 7 said into stderr: "hello"` || recs[0]["pool"] != "www" || recs[0]["level"] != "WARN" {
		t.Errorf("first record: %v", recs[0])
	}
	room := DefaultLimit - 1 - len(`child 7 said into stdout: ""`)
	if want := `child 7 said into stdout: "` + strings.Repeat("y", room) + `"`; recs[1]["msg"] != want {
		t.Errorf("second record: %.60q..., want %d bytes of y", recs[1]["msg"], room)
	}
}

// TestChildOutputBounded writes 8 MiB without a newline and checks that the
// line in progress never grows past log_limit.
func TestChildOutputBounded(t *testing.T) {
	var buf bytes.Buffer
	c := newChild(&buf, nil, true)
	chunk := bytes.Repeat([]byte("z"), 64<<10)
	for range 128 {
		c.Stderr().Write(chunk)
		if cap(c.line) > DefaultLimit {
			t.Fatalf("the line in progress holds %d bytes", cap(c.line))
		}
		buf.Reset()
	}
}

// FuzzChildOutput writes arbitrary bytes in arbitrary pieces and checks
// that no log line is longer than log_limit-1, that the line in progress
// stays within log_limit, and that the lines hold exactly what was written
// but for newlines and flush markers.
func FuzzChildOutput(f *testing.F) {
	f.Add([]byte("one\ntwo\npartial"), uint8(3), true)
	f.Add([]byte("a\x00fscf\x00b\x00fs"), uint8(2), false)
	f.Add(bytes.Repeat([]byte("long "), 500), uint8(200), true)
	f.Add([]byte("\x00\x00fscf\x00fscf\x00\n\n\r\n"), uint8(1), true)
	f.Add([]byte("x"+FlushMarker+"y\n"+FlushMarker), uint8(255), true)
	decorated := regexp.MustCompile(`^\[02-Dec-2026 00:05:08\] WARNING: \[pool www\] child 7 said into stderr: "(.*)"$`)
	f.Fuzz(func(t *testing.T, data []byte, piece uint8, decorate bool) {
		var buf bytes.Buffer
		c := newChild(&buf, &Options{Limit: MinLimit}, decorate)
		for p := data; len(p) > 0; {
			n := min(int(piece)+1, len(p))
			c.Stderr().Write(p[:n])
			p = p[n:]
			if cap(c.line) > MinLimit {
				t.Fatalf("the line in progress holds %d bytes", cap(c.line))
			}
		}
		c.Close()
		var got []byte
		for l := range bytes.SplitSeq(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
			if len(l) > MinLimit-1 {
				t.Fatalf("a %d-byte log line", len(l))
			}
			if decorate && len(l) > 0 {
				m := decorated.FindSubmatch(l)
				if m == nil {
					t.Fatalf("not a decorated line: %q", l)
				}
				l = m[1]
			}
			got = append(got, l...)
		}
		want := bytes.ReplaceAll(bytes.ReplaceAll(data, []byte(FlushMarker), nil), []byte("\n"), nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("logged %q, want %q", got, want)
		}
	})
}

func init() { testproc.Register("child-output", helperChildOutput) }

// helperChildOutput is a worker that writes on its standard output and
// error as a PHP script would, and exits in the middle of a line.
func helperChildOutput([]string) int {
	fmt.Fprint(os.Stdout, "to stdout\n")
	fmt.Fprint(os.Stderr, "request one: partial")
	fmt.Fprint(os.Stderr, FlushMarker) // the end of a request
	fmt.Fprint(os.Stderr, strings.Repeat("w", 1500)+"\n")
	fmt.Fprint(os.Stderr, "exiting mid-line")
	return 0
}

// TestChildOutputProcess runs a real worker with its standard output and
// error piped into a ChildOutput, as the master does with
// catch_workers_output.
func TestChildOutputProcess(t *testing.T) {
	var buf bytes.Buffer
	c := newChild(&buf, nil, true)
	cmd := testproc.Command(t, "child-output")
	cmd.Stdout, cmd.Stderr = c.Stdout(), c.Stderr()
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	room := DefaultLimit - 1 - len(said("stderr", ""))
	want := []string{
		said("stdout", "to stdout"),
		said("stderr", "request one: partial"),
		said("stderr", strings.Repeat("w", room)),
		said("stderr", strings.Repeat("w", 1500-room)),
		said("stderr", "exiting mid-line"),
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// The two pipes are read side by side: only the order within each
	// stream is certain.
	for _, stream := range []string{"stdout", "stderr"} {
		g := slices.DeleteFunc(slices.Clone(got), func(l string) bool { return !strings.Contains(l, "into "+stream) })
		w := slices.DeleteFunc(slices.Clone(want), func(l string) bool { return !strings.Contains(l, "into "+stream) })
		if !slices.Equal(g, w) {
			t.Errorf("%s:\n got %q\nwant %q", stream, g, w)
		}
	}
}
