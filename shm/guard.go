package shm

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Guard runs fn and turns a memory fault inside it (SIGBUS or SIGSEGV on a
// mapped address, such as a read past the end of a segment that another
// process truncated) into an error matching ErrFault that names the
// address, instead of a crash. Use it around reads of segments that others
// may corrupt: named segments, which are not sealed, and segments of
// unrelated processes.
//
// Only the goroutine calling Guard is protected, and only while fn runs;
// the previous debug.SetPanicOnFault setting is restored afterwards. A
// panic that is not a memory fault (including a nil dereference, which
// has no fault address) propagates unchanged. Memory that fn wrote before
// the fault stays written. The error is an *Error with Op "guard".
func Guard(fn func()) error {
	addr, faulted := guard(fn)
	if !faulted {
		return nil
	}
	e := &Error{Op: "guard", Err: ErrFault, Detail: fmt.Sprintf("fault at address %#x", addr)}
	logError(e)
	return e
}

// guard runs fn with panics on faults and reports the faulting address.
func guard(fn func()) (addr uintptr, faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if re, ok := r.(runtime.Error); ok {
			if a, ok := re.(interface{ Addr() uintptr }); ok {
				addr, faulted = a.Addr(), true
				return
			}
		}
		panic(r)
	}()
	fn()
	return 0, false
}
