package shmsync

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fpmshm/fpmshm/shm"
)

// The multi-process tests hand a segment to their helper processes as a
// memfd at fd 3 (cmd.ExtraFiles[0]); the helper maps it with childSegment.

// sharedSegment returns a segment of size bytes backed by a memfd, and the
// memfd to put in a helper's ExtraFiles. Both go away with the test.
func sharedSegment(tb testing.TB, size int) (*shm.Segment, *os.File) {
	tb.Helper()
	fd, err := unix.MemfdCreate("shmsync-test", unix.MFD_CLOEXEC)
	if err != nil {
		tb.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "memfd:shmsync-test")
	tb.Cleanup(func() { f.Close() })
	if err := f.Truncate(int64(size)); err != nil {
		tb.Fatal(err)
	}
	seg, err := shm.Map(shm.Options{File: f, Size: size, Prot: shm.ProtRead | shm.ProtWrite, Flags: shm.Shared})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { seg.Free() })
	return seg, f
}

// childSegment maps, in a helper, the segment its parent put at fd 3.
func childSegment(size int) (*shm.Segment, error) {
	f := os.NewFile(3, "seg")
	defer f.Close()
	return shm.Map(shm.Options{File: f, Size: size, Prot: shm.ProtRead | shm.ProtWrite, Flags: shm.Shared})
}

// view is shm.View that fails the test.
func view[T any](tb testing.TB, seg *shm.Segment, off int) *T {
	tb.Helper()
	p, err := shm.View[T](seg, off)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// childView maps the parent's segment and views a T at off, in a helper.
func childView[T any](size, off int) (*T, error) {
	seg, err := childSegment(size)
	if err != nil {
		return nil, err
	}
	return shm.View[T](seg, off)
}

// intArgs parses a helper's arguments as integers.
func intArgs(args []string) []int {
	n := make([]int, len(args))
	for i, a := range args {
		v, err := strconv.Atoi(a)
		if err != nil {
			panic(fmt.Sprintf("helper argument %d: %v", i, err))
		}
		n[i] = v
	}
	return n
}

// fail prints a helper's error and returns its exit code.
func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}
