package errorlog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The golden files in testdata/php-fpm-8.2 are php-fpm 8.2's own output,
// captured by testdata/php-fpm-8.2/capture.sh.
const golden = "testdata/php-fpm-8.2"

// lineRE splits one of php-fpm's error-log lines into its time, level,
// debug prefix (pid, function, line), pool and message.
var lineRE = regexp.MustCompile(`^\[(\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d)(\.\d{6})?\] ` +
	`(ALERT|ERROR|WARNING|NOTICE|DEBUG): (?:pid (\d+), (.*?)\(\), line (\d+): )?(?:\[pool ([^\]]+)\] )?(.*)$`)

var levels = map[string]slog.Level{
	"DEBUG": LevelDebug, "NOTICE": LevelNotice, "WARNING": LevelWarning, "ERROR": LevelError, "ALERT": LevelAlert,
}

func readGolden(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(golden, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// lineTime returns the time a golden line was written at.
func lineTime(t *testing.T, m []string) time.Time {
	t.Helper()
	tm, err := time.Parse("02-Jan-2006 15:04:05", m[1])
	if err != nil {
		t.Fatal(err)
	}
	if m[2] != "" {
		us, _ := strconv.Atoi(m[2][1:])
		tm = tm.Add(time.Duration(us) * time.Microsecond)
	}
	return tm
}

// TestGoldenMasterLines logs, through the Handler, every line the php-fpm
// master wrote in the golden files (its level, its pool as the "pool"
// attribute, its message, and in debug logs its pid, function and line) and
// expects php-fpm's bytes back.
func TestGoldenMasterLines(t *testing.T) {
	files := map[string]slog.Level{
		"signals-notice.log": LevelNotice, "signals-debug.log": LevelDebug,
		"config-errors.log": LevelNotice, "config-unknown.log": LevelNotice,
		"workers-notice.log": LevelNotice, "workers-debug.log": LevelDebug,
	}
	for file, level := range files {
		n := 0
		for _, want := range readGolden(t, file) {
			m := lineRE.FindStringSubmatch(want)
			if m == nil || strings.Contains(want, " said into ") {
				continue // a worker's line: TestGoldenWorkerOutput
			}
			var buf bytes.Buffer
			h := NewHandler(&buf, &Options{Level: level})
			if m[4] != "" {
				h.pid, _ = strconv.Atoi(m[4])
				line, _ := strconv.Atoi(m[6])
				h.source = func(uintptr) (string, int) { return m[5], line }
			}
			r := slog.NewRecord(lineTime(t, m), levels[m[3]], m[8], 0)
			if m[7] != "" {
				r.AddAttrs(slog.String("pool", m[7]))
			}
			if err := h.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != want+"\n" {
				t.Errorf("%s:\n got %q\nwant %q", file, got, want+"\n")
			}
			n++
		}
		if n == 0 {
			t.Errorf("%s: no master line", file)
		}
	}
}

// TestGoldenLongLines checks how a long message is cut against php-fpm's
// own: whole under 2048 bytes whatever log_limit says, cut to log_limit
// (at most 2048) bytes ending in "..." from there on.
func TestGoldenLongLines(t *testing.T) {
	tests := []struct {
		file  string
		limit int
		pool  int // the pool name's length
	}{
		{"long-1100-limit-1024.log", 1024, 1100},
		{"long-1100-limit-600.log", 600, 1100},
		{"long-3000-limit-1024.log", 1024, 3000},
		{"long-3000-limit-4096.log", 4096, 3000},
	}
	for _, tt := range tests {
		want := readGolden(t, tt.file)[0]
		m := lineRE.FindStringSubmatch(want)
		if m == nil {
			t.Fatalf("%s: not a php-fpm line: %.80q", tt.file, want)
		}
		var buf bytes.Buffer
		log := slog.New(NewHandler(&buf, &Options{Limit: tt.limit}))
		r := slog.NewRecord(lineTime(t, m), LevelAlert, "pm.max_children must be a positive value", 0)
		r.AddAttrs(slog.String("pool", strings.Repeat("p", tt.pool)))
		if err := log.Handler().Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != want+"\n" {
			t.Errorf("%s: got %d bytes %.60q...%q, want %d bytes ...%q", tt.file,
				len(got)-1, got, got[max(len(got)-20, 0):], len(want), want[max(len(want)-20, 0):])
		}
	}
}

// TestGoldenWorkerOutput replays, into a ChildOutput, the writes a php-fpm
// child made (recorded by capture.sh beside its log), ending each request
// with FlushMarker as php-fpm's children do and the last with the child's
// death, and expects php-fpm's lines for them, timestamps aside.
func TestGoldenWorkerOutput(t *testing.T) {
	tests := []struct {
		name     string
		level    slog.Level
		decorate bool
	}{
		{"workers-notice", LevelNotice, true},
		{"workers-debug", LevelDebug, true},
		{"workers-undecorated", LevelNotice, false},
	}
	said := regexp.MustCompile(`\] WARNING: (?:pid (\d+), \(null\)\(\), line 0: )?\[pool www\] child (\d+) said into`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			pid, master := 0, 0
			for _, l := range readGolden(t, tt.name+".log") {
				if m := said.FindStringSubmatch(l); m != nil {
					master, _ = strconv.Atoi(m[1])
					pid, _ = strconv.Atoi(m[2])
				} else if lineRE.MatchString(l) {
					continue // the master's own line
				}
				want = append(want, l)
			}
			if tt.decorate && pid == 0 {
				t.Fatal("no worker line in the golden log")
			}
			var requests [][][2]string
			b, err := os.ReadFile(filepath.Join(golden, tt.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &requests); err != nil {
				t.Fatal(err)
			}

			var buf bytes.Buffer
			h := NewHandler(&buf, &Options{Level: tt.level})
			h.pid = master
			c := NewChildOutput(h, "www", pid, tt.decorate)
			c.now = func() time.Time { return time.Date(2026, 12, 2, 0, 5, 8, 123456000, time.UTC) }
			for _, req := range requests {
				for _, w := range req {
					if w[0] == "kill" {
						c.Close()
						break
					}
					data, err := base64.StdEncoding.DecodeString(w[1])
					if err != nil {
						t.Fatal(err)
					}
					if w[0] == "stdout" {
						c.Stdout().Write(data)
					} else {
						c.Stderr().Write(data)
					}
				}
				c.Stderr().Write([]byte(FlushMarker)) // the end of the request
			}
			stamp := regexp.MustCompile(`(?m)^\[\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(\.\d{6})?\] `)
			got := stamp.ReplaceAllString(buf.String(), "[TIME] ")
			exp := stamp.ReplaceAllString(strings.Join(want, "\n")+"\n", "[TIME] ")
			if got != exp {
				gl, el := strings.Split(got, "\n"), strings.Split(exp, "\n")
				for i := range max(len(gl), len(el)) {
					var g, e string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(el) {
						e = el[i]
					}
					if g != e {
						t.Fatalf("line %d of %d:\n got %d bytes %q\nwant %d bytes %q", i+1, len(el), len(g), g, len(e), e)
					}
				}
			}
		})
	}
}
