package status

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// The php-fpm 8.2 run behind testdata/php82: the pool started at
// 26/Nov/2026:04:27:53 +0000 and every reply was taken 2 s later.
var (
	sampleStart = time.Unix(1795667273, 0).UTC()
	sampleTaken = sampleStart.Add(2*time.Second + 300*time.Millisecond)
)

// sample is one reply of testdata/php82 and the Snapshot that holds the
// values php-fpm printed in it.
type sample struct {
	name  string // the file name, without ".txt"
	query string // the query string of the request
	snap  scoreboard.Snapshot
}

// sampleProc is a process of a full sample: GET /status?query, as served
// by the sample's php-fpm.
func sampleProc(pid int, stage scoreboard.Stage, requests uint64, durationUS int64, query string) scoreboard.Proc {
	p := scoreboard.Proc{
		PID:       pid,
		Stage:     stage,
		StartTime: sampleStart,
		Requests:  requests,
		Accepted:  sampleTaken.Add(-time.Duration(durationUS) * time.Microsecond),
		Duration:  time.Duration(durationUS) * time.Microsecond,
		Method:    "GET",
		URI:       "/status",
		Query:     query,
	}
	if requests == 0 {
		p.Method, p.URI = "", ""
	}
	if stage == scoreboard.Idle && requests > 0 {
		p.LastMemory = 2097152
	}
	if stage != scoreboard.Idle {
		// Values a torn or careless source might leave: php-fpm prints 0
		// for a busy worker whatever the slot holds, and so must we.
		p.LastMemory, p.LastCPU = 4096, 12.5
	}
	return p
}

func sampleSnapshot(accepted uint64, procs ...scoreboard.Proc) scoreboard.Snapshot {
	for i := range procs {
		procs[i].Slot = i
	}
	return scoreboard.Snapshot{
		Taken: sampleTaken,
		Pool: scoreboard.Pool{
			Name: "www", PM: scoreboard.Static, StartTime: sampleStart,
			AcceptedConn: accepted, ListenQueueLen: 4096,
			Idle: 2, Active: 1, MaxActive: 1, MaxChildren: 3,
			MemoryPeak: 2097152,
		},
		Procs: procs,
	}
}

func samples() []sample {
	const (
		idle    = scoreboard.Idle
		running = scoreboard.Running
	)
	return []sample{
		{"text", "", sampleSnapshot(1)},
		{"text_full", "full", sampleSnapshot(2,
			sampleProc(19397, idle, 1, 434, ""),
			sampleProc(19398, running, 1, 259, "full"),
			sampleProc(19399, idle, 0, 0, ""))},
		{"json", "json", sampleSnapshot(3)},
		{"json_full", "json&full", sampleSnapshot(4,
			sampleProc(19397, running, 2, 102, "json&full"),
			sampleProc(19398, idle, 1, 269, "full"),
			sampleProc(19399, idle, 1, 226, "json"))},
		{"xml", "xml", sampleSnapshot(5)},
		{"xml_full", "xml&full", sampleSnapshot(6,
			sampleProc(19397, idle, 2, 114, "json&full"),
			sampleProc(19398, idle, 2, 69, "xml"),
			sampleProc(19399, running, 2, 59, "xml&full"))},
		{"openmetrics", "openmetrics", sampleSnapshot(7)},
		{"html", "html", sampleSnapshot(8)},
		{"html_full", "html&full", sampleSnapshot(9,
			sampleProc(19397, idle, 3, 61, "openmetrics"),
			sampleProc(19398, idle, 3, 55, "html"),
			sampleProc(19399, running, 3, 59, "html&full"))},
	}
}

// golden is a reply as php-fpm sent it: header lines, then the body.
type golden struct {
	headers [][2]string // name (as php-fpm spells it) and value, in order
	body    []byte
}

func readGolden(t *testing.T, path string) golden {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("%s: no blank line after the headers", path)
	}
	var g golden
	for line := range strings.SplitSeq(string(head), "\r\n") {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%s: bad header line %q", path, line)
		}
		g.headers = append(g.headers, [2]string{name, value})
	}
	g.body = body
	return g
}

func goldenDir(v Version) string { return fmt.Sprintf("php%d", v) }
