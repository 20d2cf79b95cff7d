package pm

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"

	"github.com/fpmshm/fpmshm/pm/accesslog"
)

// newAccessLog takes up the access log handed over as fd, written in
// format.
func newAccessLog(fd int, format, pool string, log *slog.Logger) (*accesslog.Log, error) {
	if fd < 0 {
		return nil, fmt.Errorf("worker hand-over: access.format is set but %s is missing", envAccessFD)
	}
	f, err := accesslog.ParseFormat(format)
	if err != nil {
		return nil, fmt.Errorf("worker: access.format: %w", err)
	}
	file := os.NewFile(uintptr(fd), "access.log")
	syscall.CloseOnExec(fd) // not for the handler's own children
	return accesslog.New(file, f, pool, log), nil
}

// logRequest writes e, the entry of the request that has just ended, to
// a, with the CPU time and memory st measured of it.
func logRequest(a *accesslog.Log, e *accesslog.Entry, st *stages) {
	cpu, memory := st.lastRequest()
	e.CPUUser, e.CPUSystem, e.Memory = cpu.user, cpu.system, memory
	a.Write(e)
}

// peerHost is the host of a "host:port" peer address; "" for a peer
// without one (a unix socket).
func peerHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return host
}
