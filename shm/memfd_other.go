//go:build unix && !linux

package shm

// handedBacking is the backing of segments handed between processes.
const handedBacking = BackingTempFile

// mapHanded maps fd, the temporary file of segment name that another
// process made, with prot: this platform has no memfd, and Alloc's
// unlinked temporary files carry no seals and no name to check, so it
// checks the size and the header (mapShared).
func mapHanded(fd int, name string, prot Prot, want int, mismatch *kindError) (*Segment, string, error) {
	return mapShared(fd, prot, want, mismatch)
}
