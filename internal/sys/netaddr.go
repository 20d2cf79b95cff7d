package sys

import "net/netip"

// netJoin formats an IP address (4 or 16 bytes) and a port as host:port.
func netJoin(ip []byte, port int) string {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return ""
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port)).String()
}
