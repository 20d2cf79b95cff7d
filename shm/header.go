package shm

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"time"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

// HeaderSize is the size of the header in the last bytes of a named
// segment (and, where there are no memfds, of Alloc's), after the
// caller's bytes and the padding to whole pages.
const HeaderSize = 64

// headerMagic opens every header.
var headerMagic = [8]byte{'f', 'p', 'm', 's', 'h', 'm', 0, 1}

// headerVersion is the version of the header's layout and place: 2 is at
// the end of the segment.
const headerVersion = 2

// Header describes a shareable segment, and is checked by every process
// that takes the segment up. A named segment (and, where there are no
// memfds, one of Alloc) carries it in its last HeaderSize bytes, written
// by its creator once, before the segment is mapped, and checked against
// the file's real size. A sealed memfd of Alloc carries it in what the
// kernel keeps and no process can change: the memfd's name (the creator's
// pid and the tag), its size (sealed against shrinking and growing) and
// its birth time (Created, to the kernel's clock tick); no bytes of the
// segment hold it.
type Header struct {
	Version    uint32    // layout version of the header itself
	Size       int       // the caller's bytes, at the start of the segment
	PageSize   int       // page size of the creating machine
	CreatorPID int       // the process that allocated the segment
	Tag        uint64    // the layout tag chosen by the segment's user
	Created    time.Time // when the segment was allocated
}

// Byte offsets of the header's fields, little-endian.
const (
	offMagic      = 0
	offVersion    = 8
	offHeaderSize = 12
	offSize       = 16
	offPageSize   = 24
	offCreator    = 28
	offReserved   = 32 // 8 bytes, zero
	offTag        = 40
	offCreated    = 48
	offCheck      = 56
)

// encode writes h to b, which holds at least HeaderSize bytes.
func (h *Header) encode(b []byte) {
	le := binary.LittleEndian
	copy(b[offMagic:], headerMagic[:])
	le.PutUint32(b[offVersion:], headerVersion)
	le.PutUint32(b[offHeaderSize:], HeaderSize)
	le.PutUint64(b[offSize:], uint64(h.Size))
	le.PutUint32(b[offPageSize:], uint32(h.PageSize))
	le.PutUint32(b[offCreator:], uint32(h.CreatorPID))
	le.PutUint64(b[offReserved:], 0)
	le.PutUint64(b[offTag:], h.Tag)
	le.PutUint64(b[offCreated:], uint64(h.Created.UnixNano()))
	le.PutUint64(b[offCheck:], headerCheck(b))
}

// headerCheck is the FNV-1a hash of the header's bytes before the check.
func headerCheck(b []byte) uint64 {
	f := fnv.New64a()
	f.Write(b[:offCheck])
	return f.Sum64()
}

// ParseHeader decodes and validates the header in the first HeaderSize
// bytes of b, read from the end of a segment whose backing file is realSize
// bytes long (from fstat, never from the header itself). It copies the
// bytes first, so a process writing the segment meanwhile cannot change
// them between the checks. Any problem is an error matching ErrHeader that
// says which check failed.
func ParseHeader(b []byte, realSize int64) (Header, error) {
	var raw [HeaderSize]byte
	if len(b) < HeaderSize || realSize < HeaderSize {
		return Header{}, headerError("segment of %d bytes is too small for the %d-byte header", min(int64(len(b)), realSize), HeaderSize)
	}
	copy(raw[:], b)
	le := binary.LittleEndian
	if [8]byte(raw[offMagic:offVersion]) != headerMagic {
		return Header{}, headerError("no fpmshm magic at the start of the header, in the segment's last %d bytes", HeaderSize)
	}
	if v := le.Uint32(raw[offVersion:]); v != headerVersion {
		return Header{}, headerError("header version %d, want %d", v, headerVersion)
	}
	if n := le.Uint32(raw[offHeaderSize:]); n != HeaderSize {
		return Header{}, headerError("header size %d, want %d", n, HeaderSize)
	}
	if sum := le.Uint64(raw[offCheck:]); sum != headerCheck(raw[:]) {
		return Header{}, headerError("header checksum mismatch")
	}
	if ps := le.Uint32(raw[offPageSize:]); int(ps) != pageSize {
		return Header{}, headerError("page size %d, this machine's is %d", ps, pageSize)
	}
	if r := le.Uint64(raw[offReserved:]); r != 0 {
		return Header{}, headerError("reserved bytes hold %#x, want 0", r)
	}
	size := le.Uint64(raw[offSize:])
	if size > math.MaxInt {
		return Header{}, headerError("header says %d bytes, more than this platform can map", size)
	}
	if n, ok := segmentLen(int(size)); !ok || int64(n) != realSize {
		return Header{}, headerError("header says %d bytes, which does not fit the real size of %d bytes", size, realSize)
	}
	return Header{
		Version:    headerVersion,
		Size:       int(size),
		PageSize:   pageSize,
		CreatorPID: int(le.Uint32(raw[offCreator:])),
		Tag:        le.Uint64(raw[offTag:]),
		Created:    time.Unix(0, int64(le.Uint64(raw[offCreated:]))),
	}, nil
}

func headerError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrHeader}, args...)...)
}

// headerBytes returns the header region of a mapping of maplen bytes at
// base: its last HeaderSize bytes.
func headerBytes(base unsafe.Pointer, maplen uintptr) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(base, maplen-HeaderSize)), HeaderSize)
}

// writeHeader writes h at the end of the file fd, which thereby becomes
// maplen bytes long (if it was not already).
func writeHeader(fd int, h Header, maplen int) error {
	var raw [HeaderSize]byte
	h.encode(raw[:])
	return sys.Pwrite(fd, raw[:], int64(maplen-HeaderSize))
}

// pid is this process's: a Go process never forks without exec, so it
// keeps its pid, and reading it once spares a system call per segment.
var pid = os.Getpid()

// newHeader returns the header of a segment of size bytes made now.
func newHeader(size int, tag uint64) Header {
	return Header{
		Version:    headerVersion,
		Size:       size,
		PageSize:   pageSize,
		CreatorPID: pid,
		Tag:        tag,
		Created:    now(),
	}
}

// Header returns the header of a shareable segment as it is now: a named
// segment's (or a temporary file's) read again and validated against the
// mapping's size, a memfd's as the kernel keeps it, unchanged since the
// segment was made or taken up. A segment of Map has none (ErrHeader); a
// named segment truncated by another process fails with ErrFault. The
// error is an *Error with Op "header".
func (s *Segment) Header() (Header, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.liveLocked("header"); err != nil {
		return Header{}, err
	}
	switch s.backing {
	case BackingMemfd:
		return Header{
			Version:    headerVersion,
			Size:       s.size,
			PageSize:   pageSize,
			CreatorPID: s.creator,
			Tag:        s.tag,
			Created:    s.created,
		}, nil
	case BackingTempFile, BackingNamed:
	default:
		return Header{}, s.fail("header", ErrHeader, fmt.Sprintf("a %s mapping has no header", s.backing))
	}
	h, detail, err := readHeader(s.base, s.maplen)
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
