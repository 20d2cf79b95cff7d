//go:build unix

package sys

import "golang.org/x/sys/unix"

// ProcessExists reports whether a process (possibly a zombie not yet
// reaped) has pid: kill(pid, 0). EPERM means it exists but belongs to
// another user.
func ProcessExists(pid int) (bool, error) {
	if pid <= 0 {
		return false, unix.EINVAL
	}
	switch err := unix.Kill(pid, 0); err {
	case nil, unix.EPERM:
		return true, nil
	case unix.ESRCH:
		return false, nil
	default:
		return false, err
	}
}
