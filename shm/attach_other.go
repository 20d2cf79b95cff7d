//go:build unix && !linux

package shm

// attach returns ErrNotSupported: this platform has no /proc/<pid>/fd.
func attach(pid int, name string, writable bool) (*Segment, string, error) {
	return nil, "no /proc/<pid>/fd on this platform", ErrNotSupported
}
