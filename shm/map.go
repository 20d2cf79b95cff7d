package shm

import (
	"errors"
	"fmt"
	"math"
	"os"
	"syscall"
	"unsafe"

	"github.com/fpmshm/fpmshm/internal/sys"
)

var pageSize = os.Getpagesize()

// pageRound rounds n up to whole pages; the caller has checked n <= maxSize.
func pageRound(n int) uintptr {
	p := uintptr(pageSize)
	return (uintptr(n) + p - 1) &^ (p - 1)
}

// maxSize is the largest size whose page rounding cannot overflow.
var maxSize = math.MaxInt - 2*pageSize

// Map maps memory as described by o: mmap with its whole parameter table.
// It checks o before any system call; refused input returns an *Error
// matching syscall.EINVAL and a sentinel (ErrSize, ErrFlags, ErrOffset,
// ErrFixedAddr, ErrFile). Failures of the system calls return an *Error
// wrapping the errno (EBADF, EACCES, EINVAL, EAGAIN, ENOMEM, EEXIST, ...).
//
// Anonymous mappings fall back to /dev/zero when the kernel refuses
// MAP_ANONYMOUS. The segment does not own o.File: the caller closes it,
// which the mapping survives.
func Map(o Options) (*Segment, error) {
	if err := o.check(); err != nil {
		return nil, mapFailed(o, err, "")
	}
	if detail, err := reserve(o.Size); err != nil {
		return nil, mapFailed(o, err, detail)
	}
	s, err := o.mapSegment()
	if err != nil {
		allocated.Add(-int64(o.Size))
		return nil, err
	}
	link(s)
	logDebug("mapped memory", "", o.Size)
	return s, nil
}

// mapSegment makes the mapping and its Segment, reusing a pooled one
// where o asks for plain shared anonymous memory.
func (o *Options) mapSegment() (*Segment, error) {
	maplen := pageRound(o.Size)
	if o.plain() {
		if p, ok := takePooled(maplen, BackingAnonymous); ok {
			return o.segment(p.base, maplen, BackingAnonymous), nil
		}
	}
	if o.Flags&HugePages != 0 {
		maplen = hugeRound(o.Size)
	}
	base, backing, err := o.mmap(maplen)
	if err != nil {
		return nil, err
	}
	if o.Flags&Locked != 0 {
		if err := sys.Mlock(base, maplen); err != nil {
			sys.Munmap(base, maplen)
			return nil, mapFailed(*o, err, "mlock")
		}
	}
	return o.segment(base, maplen, backing), nil
}

// plain reports whether o asks for what the pool keeps: read-write shared
// anonymous memory and nothing more.
func (o *Options) plain() bool {
	return o.Flags == Shared|Anonymous && o.Prot == ProtRead|ProtWrite && !o.DevZero
}

// segment returns the Segment of Map's mapping at base.
func (o *Options) segment(base unsafe.Pointer, maplen uintptr, backing Backing) *Segment {
	return &Segment{
		base:    base,
		maplen:  maplen,
		data:    unsafe.Slice((*byte)(base), o.Size),
		size:    o.Size,
		prot:    o.Prot,
		flags:   o.Flags,
		backing: backing,
		fd:      -1,
		created: now(),
	}
}

// mmap makes the mapping o describes, falling back to /dev/zero.
func (o *Options) mmap(maplen uintptr) (unsafe.Pointer, Backing, error) {
	flags := o.mmapFlags()
	switch {
	case o.File != nil:
		var base unsafe.Pointer
		var err error
		cerr := control(o.File, func(fd int) {
			base, err = o.mmapAt(maplen, flags, fd)
		})
		if cerr != nil {
			return nil, "", mapFailed(*o, ErrFile, cerr.Error())
		}
		if err != nil {
			return nil, "", mapFailed(*o, err, "mmap")
		}
		return base, BackingFile, nil
	case !o.DevZero:
		base, err := o.mmapAt(maplen, flags|sys.MapAnon, -1)
		if err == nil {
			return base, BackingAnonymous, nil
		}
		if !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENODEV) {
			return nil, "", mapFailed(*o, err, "mmap")
		}
	}
	base, err := o.mmapDevZero(maplen, flags)
	if err != nil {
		return nil, "", mapFailed(*o, err, "mmap of /dev/zero")
	}
	return base, BackingDevZero, nil
}

// mmapDevZero maps /dev/zero, the seed's fallback for anonymous memory.
func (o *Options) mmapDevZero(maplen uintptr, flags int) (unsafe.Pointer, error) {
	f, err := os.OpenFile("/dev/zero", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var base unsafe.Pointer
	cerr := control(f, func(fd int) { base, err = o.mmapAt(maplen, flags, fd) })
	return base, errors.Join(cerr, err)
}

// mmapAt calls mmap and, for Fixed, makes sure the mapping landed at Addr:
// a kernel that took MAP_FIXED_NOREPLACE as a mere hint placed it
// elsewhere, which counts as the range being occupied.
func (o *Options) mmapAt(maplen uintptr, flags, fd int) (unsafe.Pointer, error) {
	mmap := sys.MmapQuick
	if o.Flags&(Populate|Locked|HugePages) != 0 {
		mmap = sys.Mmap // these fault pages in, which can take long
	}
	base, err := mmap(o.Addr, maplen, int(o.Prot), flags, fd, o.Offset)
	if err != nil {
		return nil, err
	}
	if o.Flags&Fixed != 0 && uintptr(base) != o.Addr {
		sys.Munmap(base, maplen)
		return nil, syscall.EEXIST
	}
	return base, nil
}

// mmapFlags translates o.Flags to mmap's flags, without MAP_ANONYMOUS.
func (o *Options) mmapFlags() int {
	flags := sys.MapShared
	if o.Flags&Private != 0 {
		flags = sys.MapPrivate
	}
	for _, f := range []struct {
		flag Flag
		bits int
	}{
		{Fixed, sys.MapFixedNoReplace},
		{Locked, sys.MapLocked},
		{DenyWrite, sys.MapDenyWrite},
		{Populate, sys.MapPopulate},
		{HugePages, sys.MapHugeTLB},
	} {
		if o.Flags&f.flag != 0 {
			flags |= f.bits
		}
	}
	return flags
}

// check refuses, before any system call, what mmap could only refuse later
// or not at all.
func (o *Options) check() error {
	switch {
	case o.Size <= 0 || o.Size > maxSize:
		return ErrSize
	case o.Prot&^(ProtRead|ProtWrite|ProtExec) != 0:
		return ErrFlags
	case o.Flags&^(flagLimit-1) != 0:
		return ErrFlags
	case (o.Flags&Shared != 0) == (o.Flags&Private != 0):
		return ErrFlags
	case o.File != nil && (o.Flags&Anonymous != 0 || o.DevZero):
		return ErrFlags
	case o.File == nil && o.Flags&Anonymous == 0 && !o.DevZero:
		return ErrFile
	case o.Offset < 0 || o.Offset%int64(pageSize) != 0 || (o.File == nil && o.Offset != 0):
		return ErrOffset
	case (o.Flags&Fixed != 0) != (o.Addr != 0) || o.Addr%uintptr(pageSize) != 0:
		return ErrFixedAddr
	}
	return unsupportedFlags(o.Flags)
}

// mapFailed builds Map's error for o and logs it, as the seed logs
// "unable to allocate N bytes in shared memory".
func mapFailed(o Options, err error, detail string) error {
	if o.Flags&Locked != 0 && detail != "" && !errors.Is(err, ErrFile) {
		detail += "; " + memlockFacts()
	}
	e := &Error{Op: "map", Size: o.Size, Offset: o.Offset, Detail: detail, Err: err}
	logError(e)
	return e
}

// control runs fn with f's descriptor, without changing f's mode as Fd
// does; it fails for a closed file.
func control(f *os.File, fn func(fd int)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// memlockFacts states the RLIMIT_MEMLOCK in force, for errors of Locked.
func memlockFacts() string {
	lim, err := sys.MemlockLimit()
	if err != nil {
		return "RLIMIT_MEMLOCK unknown"
	}
	if lim == math.MaxUint64 {
		return "RLIMIT_MEMLOCK is unlimited"
	}
	return fmt.Sprintf("RLIMIT_MEMLOCK is %d bytes", lim)
}
