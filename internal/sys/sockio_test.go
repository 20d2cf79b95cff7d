//go:build unix

package sys

import (
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listenerFD returns a listening TCP socket's own descriptor, blocking.
func listenerFD(t *testing.T) (int, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return int(f.Fd()), ln.Addr().String()
}

// acceptedConn returns both ends of a new TCP connection: the descriptor
// AcceptBlocking accepted, and the client's net.Conn. Both are closed at the
// end of the test.
func acceptedConn(t *testing.T) (int, net.Conn) {
	t.Helper()
	lfd, addr := listenerFD(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fd, err := AcceptBlocking(lfd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd, c
}

// TestBlockingSocketTimeouts: a connection accepted with AcceptBlocking
// blocks in Read for its receive timeout, then fails with a timeout.
func TestBlockingSocketTimeouts(t *testing.T) {
	fd, c := acceptedConn(t)
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK != 0 {
		t.Fatalf("accepted descriptor's flags %#x (%v), want blocking", fl, err)
	}
	if err := SetRecvTimeout(fd, 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := Read(fd, make([]byte, 8))
	if took := time.Since(start); !IsTimeout(err) || n != 0 || took < 100*time.Millisecond || took > 2*time.Second {
		t.Errorf("read with nothing sent: %d, %v after %v; want a timeout after about 150ms", n, err, took)
	}
	c.Write([]byte("hello"))
	b := make([]byte, 8)
	if n, err := Read(fd, b); err != nil || string(b[:n]) != "hello" {
		t.Errorf("read %q, %v; want hello", b[:n], err)
	}
	if n, err := Write(fd, []byte("world")); err != nil || n != 5 {
		t.Errorf("write: %d, %v", n, err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := c.Read(b); err != nil || string(b[:n]) != "world" {
		t.Errorf("peer read %q, %v", b[:n], err)
	}
}

// TestShutdownWakesBlockedRead: Shutdown ends a read blocked in another
// thread with end of file.
func TestShutdownWakesBlockedRead(t *testing.T) {
	fd, _ := acceptedConn(t)
	done := make(chan error, 1)
	go func() {
		n, err := Read(fd, make([]byte, 8))
		if err == nil && n != 0 {
			err = os.ErrInvalid
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	Shutdown(fd)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("blocked read after Shutdown: %v, want end of file", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Shutdown did not end a blocked read")
	}
}
