package shm

import (
	"math/rand/v2"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// TestAllocatedExactUnderConcurrency runs 8 goroutines of 10,000
// Alloc/Free (and Map/Free) of random sizes, checking Allocated() at every
// quiescent point and 0 net at the end.
func TestAllocatedExactUnderConcurrency(t *testing.T) {
	base := Allocated()
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
						s, err = Alloc(size)
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
		for _, list := range held {
			for _, s := range list {
				want += int64(s.Len())
			}
		}
		if got := Allocated() - base; got != want {
			t.Fatalf("round %d: Allocated() is %d over the start, the live segments hold %d", round, got, want)
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
// against a model of the live segments.
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
				if err := s.Free(); err != nil {
					t.Fatal(err)
				}
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
