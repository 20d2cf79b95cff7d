package shm

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"
)

// TestAllocatedExactUnderConcurrency runs 8 goroutines of 10,000
// Alloc/Free (and Map/Free) of random sizes, checking at every quiescent
// point Allocated() and that exactly the live segments are mapped, and 0
// net at the end.
func TestAllocatedExactUnderConcurrency(t *testing.T) {
	base := Allocated()
	name := uniqueName("exact")
	sharedAnon := mappingsNamed("/dev/zero (deleted)") // Map's Shared|Anonymous segments
	const workers, rounds, batch = 8, 10_000, 100
	var wg sync.WaitGroup
	for round := 0; round < rounds/batch; round++ {
		held := make([][]*Segment, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range batch {
					size := 1 + rand.IntN(3*pageSize)
					var s *Segment
					var err error
					if rand.IntN(2) == 0 {
						s, err = AllocWith(size, AllocOptions{Name: name})
					} else {
						s, err = Map(Options{Size: size, Prot: rw, Flags: Shared | Anonymous})
					}
					if err != nil {
						t.Error(err)
						return
					}
					if rand.IntN(4) == 0 {
						held[w] = append(held[w], s) // kept across the quiescent point
					} else if err := s.Free(); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		var want int64
		var memfds, anons int
		for _, list := range held {
			for _, s := range list {
				want += int64(s.Len())
				if s.backing == BackingAnonymous {
					anons++
				} else {
					memfds++
				}
			}
		}
		if got := Allocated() - base; got != want {
			t.Fatalf("round %d: Allocated() is %d over the start, the live segments hold %d", round, got, want)
		}
		if m, a := memfdMappings(name), mappingsNamed("/dev/zero (deleted)")-sharedAnon; m != memfds || a != anons {
			t.Fatalf("round %d: %d memfd and %d anonymous segments are mapped, %d and %d are live", round, m, a, memfds, anons)
		}
		for _, list := range held {
			for _, s := range list {
				if err := s.Free(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if got := Allocated(); got != base {
		t.Fatalf("Allocated() is %d after freeing everything, want %d", got, base)
	}
}

// TestConcurrentDoubleFree frees one segment from many goroutines at once:
// exactly one Free succeeds and the bytes are counted off once.
func TestConcurrentDoubleFree(t *testing.T) {
	base := Allocated()
	for range 200 {
		s, err := Alloc(1000)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if s.Free() == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d concurrent Frees succeeded, want 1", ok)
		}
	}
	if got := Allocated(); got != base {
		t.Fatalf("Allocated() %d, want %d", got, base)
	}
}

// TestAccountingModel checks random Alloc/Free/double-Free sequences
// against a model of the live segments; every Free leaves its range
// unmapped.
func TestAccountingModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := Allocated()
		live := map[*Segment]int{}
		var dead []*Segment
		defer func() {
			for s := range live {
				s.Free()
			}
		}()
		t.Repeat(map[string]func(*rapid.T){
			"alloc": func(t *rapid.T) {
				size := rapid.IntRange(1, 5*pageSize).Draw(t, "size")
				s, err := Alloc(size)
				if err != nil {
					t.Fatal(err)
				}
				if s.Len() != size {
					t.Fatalf("Len %d, want %d", s.Len(), size)
				}
				live[s] = size
			},
			"free": func(t *rapid.T) {
				if len(live) == 0 {
					t.Skip("nothing live")
				}
				s := rapid.SampledFrom(keys(live)).Draw(t, "segment")
				freeUnmaps(t, s)
				delete(live, s)
				dead = append(dead, s)
			},
			"double free": func(t *rapid.T) {
				if len(dead) == 0 {
					t.Skip("nothing freed")
				}
				s := rapid.SampledFrom(dead).Draw(t, "segment")
				if err := s.Free(); err == nil {
					t.Fatal("second Free succeeded")
				}
			},
			"": func(t *rapid.T) {
				var want int64
				for _, n := range live {
					want += int64(n)
				}
				if got := Allocated() - base; got != want {
					t.Fatalf("Allocated() over the start is %d, model says %d", got, want)
				}
				if got := len(Segments()); got < len(live) {
					t.Fatalf("Segments() lists %d, %d are live", got, len(live))
				}
			},
		})
	})
}

func keys(m map[*Segment]int) []*Segment {
	var list []*Segment
	for s := range m {
		list = append(list, s)
	}
	// a stable order, so that rapid can shrink and replay
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && uintptr(list[j].base) < uintptr(list[j-1].base); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	return list
}

// TestSegmentsLists checks Segments describes the live segments.
func TestSegmentsLists(t *testing.T) {
	a, err := AllocWith(100, AllocOptions{Name: "listed-a", Tag: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	b, err := Map(Options{Size: 200, Prot: ProtRead, Flags: Private | Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, info := range Segments() {
		switch {
		case info.Name == "listed-a":
			found++
			if info.Size != 100 || info.Backing != BackingMemfd || info.Prot != rw || info.Flags != Shared || info.Created.IsZero() {
				t.Errorf("alloc'd segment listed as %+v", info)
			}
		case info.Size == 200 && info.Backing == BackingAnonymous && info.Flags == Private|Anonymous:
			found++
		}
	}
	if found != 2 {
		t.Fatalf("found %d of the 2 segments in %+v", found, Segments())
	}
	b.Free()
	for _, info := range Segments() {
		if info.Size == 200 && info.Flags == Private|Anonymous {
			t.Fatal("freed segment still listed")
		}
	}
}

// TestAccountingBoundaries runs Map and Alloc with sizes at every boundary
// (0, 1, a page and one either side, the largest sizes that can be rounded
// to pages and those just past, up to math.MaxInt) and a SetLimit that
// moves, checking each call against a model: a size that does not round
// is ErrSize; one that would take the count past the limit, or past what
// an int64 holds, is ErrLimit, before any system call; a refused call
// changes nothing and a granted one adds exactly its size. A goroutine
// watching Allocated() throughout never sees it negative.
func TestAccountingBoundaries(t *testing.T) {
	page := pageSize
	var boundaries []int
	for _, n := range []int{0, 1, page, 2 * page, largestSegment, math.MaxInt - 3*page, math.MaxInt - 2*page, math.MaxInt - page, math.MaxInt} {
		boundaries = append(boundaries, n-1, n, n+1) // MaxInt+1 wraps to MinInt: also refused
	}
	stop := watchAllocated()
	defer func() {
		if stop() {
			t.Fatal("Allocated() went negative")
		}
	}()
	defer SetLimit(SetLimit(0))
	rapid.Check(t, func(t *rapid.T) {
		base := Allocated()
		SetLimit(0)
		live := map[*Segment]int{}
		defer func() {
			for s := range live {
				s.Free()
			}
		}()
		var used int64 // the model's bytes over base
		size := rapid.OneOf(rapid.SampledFrom(boundaries), rapid.IntRange(1, 4*page))
		allocate := func(t *rapid.T, kind string, rounds func(int) bool, mk func(int) (*Segment, error)) {
			n := size.Draw(t, "size")
			lim := limit.Load()
			cur := base + used
			s, err := mk(n)
			switch {
			case n <= 0 || !rounds(n):
				if !errors.Is(err, ErrSize) {
					t.Fatalf("%s of %d bytes: %v, want ErrSize", kind, n, err)
				}
			case int64(n) > math.MaxInt64-cur:
				if !errors.Is(err, ErrLimit) {
					t.Fatalf("%s of %d bytes with %d in use: %v, want ErrLimit: the count would wrap", kind, n, cur, err)
				}
			case lim > 0 && cur+int64(n) > lim:
				if !errors.Is(err, ErrLimit) {
					t.Fatalf("%s of %d bytes with %d in use under a limit of %d: %v, want ErrLimit", kind, n, cur, lim, err)
				}
			}
			if err != nil {
				if got := Allocated(); got != cur {
					t.Fatalf("refused %s of %d bytes moved Allocated() from %d to %d", kind, n, cur, got)
				}
				return
			}
			live[s] = n
			used += int64(n)
		}
		t.Repeat(map[string]func(*rapid.T){
			"limit": func(t *rapid.T) {
				over := rapid.SampledFrom([]int64{-1, 0, 1, int64(page), 10 * int64(page), math.MaxInt64 - base}).Draw(t, "limit over base")
				SetLimit(base + over)
			},
			"map": func(t *rapid.T) {
				allocate(t, "Map", func(n int) bool { _, ok := roundUp(n, page); return ok }, func(n int) (*Segment, error) {
					return Map(Options{Size: n, Prot: rw, Flags: Private | Anonymous})
				})
			},
			"alloc": func(t *rapid.T) {
				allocate(t, "Alloc", func(n int) bool { _, ok := allocLen(n); return ok }, Alloc)
			},
			"free": func(t *rapid.T) {
				if len(live) == 0 {
					t.Skip("nothing live")
				}
				s := rapid.SampledFrom(keys(live)).Draw(t, "segment")
				used -= int64(live[s])
				delete(live, s)
				freeUnmaps(t, s)
			},
			"": func(t *rapid.T) {
				if got := Allocated() - base; got != used {
					t.Fatalf("Allocated() over the start is %d, model says %d", got, used)
				}
			},
		})
	})
}

// watchAllocated reads Allocated() in a loop until stop is called, which
// reports whether it was ever seen negative.
func watchAllocated() (stop func() (negative bool)) {
	var negative atomic.Bool
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
				if Allocated() < 0 {
					negative.Store(true)
				}
				runtime.Gosched()
			}
		}
	}()
	return func() bool {
		close(done)
		<-finished
		return negative.Load()
	}
}
