package shm

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"
)

// View returns the value of type T that lives at byte offset off of the
// segment: a typed window onto shared memory, not a copy. Every process
// that maps the segment and views the same offset with the same T sees the
// same value.
//
// T must be able to live in shared memory, where addresses differ between
// processes and the garbage collector never looks: booleans, fixed-width
// integers (int8 ... uint64), floats, complex numbers, and arrays and
// structs of those, checked once per type. A T holding a pointer, slice,
// string, map, channel, function, interface, unsafe.Pointer or uintptr is
// refused with ErrViewType, and so is a platform-sized int or uint (use
// int64 or uint64: the layout must not depend on the build).
//
// The sync/atomic integer types (atomic.Bool, atomic.Int32, atomic.Int64,
// atomic.Uint32, atomic.Uint64) are allowed, and their methods work across
// processes: they compile to the processor's atomic instructions on plain
// memory, which the MAP_SHARED mapping makes the same physical memory in
// every process. atomic.Pointer, atomic.Value and atomic.Uintptr hold
// addresses and are refused.
//
// The region must lie inside the segment (ErrBounds) and its address must
// be a multiple of T's alignment (ErrAlign); every segment's bytes start
// page-aligned, so an offset that is a multiple of the alignment is
// enough. A T containing atomic.Int64 or atomic.Uint64 has an alignment of
// 8 on every platform.
//
// The pointer is valid until the segment is freed; after Free, using it is
// undefined (see Segment). Errors are *Error with Op "view", matching the
// sentinel and syscall.EINVAL, or ErrFreed.
func View[T any](s *Segment, off int) (*T, error) {
	p, err := s.view(reflect.TypeFor[T](), off, 1)
	if err != nil {
		return nil, err
	}
	return (*T)(p), nil
}

// ViewSlice is View for n consecutive values of type T starting at byte
// offset off: an array of records, such as a scoreboard's process slots.
// The slice's capacity is n, so appending to it copies out of the segment.
func ViewSlice[T any](s *Segment, off, n int) ([]T, error) {
	p, err := s.view(reflect.TypeFor[T](), off, n)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []T{}, nil
	}
	return unsafe.Slice((*T)(p), n), nil
}

// view checks a view of n values of type t at off and returns its address.
func (s *Segment) view(t reflect.Type, off, n int) (unsafe.Pointer, error) {
	size := int(t.Size())
	fail := func(err error, detail string) (unsafe.Pointer, error) {
		e := &Error{Op: "view", Name: s.name, Size: size * max(n, 0), Offset: int64(off), Detail: detail, Err: err}
		if e.Size < 0 || (size != 0 && e.Size/size != n) {
			e.Size = 0 // overflowed: the detail says what was asked
		}
		logError(e)
		return nil, e
	}
	if why := viewTypeProblem(t); why != "" {
		return fail(ErrViewType, why)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.base == nil {
		return nil, s.fail("view", ErrFreed, "")
	}
	avail := len(s.data) - off
	if off < 0 || n < 0 || avail < 0 || (size != 0 && n > avail/size) {
		return fail(ErrBounds, fmt.Sprintf("%d values of %s (%d bytes each) at offset %d of a %d-byte segment", n, t, size, off, len(s.data)))
	}
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(s.data)), off)
	if a := uintptr(t.Align()); uintptr(p)%a != 0 {
		return fail(ErrAlign, fmt.Sprintf("%s needs %d-byte alignment", t, a))
	}
	return p, nil
}

// viewTypes caches viewTypeProblem's verdict per type.
var viewTypes sync.Map // reflect.Type -> string

// viewTypeProblem says why t cannot live in shared memory, or "".
func viewTypeProblem(t reflect.Type) string {
	if why, ok := viewTypes.Load(t); ok {
		return why.(string)
	}
	why := typeProblem(t, t.String())
	viewTypes.Store(t, why)
	return why
}

// typeProblem walks t, named path in the message, down to its scalars.
func typeProblem(t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.Bool,
		reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Int, reflect.Uint:
		return fmt.Sprintf("%s is %s, whose size depends on the platform: use a fixed-width integer", path, t)
	case reflect.Uintptr:
		return fmt.Sprintf("%s is %s: an address means nothing in another process", path, t)
	case reflect.Array:
		return typeProblem(t.Elem(), path+"[i]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if why := typeProblem(f.Type, path+"."+f.Name); why != "" {
				return why
			}
		}
		return ""
	default:
		return fmt.Sprintf("%s is a %s (%s), which holds an address that means nothing in another process", path, t.Kind(), t)
	}
}
