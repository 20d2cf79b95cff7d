//go:build unix

package sys

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// PeerAddr returns the IP address of the peer of the socket fd, an IPv4
// one (also one mapped into IPv6) in its 4-byte form; inet is false for
// a socket that is not TCP/IP (a unix socket). The error is getpeername's.
func PeerAddr(fd int) (addr netip.Addr, inet bool, err error) {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return netip.Addr{}, false, err
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr), true, nil
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr).Unmap(), true, nil
	}
	return netip.Addr{}, false, nil
}
