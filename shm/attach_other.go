//go:build unix && !linux

package shm

// attach returns ErrNotSupported: this platform has no /proc/<pid>/fd.
func attach(pid int, name string, writable bool) (*Segment, string, error) {
	return nil, "no /proc/<pid>/fd on this platform", ErrNotSupported
}

// segmentNames returns ErrNotSupported: this platform has no /proc/<pid>/fd.
func segmentNames(pid int) ([]string, error) { return nil, ErrNotSupported }
