//go:build linux

package shm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() { testproc.Register("shm-half-made", helperHalfMade) }

// helperHalfMade makes segment args[0] the way Alloc does, but stops after
// creating its memfd, before sizing and sealing it, until it reads a
// line; then it finishes, says "finished", and waits for its input to
// close.
func helperHalfMade(args []string) int {
	const size = 4096
	maplen, _ := allocLen(size)
	h := newHeader(size, 7)
	fd, _, step, err := newBacking(args[0], h)
	if err != nil {
		fmt.Fprintln(os.Stderr, step, err)
		return 1
	}
	fmt.Println("ready")
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return 0
	}
	if step, err := stamp(fd, h, maplen); err != nil {
		fmt.Fprintln(os.Stderr, step, err)
		return 1
	}
	if step, err := seal(fd); err != nil {
		fmt.Fprintln(os.Stderr, step, err)
		return 1
	}
	fmt.Println("finished")
	io.Copy(io.Discard, in)
	return 0
}

// TestAttachWhileBeingMade attaches to a segment another process has
// created but not yet sized and sealed: Attach waits for it rather than
// failing on a size that is not set yet (a tool started together
// with a master), and when the maker never finishes it fails with
// ErrHeader after a bounded wait, saying so.
func TestAttachWhileBeingMade(t *testing.T) {
	start := func(name string) (pid int, finish func()) {
		cmd := testproc.Command(t, "shm-half-made", name)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close() })
		testproc.StartReady(t, cmd, "ready")
		return cmd.Process.Pid, func() { io.WriteString(stdin, "finish\n") }
	}

	name := uniqueName("making")
	pid, finish := start(name)
	attached := make(chan error, 1)
	go func() {
		s, err := Attach(pid, name, false)
		if err == nil {
			if s.Tag() != 7 || s.Len() != 4096 {
				err = fmt.Errorf("attached tag %d, %d bytes; want 7, 4096", s.Tag(), s.Len())
			}
			s.Free()
		}
		attached <- err
	}()
	select {
	case err := <-attached:
		t.Fatalf("Attach returned before the segment was finished: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	finish()
	if err := <-attached; err != nil {
		t.Fatalf("Attach to a segment finished while it waited: %v", err)
	}

	name = uniqueName("unfinished")
	pid, _ = start(name)
	began := time.Now()
	_, err := Attach(pid, name, false)
	if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "still being made") {
		t.Fatalf("Attach to a segment never finished: %v, want ErrHeader saying it is still being made", err)
	}
	if waited := time.Since(began); waited < creationPatience {
		t.Fatalf("Attach gave up after %s, before its patience of %s", waited, creationPatience)
	}
}
