package shm

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shm-view-counter", viewCounterHelper)
}

// viewCounter is what TestViewSharedCounter shares between two processes.
type viewCounter struct {
	n     atomic.Uint64
	ready atomic.Uint32
	_     [4]byte
}

type viewOK struct {
	A  bool
	B  int8
	C  uint16
	D  [3]int32
	E  float64
	F  complex128
	G  struct{ X, Y uint64 }
	H  atomic.Uint64
	I  atomic.Int64
	J  atomic.Uint32
	K  atomic.Int32
	L  atomic.Bool
	M  [2][4]byte
	_  [5]byte
	ZZ struct{}
}

func TestViewTypes(t *testing.T) {
	s := viewAlloc(t, 4096)
	check := func(name string, err error, ok bool) {
		t.Helper()
		if ok {
			if err != nil {
				t.Errorf("%s: %v, want success", name, err)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Op != "view" || !errors.Is(err, ErrViewType) || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%s: %v, want *Error{Op: view} matching ErrViewType and EINVAL", name, err)
		}
	}
	ok := func(name string, err error) { t.Helper(); check(name, err, true) }
	bad := func(name string, err error) { t.Helper(); check(name, err, false) }

	_, err := View[viewOK](s, 0)
	ok("struct of scalars, arrays and atomics", err)
	_, err = View[uint64](s, 0)
	ok("uint64", err)
	_, err = View[[0]byte](s, 0)
	ok("empty array", err)

	_, err = View[int](s, 0)
	bad("int", err)
	_, err = View[uint](s, 0)
	bad("uint", err)
	_, err = View[uintptr](s, 0)
	bad("uintptr", err)
	_, err = View[*int](s, 0)
	bad("pointer", err)
	_, err = View[unsafe.Pointer](s, 0)
	bad("unsafe.Pointer", err)
	_, err = View[string](s, 0)
	bad("string", err)
	_, err = View[[]byte](s, 0)
	bad("slice", err)
	_, err = View[map[int32]int32](s, 0)
	bad("map", err)
	_, err = View[chan int32](s, 0)
	bad("chan", err)
	_, err = View[func()](s, 0)
	bad("func", err)
	_, err = View[any](s, 0)
	bad("interface", err)
	_, err = View[atomic.Pointer[int32]](s, 0)
	bad("atomic.Pointer", err)
	_, err = View[atomic.Value](s, 0)
	bad("atomic.Value", err)
	_, err = View[atomic.Uintptr](s, 0)
	bad("atomic.Uintptr", err)
	_, err = View[[0]*int32](s, 0)
	bad("zero-length array of pointers", err)
	_, err = ViewSlice[struct {
		A uint32
		B [2]struct{ S string }
	}](s, 0, 1)
	bad("nested string", err)
	if err != nil && !strings.Contains(err.Error(), ".B[i].S is a string") {
		t.Errorf("error %q does not name the field", err)
	}
}

func TestViewBoundsAndAlignment(t *testing.T) {
	s := viewAlloc(t, 4096)
	if p, err := View[uint64](s, 4088); err != nil || uintptr(unsafe.Pointer(p)) != uintptr(unsafe.Pointer(&s.Bytes()[4088])) {
		t.Fatalf("View at the last word = %p, %v", p, err)
	}
	if v, err := ViewSlice[uint64](s, 0, 512); err != nil || len(v) != 512 || cap(v) != 512 {
		t.Fatalf("ViewSlice of the whole segment = len %d, %v", len(v), err)
	}
	if v, err := ViewSlice[uint64](s, 4096, 0); err != nil || v == nil || len(v) != 0 {
		t.Fatalf("empty ViewSlice at the end = %v, %v; want an empty slice", v, err)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"past the end", viewErr(View[uint64](s, 4089+7)), ErrBounds},
		{"straddling the end", viewErr(View[[2]uint64](s, 4088)), ErrBounds},
		{"negative offset", viewErr(View[uint64](s, -8)), ErrBounds},
		{"offset past the end", viewErr(View[byte](s, math.MaxInt)), ErrBounds},
		{"negative count", viewErr(ViewSlice[uint64](s, 0, -1)), ErrBounds},
		{"count overflowing", viewErr(ViewSlice[uint64](s, 8, math.MaxInt/4)), ErrBounds},
		{"one too many", viewErr(ViewSlice[uint64](s, 8, 512)), ErrBounds},
		{"misaligned uint64", viewErr(View[uint64](s, int(unsafe.Alignof(uint64(0)))/2)), ErrAlign}, // 4, or 2 where uint64 aligns to 4
		{"misaligned atomic", viewErr(View[viewCounter](s, 12)), ErrAlign},
		{"misaligned uint32", viewErr(View[uint32](s, 2)), ErrAlign},
	} {
		var e *Error
		if !errors.As(c.err, &e) || e.Op != "view" || !errors.Is(c.err, c.want) || !errors.Is(c.err, syscall.EINVAL) {
			t.Errorf("%s: %v, want *Error{Op: view} matching %v and EINVAL", c.name, c.err, c.want)
		}
	}
	if _, err := View[byte](s, 3); err != nil {
		t.Errorf("byte at an odd offset: %v", err)
	}
	if err := s.Free(); err != nil {
		t.Fatal(err)
	}
	if _, err := View[uint64](s, 0); !errors.Is(err, ErrFreed) {
		t.Errorf("View of a freed segment = %v, want ErrFreed", err)
	}
}

func TestViewAliasesSegment(t *testing.T) {
	s := viewAlloc(t, 4096)
	recs, err := ViewSlice[struct{ A, B uint32 }](s, 64, 4)
	if err != nil {
		t.Fatal(err)
	}
	recs[2].B = 0x01020304
	if got := s.Bytes()[64+2*8+4]; got != 0x04 {
		t.Fatalf("byte under recs[2].B = %#x, want 0x04 (little-endian)", got)
	}
	c, err := View[viewCounter](s, 128)
	if err != nil {
		t.Fatal(err)
	}
	c.n.Store(0x0102030405060708)
	if got := s.Bytes()[128]; got != 0x08 {
		t.Fatalf("first byte under an atomic.Uint64 = %#x, want 0x08", got)
	}
}

// TestViewAtomicsInProcess hammers atomics in a view from goroutines; under
// -race it shows that atomics on segment memory are race-free.
func TestViewAtomicsInProcess(t *testing.T) {
	s := viewAlloc(t, 4096)
	c, err := View[viewCounter](s, 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10000 {
				c.n.Add(1)
			}
		})
	}
	wg.Wait()
	if got := c.n.Load(); got != 40000 {
		t.Fatalf("counter = %d, want 40000", got)
	}
}

// TestViewSharedCounter shares an atomic counter between this process and a
// child through View: both add to it at once and no increment is lost.
func TestViewSharedCounter(t *testing.T) {
	const size, adds = 4096, 200000
	s, err := AllocWith(size, AllocOptions{Name: "view-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	c, err := View[viewCounter](s, 64)
	if err != nil {
		t.Fatal(err)
	}
	cmd := testproc.Command(t, "shm-view-counter", strconv.Itoa(size), "64", strconv.Itoa(adds))
	if err := s.ShareWith(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for c.ready.Load() == 0 { // the child is mapped: race it
	}
	for range adds {
		c.n.Add(1)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if got := c.n.Load(); got != 2*adds {
		t.Fatalf("shared counter = %d, want %d", got, 2*adds)
	}
}

// viewCounterHelper takes up the segment its parent handed it and adds to
// the counter in it. Arguments: segment size, counter offset, number of adds.
func viewCounterHelper(args []string) int {
	size, _ := strconv.Atoi(args[0])
	off, _ := strconv.Atoi(args[1])
	adds, _ := strconv.Atoi(args[2])
	s, err := Inherited("view-test")
	if err == nil && s.Len() != size {
		err = fmt.Errorf("inherited %d bytes, want %d", s.Len(), size)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c, err := View[viewCounter](s, off)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c.ready.Store(1)
	for range adds {
		c.n.Add(1)
	}
	return 0
}

// ExampleView keeps a counter in a segment; a child process handed the
// segment would see and update the same counter.
func ExampleView() {
	seg, err := Alloc(4096)
	if err != nil {
		panic(err)
	}
	defer seg.Free()
	type stats struct {
		Requests atomic.Uint64
		Peak     atomic.Uint64
	}
	st, err := View[stats](seg, 0)
	if err != nil {
		panic(err)
	}
	st.Requests.Add(1)
	fmt.Println(st.Requests.Load())

	_, err = View[struct{ Name string }](seg, 64)
	fmt.Println(errors.Is(err, ErrViewType))
	// Output:
	// 1
	// true
}

func viewAlloc(t *testing.T, size int) *Segment {
	t.Helper()
	s, err := Alloc(size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Free() })
	return s
}

func viewErr[T any](_ T, err error) error { return err }
