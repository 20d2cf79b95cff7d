package errorlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"
)

var t0 = time.Date(2026, 12, 2, 0, 5, 8, 123456789, time.UTC)

// handle logs one record at t0 through h and returns what h wrote to buf.
func handle(t *testing.T, h slog.Handler, buf *bytes.Buffer, level slog.Level, msg string, attrs ...any) string {
	t.Helper()
	buf.Reset()
	r := slog.NewRecord(t0, level, msg, 0)
	r.Add(attrs...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("resolved") }

func TestHandlerAttributes(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, nil)
	tests := []struct {
		h     slog.Handler
		level slog.Level
		msg   string
		attrs []any
		want  string
	}{
		{h, LevelNotice, "ready to handle connections", nil, "NOTICE: ready to handle connections"},
		{h, LevelWarning, "child 12 exited", []any{"pool", "www"}, "WARNING: [pool www] child 12 exited"},
		{h, LevelError, "unable to spawn a worker", []any{"err", errors.New("fork/exec /x: permission denied"), "pool", "www"},
			"ERROR: [pool www] unable to spawn a worker: fork/exec /x: permission denied"},
		{h, LevelDebug - 4, "child started", []any{"pid", 12, "slot", 3, "retiring", false, "after", 1500 * time.Millisecond},
			"DEBUG: child started pid=12 slot=3 retiring=false after=1.5s"},
		{h, LevelAlert, "x", []any{"a", "two words", "b", "", "c", "k=v", "d", `say "hi"`, "e", "tab\there", "f", "é", "g", "\xff"},
			`ALERT: x a="two words" b="" c="k=v" d="say \"hi\"" e="tab\there" f=é g="\xff"`},
		{h, LevelNotice, "grouped", []any{slog.Group("req", "method", "GET", slog.Group("", "inline", 1)), slog.Group("empty")},
			"NOTICE: grouped req.method=GET req.inline=1"},
		{h, LevelNotice, "valuer", []any{"v", valuer{}, "t", t0}, "NOTICE: valuer v=resolved t=2026-12-02T00:05:08.123456789Z"},
		{h, LevelNotice, "pool not text", []any{"pool", 3}, "NOTICE: pool not text pool=3"},
		{h.WithAttrs([]slog.Attr{slog.String("pool", "www"), slog.Int("pid", 7)}), LevelNotice, "with", []any{"n", 1},
			"NOTICE: [pool www] with pid=7 n=1"},
		{h.WithAttrs([]slog.Attr{slog.String("pool", "www")}), LevelNotice, "record wins", []any{"pool", "api"},
			"NOTICE: [pool api] record wins"},
		{h.WithGroup("g").WithAttrs([]slog.Attr{slog.String("pool", "www")}), LevelNotice, "in a group", []any{"err", "e"},
			"NOTICE: in a group g.pool=www g.err=e"},
		{h.WithGroup("").WithAttrs(nil), LevelNotice, "no group", nil, "NOTICE: no group"},
	}
	for _, tt := range tests {
		want := "[02-Dec-2026 00:05:08] " + tt.want + "\n"
		if got := handle(t, tt.h, &buf, tt.level, tt.msg, tt.attrs...); got != want {
			t.Errorf("%s:\n got %q\nwant %q", tt.msg, got, want)
		}
	}
}

// TestHandlerNewlines checks that a message's lines each get the full
// prefix, so that text from a client cannot forge a line.
func TestHandlerNewlines(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, nil)
	forged := `child 7, script '/x.php' (request: "GET /x.php?s=3` + "\n" +
		`[02-Dec-2026 00:00:00] NOTICE: forged") executing too slow (1.000000 sec), logging`
	got := handle(t, h, &buf, LevelWarning, forged, "pool", "www")
	want := `[02-Dec-2026 00:05:08] WARNING: [pool www] child 7, script '/x.php' (request: "GET /x.php?s=3` + "\n" +
		`[02-Dec-2026 00:05:08] WARNING: [pool www] [02-Dec-2026 00:00:00] NOTICE: forged") executing too slow (1.000000 sec), logging` + "\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for msg, want := range map[string]string{
		"ends in a newline\n": "[02-Dec-2026 00:05:08] NOTICE: ends in a newline\n",
		"a\n\nb":              "[02-Dec-2026 00:05:08] NOTICE: a\n[02-Dec-2026 00:05:08] NOTICE: b\n",
		"":                    "[02-Dec-2026 00:05:08] NOTICE: \n",
		"\n":                  "[02-Dec-2026 00:05:08] NOTICE: \n",
	} {
		if got := handle(t, h, &buf, LevelNotice, msg); got != want {
			t.Errorf("%q: got %q, want %q", msg, got, want)
		}
	}
	got = handle(t, h, &buf, LevelError, "reload failed", "err", errors.Join(errors.New("one"), errors.New("two")))
	if want := "[02-Dec-2026 00:05:08] ERROR: reload failed: one\n[02-Dec-2026 00:05:08] ERROR: two\n"; got != want {
		t.Errorf("joined error: got %q, want %q", got, want)
	}
}

// TestHandlerCut checks the 2048-byte rule at its edges.
func TestHandlerCut(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, nil)
	prefix := len("[02-Dec-2026 00:05:08] NOTICE: ")
	for _, tt := range []struct{ line, want int }{
		{2047, 2047}, {2048, 1023}, {5000, 1023}, {1500, 1500},
	} {
		got := handle(t, h, &buf, LevelNotice, strings.Repeat("x", tt.line-prefix))
		got = strings.TrimSuffix(got, "\n")
		if len(got) != tt.want {
			t.Errorf("a %d-byte line: got %d bytes, want %d", tt.line, len(got), tt.want)
		}
		if tt.line != tt.want && !strings.HasSuffix(got, "x...") {
			t.Errorf("a %d-byte line cut to %q...", tt.line, got[len(got)-10:])
		}
	}
	h = NewHandler(&buf, &Options{Limit: 100})
	got := strings.TrimSuffix(handle(t, h, &buf, LevelNotice, strings.Repeat("x", 3000)), "\n")
	if len(got) != MinLimit-1 {
		t.Errorf("log_limit 100, raised to %d: got a %d-byte line, want %d", MinLimit, len(got), MinLimit-1)
	}
}

func TestHandlerLevel(t *testing.T) {
	var buf bytes.Buffer
	level := new(slog.LevelVar)
	level.Set(LevelWarning)
	log := slog.New(NewHandler(&buf, &Options{Level: level}))
	log.Info("not written")
	log.Warn("written")
	if got := buf.String(); !strings.HasSuffix(got, "] WARNING: written\n") || strings.Contains(got, "not written") {
		t.Errorf("at log_level warning: %q", got)
	}
	buf.Reset()
	level.Set(LevelDebug)
	log.Debug("now written")
	_, _, line, _ := runtime.Caller(0)
	want := regexp.MustCompile(`^\[\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{6}\] DEBUG: pid ` + strconv.Itoa(pidOf(log)) +
		`, errorlog\.TestHandlerLevel\(\), line ` + strconv.Itoa(line-1) + `: now written\n$`)
	if got := buf.String(); !want.MatchString(got) {
		t.Errorf("at log_level debug: got %q, want %v", got, want)
	}
	buf.Reset()
	r := slog.NewRecord(t0, LevelNotice, "no source", 0)
	log.Handler().Handle(context.Background(), r)
	if got, want := buf.String(), "[02-Dec-2026 00:05:08.123456] NOTICE: pid "+strconv.Itoa(pidOf(log))+", (null)(), line 0: no source\n"; got != want {
		t.Errorf("a record without source: got %q, want %q", got, want)
	}
}

func pidOf(l *slog.Logger) int { return l.Handler().(*Handler).pid }

// TestHandlerZeroTime checks that a record without a time is written
// without one, as php-fpm's children write their lines.
func TestHandlerZeroTime(t *testing.T) {
	var buf bytes.Buffer
	NewHandler(&buf, nil).Handle(context.Background(), slog.NewRecord(time.Time{}, LevelError, "no time", 0))
	if got, want := buf.String(), "ERROR: no time\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// wholeLines fails when a Write does not hold whole lines.
type wholeLines struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	broken int
}

func (w *wholeLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if len(p) == 0 || p[len(p)-1] != '\n' {
		w.broken++
	}
	return w.buf.Write(p)
}

// TestHandlerConcurrent logs from many goroutines through handlers derived
// from one and checks that every record arrives whole, in one Write.
func TestHandlerConcurrent(t *testing.T) {
	var w wholeLines
	base := slog.New(NewHandler(&w, nil))
	const goroutines, each = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		log := base.With("pool", fmt.Sprint("p", g))
		wg.Go(func() {
			for i := range each {
				log.Warn("first line\nsecond line", "i", i)
			}
		})
	}
	wg.Wait()
	if w.writes != goroutines*each || w.broken != 0 {
		t.Errorf("%d writes for %d records, %d not ending a line", w.writes, goroutines*each, w.broken)
	}
	line := regexp.MustCompile(`^\[[^\]]+\] WARNING: \[pool p\d\] (first line|second line i=\d+)$`)
	lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	for i, l := range lines {
		if !line.MatchString(l) {
			t.Fatalf("line %d: %q", i, l)
		}
	}
	if len(lines) != 2*goroutines*each {
		t.Errorf("%d lines, want %d", len(lines), 2*goroutines*each)
	}
}

// TestHandlerSlogtest runs slog's conformance tests, reading the handler's
// lines back into maps.
func TestHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return NewHandler(&buf, &Options{Level: LevelDebug - 4})
	}, func(t *testing.T) map[string]any {
		return parseLine(t, strings.TrimSuffix(buf.String(), "\n"))
	})
}

// parseLine reads one line back: "[time] LEVEL: pid N, f(), line L: message k=v ...".
func parseLine(t *testing.T, line string) map[string]any {
	m := map[string]any{}
	if strings.HasPrefix(line, "[") {
		end := strings.Index(line, "] ")
		m[slog.TimeKey] = line[1:end]
		line = line[end+2:]
	}
	level, rest, ok := strings.Cut(line, ": ")
	if !ok {
		t.Fatalf("no level in %q", line)
	}
	m[slog.LevelKey] = level
	rest = rest[strings.Index(rest, "line ")+len("line "):]
	rest = rest[strings.Index(rest, ": ")+2:]
	words := splitWords(t, rest)
	var msg []string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			msg = append(msg, w)
			continue
		}
		if strings.HasPrefix(v, `"`) {
			var err error
			if v, err = strconv.Unquote(v); err != nil {
				t.Fatal(err)
			}
		}
		group := m
		keys := strings.Split(k, ".")
		for _, g := range keys[:len(keys)-1] {
			sub, ok := group[g].(map[string]any)
			if !ok {
				sub = map[string]any{}
				group[g] = sub
			}
			group = sub
		}
		group[keys[len(keys)-1]] = v
	}
	m[slog.MessageKey] = strings.Join(msg, " ")
	return m
}

// splitWords splits s at spaces outside double quotes.
func splitWords(t *testing.T, s string) []string {
	var words []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			words = append(words, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	return append(words, cur.String())
}
