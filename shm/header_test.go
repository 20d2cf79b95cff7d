package shm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// encodedHeader returns the bytes of h, encoded as a creator would.
func encodedHeader(h Header) []byte {
	b := make([]byte, HeaderSize)
	h.encode(b)
	return b
}

// largestSegment is the largest size a shareable segment can have: its
// length, in whole pages with the header, is the largest multiple of the
// page size an int holds.
var largestSegment = math.MaxInt - (pageSize - 1) - HeaderSize

// segLen is the length of a valid segment of size bytes.
func segLen(size int) int64 {
	n, ok := segmentLen(size)
	if !ok {
		panic("no segment holds that size")
	}
	return int64(n)
}

// rechecked returns b with its checksum recomputed, so that only the
// field a seed changed is wrong.
func rechecked(b []byte) []byte {
	binary.LittleEndian.PutUint64(b[offCheck:], headerCheck(b))
	return b
}

// guardedPage is a page followed by a PROT_NONE page: bytes placed at its
// end can only be read past by faulting.
var guardedPage = sync.OnceValues(func() ([]byte, error) {
	m, err := unix.Mmap(-1, 0, 2*pageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	if err := unix.Mprotect(m[pageSize:], unix.PROT_NONE); err != nil {
		return nil, err
	}
	return m[:pageSize:pageSize], nil
})

// FuzzParseHeader feeds ParseHeader arbitrary bytes and sizes, placed at
// the very end of readable memory: it must never panic, read out of
// range or fault, must refuse with ErrHeader, and what it accepts must fit
// the real size and re-encode to the same bytes. The seeds run in every
// go test.
func FuzzParseHeader(f *testing.F) {
	valid := newHeader(100, 7)
	page := int64(pageSize)
	f.Add(encodedHeader(valid), page)
	f.Add(encodedHeader(valid)[:32], page)
	f.Add(encodedHeader(valid)[:HeaderSize-1], page)
	f.Add([]byte{}, page)
	f.Add(make([]byte, HeaderSize), page)
	for _, off := range []int{offMagic, offVersion, offHeaderSize, offSize, offPageSize, offCreator, offReserved, offTag, offCreated, offCheck, HeaderSize - 1} {
		b := encodedHeader(valid)
		b[off] ^= 0x10
		f.Add(b, page)
	}
	f.Add(encodedHeader(valid), int64(0))
	f.Add(encodedHeader(valid), int64(-1))
	f.Add(encodedHeader(valid), int64(math.MaxInt64))
	f.Add(encodedHeader(valid), 2*page)
	for _, size := range []int{0, -1, math.MaxInt, math.MaxInt - HeaderSize, math.MaxInt - pageSize - HeaderSize + 1, pageSize - HeaderSize, pageSize - HeaderSize + 1} {
		h := valid
		h.Size = size
		f.Add(encodedHeader(h), page)
		f.Add(encodedHeader(h), int64(math.MaxInt64))
	}
	h := valid
	h.PageSize = pageSize * 4
	f.Add(encodedHeader(h), page)
	b := encodedHeader(valid)
	binary.LittleEndian.PutUint32(b[offVersion:], headerVersion+1)
	f.Add(rechecked(b), page)
	b = encodedHeader(valid)
	binary.LittleEndian.PutUint32(b[offHeaderSize:], 4096)
	f.Add(rechecked(b), page)
	b = encodedHeader(valid)
	binary.LittleEndian.PutUint64(b[offReserved:], 1) // version 1's generation
	f.Add(rechecked(b), page)

	f.Fuzz(func(t *testing.T, data []byte, realSize int64) {
		mem, err := guardedPage()
		if err != nil {
			t.Skip("no guard page:", err)
		}
		if len(data) > len(mem) {
			data = data[:len(mem)]
		}
		in := mem[len(mem)-len(data):]
		copy(in, data)
		var h Header
		var perr error
		if err := Guard(func() { h, perr = ParseHeader(in, realSize) }); err != nil {
			t.Fatalf("ParseHeader faulted: %v", err)
		}
		if perr != nil {
			if !errors.Is(perr, ErrHeader) {
				t.Fatalf("error %v does not match ErrHeader", perr)
			}
			return
		}
		if n, ok := segmentLen(h.Size); !ok || int64(n) != realSize || h.PageSize != pageSize {
			t.Fatalf("accepted header %+v for a real size of %d", h, realSize)
		}
		if again := encodedHeader(h); !bytes.Equal(again, data[:HeaderSize]) {
			t.Fatalf("accepted header %+v re-encodes as %x, was %x", h, again, data[:HeaderSize])
		}
	})
}

// TestParseHeaderRoundTrip checks that a header a creator wrote is read
// back field by field, and that the real size is what decides.
func TestParseHeaderRoundTrip(t *testing.T) {
	h := newHeader(5000, 0xfeed)
	h.Created = time.Unix(0, h.Created.UnixNano())
	b := encodedHeader(h)
	got, err := ParseHeader(b, segLen(5000))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(h.Created) || got.Size != 5000 || got.Tag != 0xfeed || got.CreatorPID != h.CreatorPID || got.PageSize != pageSize {
		t.Fatalf("got %+v, want %+v", got, h)
	}
	if _, err := ParseHeader(b, segLen(5000)+int64(pageSize)); !errors.Is(err, ErrHeader) {
		t.Fatalf("a file one page longer than the header says: %v, want ErrHeader", err)
	}
}
