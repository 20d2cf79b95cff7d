package shm

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"time"
	"unsafe"
)

// HeaderSize is the size of the header at the start of every shareable
// segment; the caller's bytes follow it, so they are 64-byte aligned.
const HeaderSize = 64

// headerMagic opens every shareable segment.
var headerMagic = [8]byte{'f', 'p', 'm', 's', 'h', 'm', 0, 1}

// headerVersion is the version of the header's layout.
const headerVersion = 1

// Header describes a shareable segment. It is written at the start of the
// segment by its creator and checked, against the mapping's real size, by
// every process that takes the segment up.
type Header struct {
	Version    uint32    // layout version of the header itself
	Size       int       // the caller's bytes after the header
	PageSize   int       // page size of the creating machine
	CreatorPID int       // the process that allocated the segment
	Generation uint64    // bumped each time the segment is reused
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
	offGeneration = 32
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
	le.PutUint64(b[offGeneration:], h.Generation)
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

// ParseHeader decodes and validates the header at the start of b, for a
// segment whose backing file is realSize bytes long (from fstat, never from
// the header itself). It copies the bytes first, so a process writing the
// segment meanwhile cannot change them between the checks. Any problem is
// an error matching ErrHeader that says which check failed.
func ParseHeader(b []byte, realSize int64) (Header, error) {
	var raw [HeaderSize]byte
	if len(b) < HeaderSize || realSize < HeaderSize {
		return Header{}, headerError("segment of %d bytes is too small for the %d-byte header", min(int64(len(b)), realSize), HeaderSize)
	}
	copy(raw[:], b)
	le := binary.LittleEndian
	if [8]byte(raw[offMagic:offVersion]) != headerMagic {
		return Header{}, headerError("no fpmshm magic at the start of the segment")
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
	size := le.Uint64(raw[offSize:])
	if size == 0 || size > uint64(maxSize-HeaderSize) || int64(pageRound(HeaderSize+int(size))) != realSize {
		return Header{}, headerError("header says %d bytes, which does not fit the real size of %d bytes", size, realSize)
	}
	return Header{
		Version:    headerVersion,
		Size:       int(size),
		PageSize:   pageSize,
		CreatorPID: int(le.Uint32(raw[offCreator:])),
		Generation: le.Uint64(raw[offGeneration:]),
		Tag:        le.Uint64(raw[offTag:]),
		Created:    time.Unix(0, int64(le.Uint64(raw[offCreated:]))),
	}, nil
}

func headerError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrHeader}, args...)...)
}

// headerBytes returns the header region of a mapping at base.
func headerBytes(base unsafe.Pointer) []byte {
	return unsafe.Slice((*byte)(base), HeaderSize)
}

// newHeader returns the header of a segment of size bytes made now.
func newHeader(size int, tag uint64) Header {
	return Header{
		Version:    headerVersion,
		Size:       size,
		PageSize:   pageSize,
		CreatorPID: os.Getpid(),
		Generation: 1,
		Tag:        tag,
		Created:    now(),
	}
}
