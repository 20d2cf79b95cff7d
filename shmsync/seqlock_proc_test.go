package shmsync

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shmsync-seq-writer", seqWriter)
	testproc.Register("shmsync-seq-reader", seqReader)
	testproc.Register("shmsync-seq-stall", seqStall)
}

// seqShared is the state of the multi-process seqlock tests: the record,
// then control words and the readers' results on their own cache line.
type seqShared struct {
	rec     Record[rec256]
	_       [64 - 24]byte
	stop    atomic.Uint32
	started atomic.Uint32
	reads   atomic.Uint64 // accepted reads, all readers
	torn    atomic.Uint64 // accepted reads whose checksum failed
	rawTorn atomic.Uint64 // unsynchronised copies that were torn: shows writes overlapped reads
	writes  atomic.Uint64
}

const seqSegSize = 4096

// seqWriter writes the record until told to stop. Arguments: writer id,
// and 1 for the single-writer path.
func seqWriter(args []string) int {
	a := intArgs(args)
	id, single := uint64(a[0]), a[1] == 1
	s, err := childView[seqShared](seqSegSize, 0)
	if err != nil {
		return fail(err)
	}
	s.started.Add(1)
	for v := uint64(1); s.stop.Load() == 0; v++ {
		if single {
			s.rec.WriteSingle(func(p *rec256) { p.fill(id, v) })
		} else if err := s.rec.Write(func(p *rec256) { p.fill(id, v) }); err != nil {
			return fail(err)
		}
		s.writes.Add(1)
		spin(rand.IntN(400))
	}
	return 0
}

// seqReader reads the record n times (argument), checking each copy, and
// every 16th time also copies it without the seqlock, counting tears.
func seqReader(args []string) int {
	n := intArgs(args)[0]
	s, err := childView[seqShared](seqSegSize, 0)
	if err != nil {
		return fail(err)
	}
	s.started.Add(1)
	var v rec256
	var torn, rawTorn uint64
	for i := range n {
		if err := s.rec.Read(&v); err != nil {
			return fail(err)
		}
		if !v.ok() {
			torn++
		}
		if i%16 == 0 {
			v = s.rec.val // a data race on purpose: what the seqlock prevents
			if !v.ok() {
				rawTorn++
			}
		}
	}
	s.reads.Add(uint64(n))
	s.torn.Add(torn)
	s.rawTorn.Add(rawTorn)
	return 0
}

// TestSeqlockProcesses: 2 writer processes and 2 reader processes; the
// readers make 1,000,000 reads of a 256-byte record carrying its own
// checksum, and accept no torn copy.
func TestSeqlockProcesses(t *testing.T) {
	reads := 1000000
	if testing.Short() {
		reads = 100000
	}
	for _, c := range []struct {
		name    string
		writers int
		single  string
	}{
		{"two locked writers", 2, "0"},
		{"one single writer", 1, "1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			seg := sharedSegment(t, seqSegSize)
			s := view[seqShared](t, seg, 0)
			var v rec256
			v.fill(0, 0)
			s.rec.StoreSingle(v)
			if c.single == "0" {
				s.rec.Store(v) // then lock-mode writes only
			}
			begin := time.Now()
			run := func(name string, args ...string) func() error {
				cmd := testproc.Command(t, name, args...)
				shareWith(t, seg, cmd)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				return cmd.Wait
			}
			var wait []func() error
			for w := range c.writers {
				wait = append(wait, run("shmsync-seq-writer", strconv.Itoa(w+1), c.single))
			}
			var readWait []func() error
			for range 2 {
				readWait = append(readWait, run("shmsync-seq-reader", strconv.Itoa(reads/2)))
			}
			for _, w := range readWait {
				if err := w(); err != nil {
					s.stop.Store(1)
					t.Fatalf("reader: %v", err)
				}
			}
			s.stop.Store(1)
			for _, w := range wait {
				if err := w(); err != nil {
					t.Fatalf("writer: %v", err)
				}
			}
			t.Logf("%d reads in %v alongside %d writes; %d torn copies accepted; %d of %d unsynchronised copies were torn",
				s.reads.Load(), time.Since(begin).Round(time.Millisecond), s.writes.Load(), s.torn.Load(), s.rawTorn.Load(), s.reads.Load()/16)
			if s.reads.Load() != uint64(reads) {
				t.Fatalf("%d reads, want %d", s.reads.Load(), reads)
			}
			if s.torn.Load() != 0 {
				t.Fatalf("%d torn reads accepted", s.torn.Load())
			}
			if s.writes.Load() == 0 {
				t.Fatal("no writes happened during the reads")
			}
		})
	}
}

// seqStall begins a write (argument 1: single-writer path), writes half
// the record, says "writing" and sleeps until killed.
func seqStall(args []string) int {
	single := intArgs(args)[0] == 1
	s, err := childView[seqShared](seqSegSize, 0)
	if err != nil {
		return fail(err)
	}
	if single {
		s.rec.lock.BeginWriteSingle()
	} else if err := s.rec.lock.BeginWrite(); err != nil {
		return fail(err)
	}
	for i := range 15 {
		s.rec.val.Words[i] = 0xdead
	}
	os.Stdout.WriteString("writing\n")
	time.Sleep(time.Hour)
	return 0
}

// TestSeqlockWriterKilled: a writer process is killed in the middle of a
// write. Readers then fail with ErrWriterDead instead of spinning, within
// 100 ms; the next writer repairs the record (locked: it gets ErrOwnerDead;
// single: the master's Repair or rewrite), after which reads succeed.
func TestSeqlockWriterKilled(t *testing.T) {
	for _, single := range []bool{false, true} {
		t.Run(fmt.Sprintf("single=%v", single), func(t *testing.T) {
			seg := sharedSegment(t, seqSegSize)
			s := view[seqShared](t, seg, 0)
			var v rec256
			v.fill(0, 0)
			s.rec.StoreSingle(v)
			arg := "0"
			if single {
				arg = "1"
			}
			cmd := testproc.Command(t, "shmsync-seq-stall", arg)
			shareWith(t, seg, cmd)
			testproc.StartReady(t, cmd, "writing")
			killed := time.Now()
			cmd.Process.Kill()
			cmd.Wait()
			_, err := s.rec.Load()
			took := time.Since(killed)
			if !errors.Is(err, ErrWriterDead) {
				t.Fatalf("Load after the writer was killed = %v, want ErrWriterDead", err)
			}
			t.Logf("ErrWriterDead %v after the kill", took)
			if took >= 100*time.Millisecond {
				t.Fatalf("ErrWriterDead took %v", took)
			}
			var fresh rec256
			fresh.fill(7, 7)
			if single {
				if !s.rec.Repair() { // the master, after reaping the worker
					t.Fatal("Repair did nothing")
				}
				if got, err := s.rec.Load(); err != nil || got.ok() {
					t.Fatalf("Load after Repair = %v, ok %v: want the half-written record", err, got.ok())
				}
				s.rec.StoreSingle(fresh)
			} else if err := s.rec.Store(fresh); !errors.Is(err, ErrOwnerDead) {
				t.Fatalf("Store after the writer died = %v, want ErrOwnerDead", err)
			}
			if got, err := s.rec.Load(); err != nil || got != fresh {
				t.Fatalf("Load after the repair = %v", err)
			}
		})
	}
}
