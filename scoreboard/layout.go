package scoreboard

import (
	"bytes"
	"sync/atomic"
	"unsafe"

	"github.com/fpmshm/fpmshm/shmsync"
)

// Tag is the layout tag stored in a scoreboard segment's header: "fpmscb"
// and the layout version.
const Tag uint64 = 0x66706d7363620000 | layoutVersion

const layoutVersion = 1

// String field sizes, PHP-FPM's; values are truncated to one byte less,
// keeping a terminating NUL, as PHP-FPM's strlcpy does.
const (
	poolNameLen = 32
	methodLen   = 16
	uriLen      = 128
	queryLen    = 512
	scriptLen   = 256
	userLen     = 32
)

// poolRecord is the pool record at the start of the segment. The master
// writes the identity once; the counters are atomics.
type poolRecord struct {
	name        [poolNameLen]byte
	pm          uint32
	maxChildren uint32
	startTime   int64 // unix nanoseconds

	listenQueueLen     atomic.Uint64 // master
	listenQueue        atomic.Uint64 // master
	maxListenQueue     atomic.Uint64 // master
	maxChildrenReached atomic.Uint64 // master
	slowRequests       atomic.Uint64 // master
	acceptedConn       atomic.Uint64 // workers
	active             atomic.Int64  // workers: serving now; feeds maxActive only (see Pool.MaxActive)
	maxActive          atomic.Uint64 // workers
	memoryPeak         atomic.Uint64 // workers
	_                  [72]byte      // pads the record to 192 bytes: slots start cache-aligned
}

// procRecord is one process slot. Its single writer is its worker, or the
// master while no worker owns it (before the spawn, after the reap).
type procRecord struct {
	seq shmsync.Seqlock // odd while the record is being written; single writer

	used          uint32
	stage         uint32
	pid           int64
	startTime     int64 // unix nanoseconds
	requests      uint64
	accepted      int64 // unix nanoseconds
	duration      int64 // nanoseconds of the last request, set at End
	lastActivity  int64 // unix nanoseconds: when the worker last became idle, accepted or ended a request
	contentLength int64
	cpu           int64  // CPU nanoseconds of the last request
	memory        uint64 // memory of the last request (see Proc.LastMemory)
	method        [methodLen]byte
	uri           [uriLen]byte
	query         [queryLen]byte
	script        [scriptLen]byte
	user          [userLen]byte
	_             [40]byte // pads the record to 1088 bytes, a multiple of 64: no false sharing between slots
}

// reset zeroes the record but its sequence; the caller is writing it.
func (r *procRecord) reset() {
	clear(recordBytes(r)[unsafe.Sizeof(r.seq):])
}

// recordBytes returns the record's memory.
func recordBytes(r *procRecord) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(r)), procSize)
}

// Sizes of the layout, pinned by tests.
const (
	poolSize = 192
	procSize = 1088
)

// segmentSize returns the bytes a scoreboard of n slots needs.
func segmentSize(n int) int { return poolSize + n*procSize }

// slotsFor returns how many whole slots a segment of size bytes holds.
func slotsFor(size int) int { return (size - poolSize) / procSize }

// putString copies s into the field, truncated to leave a NUL.
func putString(dst []byte, s string) {
	n := copy(dst[:len(dst)-1], s)
	clear(dst[n:])
}

// getString returns the field up to its NUL, and whether it has one.
func getString(b []byte) (string, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", false
	}
	return string(b[:i]), true
}
