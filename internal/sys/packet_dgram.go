//go:build unix && !linux && !freebsd

package sys

import "golang.org/x/sys/unix"

// packetType is PacketPair's socket type: macOS has no SOCK_SEQPACKET
// for unix sockets.
const packetType = unix.SOCK_DGRAM
