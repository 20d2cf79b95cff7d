package shm

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// mapShared maps the shareable segment open as fd with prot, after
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
	case real < int64(pageSize) || real%int64(pageSize) != 0 || real > int64(maxSize):
		return nil, fmt.Sprintf("fd %d is %d bytes long, not whole pages holding a header", fd, real), mismatch
	case want > 0 && int64(pageRound(HeaderSize+want)) != real:
		return nil, fmt.Sprintf("fd %d is %d bytes long; a segment of %d bytes is %d", fd, real, want, pageRound(HeaderSize+want)), mismatch
	}
	maplen := uintptr(real)
	base, err := sys.MmapQuick(0, maplen, int(prot), sys.MapShared, fd, 0)
	if err != nil {
		return nil, fmt.Sprintf("mmap of fd %d, %d bytes, %s", fd, maplen, prot), err
	}
	h, detail, err := readHeader(base, real)
	if err != nil {
		detail = fmt.Sprintf("fd %d: %s", fd, detail)
	} else if want > 0 && h.Size != want {
		detail, err = fmt.Sprintf("header of fd %d says %d bytes, %s says %d", fd, h.Size, EnvSegments, want), mismatch
	}
	if err != nil {
		sys.Munmap(base, maplen)
		return nil, detail, err
	}
	return &Segment{
		base:    base,
		maplen:  maplen,
		data:    unsafe.Slice((*byte)(unsafe.Add(base, HeaderSize)), h.Size),
		size:    h.Size,
		prot:    prot,
		flags:   Shared,
		tag:     h.Tag,
		fd:      fd,
		created: h.Created,
	}, "", nil
}

// readHeader parses the header of the mapping at base, of real bytes,
// surviving a fault (a file truncated under the mapping).
func readHeader(base unsafe.Pointer, real int64) (Header, string, error) {
	var h Header
	var err error
	if addr, faulted := guard(func() { h, err = ParseHeader(headerBytes(base), real) }); faulted {
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

// Header returns the header of a shareable segment as it is now, validated
// against the mapping's size. A segment of Map has none (ErrHeader); a
// named segment truncated by another process fails with ErrFault. The
// error is an *Error with Op "header".
func (s *Segment) Header() (Header, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.liveLocked("header"); err != nil {
		return Header{}, err
	}
	if s.backing != BackingMemfd && s.backing != BackingTempFile && s.backing != BackingNamed {
		return Header{}, s.fail("header", ErrHeader, fmt.Sprintf("a %s mapping has no header", s.backing))
	}
	h, detail, err := readHeader(s.base, int64(s.maplen))
	if err != nil {
		return Header{}, s.fail("header", err, detail)
	}
	return h, nil
}

// CreatorAlive reports whether the process that created the segment still
// exists, as far as this process can tell (a zombie counts). A pid can be
// reused after its process was reaped, so true is a hint, false is
// certain: a named segment whose creator is gone was left behind.
func (h Header) CreatorAlive() bool {
	alive, err := sys.ProcessExists(h.CreatorPID)
	return alive && err == nil
}

// withErrno returns sentinel, also matching the errno err carries.
func withErrno(sentinel *kindError, err error) error {
	return fmt.Errorf("%w (%w)", sentinel, err)
}

// because returns the errno err carries explained by text, rather than
// with the meaning it has for a mapping (errnoMeaning); it still matches
// the errno.
func because(text string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &kindError{text, errno}
	}
	return fmt.Errorf("%s: %w", text, err)
}
