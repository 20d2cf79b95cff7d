package shm

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// Taking up a shareable segment that another process made (Inherited,
// Attach, Open): map its descriptor, validate what describes it (a named
// segment's header, checked against the file's real size; a memfd's name,
// size and seals, see mapHanded), and count it.

// mapShared maps the segment with a header open as fd with prot, after
// checking that fd is a regular file of whole pages and, once mapped, that
// its header is valid for the file's real size (fstat's, never the
// header's). want is the size the caller was told, 0 for any; a descriptor
// that is not what it should be fails with mismatch. On failure nothing is
// mapped and fd stays open; on success the Segment holds fd but is neither
// named, counted nor linked.
func mapShared(fd int, prot Prot, want int, mismatch *kindError) (*Segment, string, error) {
	st, err := sys.Fstat(fd)
	if err != nil {
		return nil, fmt.Sprintf("fstat of fd %d: %v", fd, err), withErrno(mismatch, err)
	}
	real := st.Size
	switch {
	case st.Mode&sys.ModeType != sys.ModeRegular:
		return nil, fmt.Sprintf("fd %d is not a regular file (mode %#o)", fd, st.Mode), mismatch
	case real < int64(pageSize) || real%int64(pageSize) != 0 || real > math.MaxInt:
		return nil, fmt.Sprintf("fd %d is %d bytes long, not whole pages holding a header", fd, real), mismatch
	}
	if want > 0 {
		if n, ok := segmentLen(want); !ok || int64(n) != real {
			return nil, fmt.Sprintf("fd %d is %d bytes long; a segment of %d bytes is %d", fd, real, want, n), mismatch
		}
	}
	maplen := uintptr(real)
	base, err := sys.Mmap(0, maplen, int(prot), sys.MapShared, fd, 0)
	if err != nil {
		return nil, fmt.Sprintf("mmap of fd %d, %d bytes, %s", fd, maplen, prot), err
	}
	h, detail, err := readHeader(base, maplen)
	if err != nil {
		detail = fmt.Sprintf("fd %d: %s", fd, detail)
	} else if want > 0 && h.Size != want {
		detail, err = fmt.Sprintf("header of fd %d says %d bytes, %s says %d", fd, h.Size, EnvSegments, want), mismatch
	}
	if err != nil {
		sys.Munmap(base, maplen)
		return nil, detail, err
	}
	return takenSegment(base, maplen, fd, prot, h), "", nil
}

// takenSegment returns the Segment of the mapping of maplen bytes at base
// of fd, a shareable segment another process made that h describes.
func takenSegment(base unsafe.Pointer, maplen uintptr, fd int, prot Prot, h Header) *Segment {
	return &Segment{
		base:    base,
		maplen:  maplen,
		data:    unsafe.Slice((*byte)(base), h.Size),
		size:    h.Size,
		prot:    prot,
		flags:   Shared,
		tag:     h.Tag,
		creator: h.CreatorPID,
		fd:      fd,
		created: h.Created,
	}
}

// readHeader parses the header of the mapping of maplen bytes at base,
// surviving a fault (a file truncated under the mapping).
func readHeader(base unsafe.Pointer, maplen uintptr) (Header, string, error) {
	var h Header
	var err error
	if addr, faulted := guard(func() { h, err = ParseHeader(headerBytes(base, maplen), int64(maplen)) }); faulted {
		return Header{}, fmt.Sprintf("fault at address %#x reading the header: the file was truncated", addr), ErrFault
	}
	if err != nil {
		return Header{}, strings.TrimPrefix(err.Error(), ErrHeader.text+": "), err
	}
	return h, "", nil
}

// adopt counts a segment mapped by mapShared and puts it on the live list,
// unless that passes SetLimit's cap; then it unmaps it (fd stays open).
func adopt(s *Segment) (string, error) {
	if detail, err := reserve(len(s.data)); err != nil {
		sys.Munmap(s.base, s.maplen)
		return detail, err
	}
	link(s)
	return "", nil
}
