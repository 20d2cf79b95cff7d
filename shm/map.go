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

// Map maps memory as described by o: mmap with its whole parameter table.
// It checks o before any system call; refused input returns an *Error
// matching syscall.EINVAL and a sentinel (ErrSize, ErrFlags, ErrOffset,
// ErrFixedAddr, ErrFile). Failures of the system calls return an *Error
// wrapping the errno (EBADF, EACCES, EINVAL, EAGAIN, ENOMEM, EEXIST, ...),
// as the kernel gave it.
//
// A size that Populate or Locked fills at once is first checked against
// what this process can be given, as Alloc's is (ErrLimit); every mapping
// counts against SetLimit. Anonymous memory comes from MAP_ANONYMOUS,
// or from /dev/zero when o.DevZero asks for it. The segment does not own
// o.File: the caller closes it, which the mapping survives.
func Map(o Options) (*Segment, error) {
	maplen, err := o.check()
	if err != nil {
		return nil, mapFailed(o, err, "")
	}
	if o.Flags&(Populate|Locked) != 0 {
		if detail := beyondCapacity(o.Size); detail != "" {
			return nil, mapFailed(o, ErrLimit, detail)
		}
	}
	if detail, err := reserve(o.Size); err != nil {
		return nil, mapFailed(o, err, detail)
	}
	s, err := o.mapSegment(maplen)
	if err != nil {
		unreserve(o.Size)
		return nil, err
	}
	link(s)
	logDebug("", o.Size, "mapped memory")
	return s, nil
}

// mapSegment makes the mapping of maplen bytes and its Segment.
func (o *Options) mapSegment(maplen uintptr) (*Segment, error) {
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
	}, nil
}

// mmap makes the mapping o describes: of o.File, of /dev/zero, or of
// anonymous memory. /dev/zero is the seed's way where MAP_ANONYMOUS does
// not exist (sys.MapAnon is 0 there; every platform fpmshm builds for has
// it), and otherwise only taken when asked for: a refused anonymous
// mapping is never tried again through /dev/zero, which would hide the
// kernel's answer and change the backing behind the caller's back.
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
	case o.DevZero || sys.MapAnon == 0:
		base, err := o.mmapDevZero(maplen, flags)
		if err != nil {
			return nil, "", mapFailed(*o, err, "mmap of /dev/zero")
		}
		return base, BackingDevZero, nil
	default:
		base, err := o.mmapAt(maplen, flags|sys.MapAnon, -1)
		if err != nil {
			return nil, "", mapFailed(*o, err, "mmap")
		}
		return base, BackingAnonymous, nil
	}
}

// mmapDevZero maps /dev/zero, the seed's anonymous memory where
// MAP_ANONYMOUS is missing.
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
	base, err := sys.Mmap(o.Addr, maplen, int(o.Prot), flags, fd, o.Offset)
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
// or not at all, and returns the length to map: Size in whole pages (huge
// pages for HugePages). Every sum is checked: a size, offset or address
// whose end does not fit is refused, never wrapped.
func (o *Options) check() (uintptr, error) {
	switch {
	case o.Size <= 0:
		return 0, ErrSize
	case o.Prot&^(ProtRead|ProtWrite|ProtExec) != 0:
		return 0, ErrFlags
	case o.Flags&^(flagLimit-1) != 0:
		return 0, ErrFlags
	case (o.Flags&Shared != 0) == (o.Flags&Private != 0):
		return 0, ErrFlags
	case o.File != nil && (o.Flags&Anonymous != 0 || o.DevZero):
		return 0, ErrFlags
	case o.File == nil && o.Flags&Anonymous == 0 && !o.DevZero:
		return 0, ErrFile
	case o.Offset < 0 || o.Offset%int64(pageSize) != 0 || (o.File == nil && o.Offset != 0):
		return 0, ErrOffset
	case (o.Flags&Fixed != 0) != (o.Addr != 0) || o.Addr%uintptr(pageSize) != 0:
		return 0, ErrFixedAddr
	}
	if err := unsupportedFlags(o.Flags); err != nil {
		return 0, err
	}
	unit := pageSize
	if o.Flags&HugePages != 0 {
		unit = hugePageSize()
	}
	n, ok := roundUp(o.Size, unit)
	switch {
	case !ok:
		return 0, ErrSize
	case o.Offset > math.MaxInt64-int64(n):
		return 0, ErrOffset
	case o.Addr > ^uintptr(0)-uintptr(n):
		return 0, ErrFixedAddr
	}
	return uintptr(n), nil
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
