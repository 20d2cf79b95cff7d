//go:build unix && !linux

package shm

// handedBacking is the backing of segments handed between processes.
const handedBacking = BackingTempFile

// checkMemfd accepts fd: this platform has no memfd, and Alloc's unlinked
// temporary files carry no seals and no name to check. The size and the
// header are still checked.
func checkMemfd(fd int, name string, mismatch *kindError) (string, error) { return "", nil }
