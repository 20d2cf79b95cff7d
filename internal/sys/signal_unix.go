//go:build unix

package sys

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// SignalName returns the name of s ("SIGKILL"), or "" if it has none.
func SignalName(s syscall.Signal) string { return unix.SignalName(s) }
