package sys

import (
	"io"
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
	stop := signalThread()
	const size = 32 << 20
	for i := range 10 {
		if err := Fallocate(fd, 0, size); err != nil {
			t.Fatalf("fallocate %d of %d bytes under signals: %v", i, size, err)
		}
		if err := Ftruncate(fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	if gaveUp := stop(); gaveUp {
		t.Fatalf("fallocate of %d bytes made no progress in 20 s under a signal every millisecond", size)
	}
	var st unix.Stat_t
	if err := Fallocate(fd, 0, size); err != nil || unix.Fstat(fd, &st) != nil || st.Size != size || st.Blocks*512 < size {
		t.Fatalf("after fallocate of %d bytes: %v, size %d, %d bytes reserved", size, err, st.Size, st.Blocks*512)
	}
}

// signalThread sends the calling thread, which the caller has locked, a
// signal every millisecond for at most 20 s. stop ends the signals and
// reports whether the 20 s ran out. SIGURG is Go's preemption signal:
// the runtime ignores extra ones.
func signalThread() (stop func() (gaveUp bool)) {
	pid, tid := unix.Getpid(), unix.Gettid()
	var stopped, gaveUp atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for start := time.Now(); !stopped.Load(); time.Sleep(time.Millisecond) {
			if time.Since(start) > 20*time.Second {
				gaveUp.Store(true)
				return
			}
			unix.Tgkill(pid, tid, unix.SIGURG)
		}
	}()
	return func() bool {
		stopped.Store(true)
		<-done
		return gaveUp.Load()
	}
}

// TestSocketIOUnderSignals reads and writes a blocking socket that has
// timeouts while a signal reaches the thread every millisecond. A socket
// call with a timeout is never restarted after a signal (signal(7)), even
// with Go's SA_RESTART: it fails with EINTR, which Read and Write must
// call again through, so that a request's read or its response's write
// does not fail because the runtime preempted the worker.
func TestSocketIOUnderSignals(t *testing.T) {
	fd, c := acceptedConn(t)
	if err := SetRecvTimeout(fd, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := SetSendTimeout(fd, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	stop := signalThread()
	defer stop()

	go func() {
		time.Sleep(100 * time.Millisecond)
		c.Write([]byte("hello"))
	}()
	b := make([]byte, 8)
	if n, err := Read(fd, b); err != nil || string(b[:n]) != "hello" {
		t.Fatalf("read of what the peer sends after 100 ms, under signals: %q, %v; want hello", b[:n], err)
	}

	const size = 4 << 20 // far more than the socket buffers hold: Write waits for the peer
	got := make(chan int)
	go func() {
		time.Sleep(100 * time.Millisecond)
		n, _ := io.Copy(io.Discard, io.LimitReader(c, size))
		got <- int(n)
	}()
	if n, err := Write(fd, make([]byte, size)); err != nil || n != size {
		t.Fatalf("write of %d bytes to a peer that reads after 100 ms, under signals: %d, %v", size, n, err)
	}
	if n := <-got; n != size {
		t.Fatalf("the peer read %d bytes, want %d", n, size)
	}
}
