package shmsync

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/fpmshm/fpmshm/shm"
)

// The multi-process tests hand a segment to their helper processes with
// shm's own hand-over: shareWith in the test, childSegment in the helper.

// segmentName names the segment the tests hand to their helpers.
const segmentName = "shmsync-test"

// sharedSegment returns a shareable segment of size bytes, freed when the
// test ends.
func sharedSegment(tb testing.TB, size int) *shm.Segment {
	tb.Helper()
	seg, err := shm.AllocWith(size, shm.AllocOptions{Name: segmentName})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { seg.Free() })
	return seg
}

// shareWith hands seg to the helper cmd will start.
func shareWith(tb testing.TB, seg *shm.Segment, cmd *exec.Cmd) {
	tb.Helper()
	if err := seg.ShareWith(cmd); err != nil {
		tb.Fatal(err)
	}
}

// childSegment takes up, in a helper, the segment of size bytes its parent
// handed it.
func childSegment(size int) (*shm.Segment, error) {
	seg, err := shm.Inherited(segmentName)
	if err == nil && seg.Len() != size {
		err = fmt.Errorf("inherited %d bytes, want %d", seg.Len(), size)
	}
	return seg, err
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
