package scoreboard

import (
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// benchBoard returns a board of n slots, all allocated, and a worker's
// handle on slot 0.
func benchBoard(b *testing.B, n int) (*Board, *Slot) {
	board := newBoard(b, n)
	for range n {
		slot, err := board.AllocSlot()
		if err != nil {
			b.Fatal(err)
		}
		board.Started(slot, os.Getpid())
	}
	w, err := board.Slot(0)
	if err != nil {
		b.Fatal(err)
	}
	return board, w
}

// BenchmarkUpdate is one stage update of a worker's slot, clock read
// included, as PHP-FPM's begin+commit with its clock reads.
func BenchmarkUpdate(b *testing.B) {
	_, w := benchBoard(b, 1500)
	for b.Loop() {
		w.Executing()
	}
}

// BenchmarkRequest is every stage update of one request.
func BenchmarkRequest(b *testing.B) {
	_, w := benchBoard(b, 1500)
	for b.Loop() {
		request(w)
	}
}

var benchInfo = RequestInfo{Method: "GET", URI: "/index.php", Query: "a=1&b=2", Script: "/srv/www/index.php"}

// request makes every stage update of one request.
func request(w *Slot) {
	w.Accepting()
	w.ReadingHeaders()
	w.RequestInfo(benchInfo)
	w.Executing()
	w.End(time.Microsecond, 2<<20)
	w.Finished()
}

// BenchmarkRequestWithReader is BenchmarkRequest while another process
// takes full snapshots of all 1,500 slots without pause, as a status page
// does: the writer must not wait for the reader. (A writer that updates
// its slot with no pause at all, as BenchmarkUpdate does, would starve
// any reader of a seqlock; a worker does a system call between stages.)
func BenchmarkRequestWithReader(b *testing.B) {
	board, w := benchBoard(b, 1500)
	reader := testproc.Command(b, "sb-reader", "1500")
	reader.Env = append(reader.Env, "GOMAXPROCS=1") // one core for the reader, its collector included; the other is the writer's
	if err := board.Segment().ShareWith(reader); err != nil {
		b.Fatal(err)
	}
	stdin, _ := reader.StdinPipe()
	stdout, _ := reader.StdoutPipe()
	if err := reader.Start(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the reader get going
	b.ResetTimer()
	for b.Loop() {
		request(w)
	}
	b.StopTimer()
	stdin.Close()
	out, _ := io.ReadAll(stdout)
	if err := reader.Wait(); err != nil {
		b.Fatalf("reader: %v", err)
	}
	b.ReportMetric(float64(atoiOr0(strings.TrimSpace(string(out))))/b.Elapsed().Seconds(), "snapshots/s")
}

func atoiOr0(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// BenchmarkSnapshotFull1500 is one full snapshot of 1,500 slots.
func BenchmarkSnapshotFull1500(b *testing.B) {
	board, _ := benchBoard(b, 1500)
	for b.Loop() {
		if _, err := board.Snapshot(true); err != nil {
			b.Fatal(err)
		}
	}
}
