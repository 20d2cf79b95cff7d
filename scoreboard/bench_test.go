package scoreboard

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
	info := RequestInfo{Method: "GET", URI: "/index.php", Query: "a=1&b=2", Script: "/srv/www/index.php"}
	for b.Loop() {
		w.Accepting()
		w.ReadingHeaders()
		w.RequestInfo(info)
		w.Executing()
		w.End(time.Microsecond, 2<<20)
		w.Finished()
	}
}

// BenchmarkUpdateWithReader is BenchmarkUpdate while another goroutine
// takes full snapshots of all 1,500 slots without pause: the writer must
// not wait for the reader.
func BenchmarkUpdateWithReader(b *testing.B) {
	board, w := benchBoard(b, 1500)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			board.Snapshot(true)
		}
	}()
	for b.Loop() {
		w.Executing()
	}
	stop.Store(true)
	wg.Wait()
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
