package shmsync

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/shm"
)

// rec256 is a 256-byte record that carries its own checksum, so that a
// torn copy (parts of two writes) is detected.
type rec256 struct {
	Words [31]uint64
	Sum   uint64
}

// fill makes r version v, written by writer w.
func (r *rec256) fill(w, v uint64) {
	x := w<<56 | v
	for i := range r.Words {
		x = x*0x9E3779B97F4A7C15 + uint64(i)
		r.Words[i] = x
	}
	r.Sum = r.sum()
}

func (r *rec256) sum() uint64 {
	s := uint64(0xcbf29ce484222325)
	for _, w := range r.Words {
		s = (s ^ w) * 0x100000001b3
	}
	return s
}

func (r *rec256) ok() bool { return r.Sum == r.sum() }

func newRecord(t testing.TB) *Record[rec256] {
	t.Helper()
	seg, err := shm.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Free() })
	r := view[Record[rec256]](t, seg, 0)
	var v rec256
	v.fill(0, 0)
	r.StoreSingle(v)
	return r
}

// TestRecordGoroutines: writers (locked, or one single writer) and
// readers in goroutines of one process; no torn copy is accepted.
func TestRecordGoroutines(t *testing.T) {
	for _, single := range []bool{false, true} {
		name := "locked writers"
		if single {
			name = "single writer"
		}
		t.Run(name, func(t *testing.T) {
			r := newRecord(t)
			var stop atomic.Bool
			var wg, writers sync.WaitGroup
			nw := 2
			if single {
				nw = 1
			}
			for w := range nw {
				writers.Go(func() {
					for v := uint64(1); !stop.Load(); v++ {
						if single {
							r.WriteSingle(func(p *rec256) { p.fill(uint64(w), v) })
						} else if err := r.Write(func(p *rec256) { p.fill(uint64(w), v) }); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			var reads, torn atomic.Int64
			for range 2 {
				wg.Go(func() {
					var v rec256
					for range 50000 {
						if err := r.Read(&v); err != nil {
							t.Error(err)
							return
						}
						reads.Add(1)
						if !v.ok() {
							torn.Add(1)
						}
					}
				})
			}
			wg.Wait()
			stop.Store(true)
			writers.Wait()
			if torn.Load() != 0 {
				t.Fatalf("%d of %d reads accepted a torn record", torn.Load(), reads.Load())
			}
		})
	}
}

func TestSeqlockWriterDead(t *testing.T) {
	t.Run("single writer", func(t *testing.T) {
		r := newRecord(t)
		r.lock.seq.Store(r.lock.seq.Load() + 1) // a write in progress ...
		r.lock.writer.Store(deadIdentity())     // ... by a dead process
		begin := time.Now()
		_, err := r.Load()
		if !errors.Is(err, ErrWriterDead) {
			t.Fatalf("Load = %v, want ErrWriterDead", err)
		}
		t.Logf("ErrWriterDead after %v", time.Since(begin))
		if time.Since(begin) > 100*time.Millisecond {
			t.Errorf("ErrWriterDead took %v", time.Since(begin))
		}
		if !r.Repair() {
			t.Fatal("Repair did nothing")
		}
		if r.Repair() {
			t.Fatal("second Repair repaired again")
		}
		if v, err := r.Load(); err != nil || !v.ok() {
			t.Fatalf("Load after Repair = %v (ok %v)", err, v.ok())
		}
	})
	t.Run("single writer rewrites", func(t *testing.T) {
		r := newRecord(t)
		r.lock.seq.Store(r.lock.seq.Load() + 1)
		r.lock.writer.Store(deadIdentity())
		var v rec256
		v.fill(9, 9)
		r.StoreSingle(v) // the master rewriting a reaped worker's slot
		if got, err := r.Load(); err != nil || got != v {
			t.Fatalf("Load after StoreSingle = %v", err)
		}
		if r.lock.seq.Load()&1 != 0 {
			t.Fatal("sequence odd after a write")
		}
	})
	t.Run("locked writer", func(t *testing.T) {
		r := newRecord(t)
		r.lock.seq.Store(r.lock.seq.Load() + 1)
		r.lock.writer.Store(deadIdentity())
		r.lock.lock.word.Store(deadIdentity())
		if _, err := r.Load(); !errors.Is(err, ErrWriterDead) {
			t.Fatalf("Load = %v, want ErrWriterDead", err)
		}
		var v rec256
		v.fill(1, 1)
		if err := r.Store(v); !errors.Is(err, ErrOwnerDead) {
			t.Fatalf("Store after a writer died = %v, want ErrOwnerDead", err)
		}
		if got, err := r.Load(); err != nil || got != v {
			t.Fatalf("Load after the repairing Store = %v", err)
		}
	})
	t.Run("live writer", func(t *testing.T) {
		r := newRecord(t)
		r.lock.BeginWrite() // this process, alive, in the middle of a write
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		var v rec256
		if err := r.ReadContext(ctx, &v); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadContext during a live write = %v, want DeadlineExceeded", err)
		}
		if r.Repair() {
			t.Fatal("Repair broke into a live write")
		}
		if err := r.lock.EndWrite(); err != nil {
			t.Fatal(err)
		}
		if err := r.Read(&v); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWritePanicAbandons(t *testing.T) {
	r := newRecord(t)
	func() {
		defer func() { recover() }()
		r.Write(func(p *rec256) {
			p.Words[0]++ // half-written
			panic("boom")
		})
	}()
	if _, err := r.Load(); !errors.Is(err, ErrWriterDead) {
		t.Fatalf("Load after an abandoned write = %v, want ErrWriterDead", err)
	}
	var v rec256
	v.fill(2, 2)
	err := r.Store(v)
	var od *OwnerDeadError
	if !errors.As(err, &od) || od.PID != os.Getpid() {
		t.Fatalf("Store after an abandoned write = %v, want ErrOwnerDead naming this process", err)
	}
	if got, err := r.Load(); err != nil || got != v {
		t.Fatalf("Load after the repairing Store = %v", err)
	}

	func() {
		defer func() { recover() }()
		r.WriteSingle(func(p *rec256) { panic("boom") })
	}()
	if _, err := r.Load(); !errors.Is(err, ErrWriterDead) {
		t.Fatalf("Load after an abandoned single write = %v, want ErrWriterDead", err)
	}
	r.StoreSingle(v)
	if _, err := r.Load(); err != nil {
		t.Fatal(err)
	}
}

// TestSeqlockRead uses Seqlock directly, on a layout of its own.
func TestSeqlockRead(t *testing.T) {
	seg, err := shm.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Free()
	type pair struct {
		lock Seqlock
		x, y uint64
	}
	p := view[pair](t, seg, 0)
	if err := p.lock.BeginWrite(); err != nil {
		t.Fatal(err)
	}
	p.x, p.y = 1, 1
	if err := p.lock.EndWrite(); err != nil {
		t.Fatal(err)
	}
	p.lock.BeginWriteSingle()
	p.x, p.y = 2, 2
	p.lock.EndWriteSingle()
	var x, y uint64
	if err := p.lock.Read(context.Background(), func() { x, y = p.x, p.y }); err != nil || x != 2 || y != 2 {
		t.Fatalf("Read = %d, %d, %v", x, y, err)
	}
	if p.lock.seq.Load() != 4 {
		t.Fatalf("sequence after two writes = %d, want 4", p.lock.seq.Load())
	}
	if err := p.lock.EndWrite(); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("EndWrite without BeginWrite = %v, want ErrNotOwner", err)
	}
	if p.lock.seq.Load()&1 != 0 {
		t.Fatal("a stray EndWrite left the sequence odd")
	}
}
