//go:build linux

package shm

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

func init() {
	testproc.Register("shm3-bench-child", helperBenchChild)
}

// BenchmarkHandOver measures handing a 4 KiB segment to a child, without
// the cost of starting it: one child, started once, receives each
// segment's descriptor over a unix socket (SCM_RIGHTS) with the entry
// ShareWith wrote, and takes it up with Inherited, as a freshly exec'd
// child would. Reported per segment:
//
//	alloc-ns/op     Alloc in the parent
//	share-ns/op     ShareWith in the parent (cmd.Env already set)
//	inherit-ns/op   Inherited in the child, timed there
//	childfree-ns/op Free in the child (unmap and close)
//
// ns/op is the whole round, including the socket transfer, the parent's
// Free and the child's acknowledgement.
func BenchmarkHandOver(b *testing.B) {
	const size = 4096
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	theirs := os.NewFile(uintptr(pair[1]), "socket")
	cmd := testproc.Command(b, "shm3-bench-child")
	cmd.ExtraFiles = []*os.File{theirs}
	if err := cmd.Start(); err != nil {
		unix.Close(pair[0])
		theirs.Close()
		b.Fatal(err)
	}
	theirs.Close()
	sock := pair[0]
	defer func() {
		unix.Close(sock) // ends a child still waiting for a segment
		cmd.Wait()
	}()

	var alloc, share time.Duration
	reply := make([]byte, 128)
	n := 0
	for b.Loop() {
		t0 := time.Now()
		s, err := AllocWith(size, AllocOptions{Name: "h" + strconv.Itoa(n)})
		t1 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		c := &exec.Cmd{Env: []string{}}
		if err := s.ShareWith(c); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		alloc += t1.Sub(t0)
		share += t2.Sub(t1)
		entry := strings.TrimPrefix(c.Env[0], EnvSegments+"=")
		if err := unix.Sendmsg(sock, []byte(entry), unix.UnixRights(int(c.ExtraFiles[0].Fd())), nil, 0); err != nil {
			b.Fatal(err)
		}
		s.Free()
		if _, err := unix.Read(sock, reply); err != nil {
			b.Fatal(err)
		}
		if reply[0] != 'k' {
			b.Fatalf("child: %s", reply)
		}
		n++
	}
	b.StopTimer()
	if err := unix.Sendmsg(sock, []byte("done"), nil, nil, 0); err != nil {
		b.Fatal(err)
	}
	m, err := unix.Read(sock, reply)
	if err != nil {
		b.Fatal(err)
	}
	var inherit, free, count int64
	if _, err := fmt.Sscan(string(reply[:m]), &inherit, &free, &count); err != nil || count != int64(n) {
		b.Fatalf("child reported %q for %d segments", reply[:m], n)
	}
	b.ReportMetric(float64(alloc.Nanoseconds())/float64(n), "alloc-ns/op")
	b.ReportMetric(float64(share.Nanoseconds())/float64(n), "share-ns/op")
	b.ReportMetric(float64(inherit)/float64(n), "inherit-ns/op")
	b.ReportMetric(float64(free)/float64(n), "childfree-ns/op")
}

// helperBenchChild receives segments on the socket at fd 3, takes each
// up with Inherited, touches it and frees it, acknowledging each with
// "k"; on "done" it replies the nanoseconds spent in Inherited and in
// Free and the count.
func helperBenchChild([]string) int {
	const sock = 3
	buf, oob := make([]byte, 512), make([]byte, unix.CmsgSpace(4))
	var inherit, free time.Duration
	count := 0
	fail := func(err error) int {
		unix.Write(sock, []byte("error: "+err.Error()))
		return 1
	}
	for {
		n, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return fail(err)
		}
		if string(buf[:n]) == "done" {
			unix.Write(sock, []byte(fmt.Sprintf("%d %d %d", inherit.Nanoseconds(), free.Nanoseconds(), count)))
			return 0
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			return fail(fmt.Errorf("control message: %v", err))
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			return fail(fmt.Errorf("rights: %v", err))
		}
		// The entry as the parent wrote it, with the descriptor number it
		// has here.
		f := strings.Split(string(buf[:n]), ":")
		os.Setenv(EnvSegments, f[0]+":"+strconv.Itoa(fds[0])+":"+f[2])
		t0 := time.Now()
		s, err := Inherited(f[0])
		t1 := time.Now()
		if err != nil {
			return fail(err)
		}
		s.Bytes()[0] = 1
		t2 := time.Now()
		if err := s.Free(); err != nil {
			return fail(err)
		}
		inherit += t1.Sub(t0)
		free += time.Since(t2)
		count++
		unix.Write(sock, []byte("k"))
	}
}
