package sys

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFallocateUnderSignals reserves a tmpfs file's blocks while a signal
// reaches the calling thread every millisecond, ten times Go's preemption
// rate: tmpfs gives up at each one with EINTR and undoes that call, so
// Fallocate must both call again and make progress between two signals.
// The signals stop after 20 s; a Fallocate still running then has made no
// progress under them. Linux 6.1 (Debian 12's kernel, which CI boots for
// the 386 tests) stops at any pending signal; some later kernels stop only
// at a fatal one, and there the test cannot tell a retry from none.
func TestFallocateUnderSignals(t *testing.T) {
	fd, err := unix.MemfdCreate("fpmshm-eintr", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, tid := unix.Getpid(), unix.Gettid()
	var stop, gaveUp atomic.Bool
	done := make(chan struct{})
	go func() { // SIGURG is Go's preemption signal: the runtime ignores extra ones
		defer close(done)
		for start := time.Now(); !stop.Load(); time.Sleep(time.Millisecond) {
			if time.Since(start) > 20*time.Second {
				gaveUp.Store(true)
				return
			}
			unix.Tgkill(pid, tid, unix.SIGURG)
		}
	}()

	const size = 32 << 20
	for i := range 10 {
		if err := Fallocate(fd, 0, size); err != nil {
			t.Fatalf("fallocate %d of %d bytes under signals: %v", i, size, err)
		}
		if err := Ftruncate(fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	<-done
	if gaveUp.Load() {
		t.Fatalf("fallocate of %d bytes made no progress in 20 s under a signal every millisecond", size)
	}
	var st unix.Stat_t
	if err := Fallocate(fd, 0, size); err != nil || unix.Fstat(fd, &st) != nil || st.Size != size || st.Blocks*512 < size {
		t.Fatalf("after fallocate of %d bytes: %v, size %d, %d bytes reserved", size, err, st.Size, st.Blocks*512)
	}
}
