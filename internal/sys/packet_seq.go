//go:build linux || freebsd

package sys

import "golang.org/x/sys/unix"

// packetType is PacketPair's socket type.
const packetType = unix.SOCK_SEQPACKET
