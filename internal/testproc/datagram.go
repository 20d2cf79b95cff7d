package testproc

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// ListenDatagrams binds a unix datagram socket at path (a new one in the
// test's temporary directory when path is empty; a name beginning with '@'
// is abstract), standing in for a daemon that listens on one: syslog's
// /dev/log, systemd's NOTIFY_SOCKET. It is closed when the test ends.
func ListenDatagrams(t testing.TB, path string) (string, *net.UnixConn) {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "socket")
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return path, c
}

// ReceiveDatagram returns the next datagram on c, failing the test when
// none comes within a second.
func ReceiveDatagram(t testing.TB, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(time.Second))
	b := make([]byte, 64<<10)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("testproc: receive a datagram: %v", err)
	}
	return string(b[:n])
}
