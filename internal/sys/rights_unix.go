//go:build unix

package sys

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// PacketPair returns a connected pair of unix sockets that keep message
// boundaries, both close-on-exec (handed to a child, the one handed over is
// dup'ed without the flag). Where the system has SOCK_SEQPACKET (Linux,
// FreeBSD) they are of that type, and a read at one end ends (0 bytes)
// once the other is closed; elsewhere they are datagram sockets, whose
// reads wait for good.
func PacketPair() (a, b int, err error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := unix.Socketpair(unix.AF_UNIX, packetType, 0)
	if err != nil {
		return -1, -1, err
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	return fds[0], fds[1], nil
}

// SendRights sends body with the descriptors fds (SCM_RIGHTS) on the
// socket sock (see PacketPair), without blocking: a full socket buffer is EAGAIN.
func SendRights(sock int, body []byte, fds []int) error {
	return unix.Sendmsg(sock, body, unix.UnixRights(fds...), nil, unix.MSG_DONTWAIT)
}

// ParseRights returns the descriptors an SCM_RIGHTS control message
// received with recvmsg holds, in their order.
func ParseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return fds, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// RightsSpace is the control buffer size for n descriptors.
func RightsSpace(n int) int { return unix.CmsgSpace(4 * n) }

// Replace makes target refer to the file src refers to, in one step (a
// write to target goes to the old file or to the new one, never nowhere),
// then closes src. target keeps close-on-exec if cloexec says so; the
// flag is set under the fork lock, so no child started meanwhile
// inherits a descriptor it should not.
func Replace(src, target int, cloexec bool) error {
	syscall.ForkLock.RLock()
	err := unix.Dup2(src, target)
	if err == nil && cloexec {
		unix.CloseOnExec(target)
	}
	syscall.ForkLock.RUnlock()
	unix.Close(src)
	return err
}
