package shm

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"testing"
)

// TestGuardTurnsSIGBUSIntoError maps a file, truncates the file under the
// mapping and reads through it: without Guard the process would die of
// SIGBUS; with it the read returns ErrFault and the test goes on.
func TestGuardTurnsSIGBUSIntoError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(path, make([]byte, 2*pageSize), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Map(Options{File: f, Size: 2 * pageSize, Prot: ProtRead | ProtWrite, Flags: Shared})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	b := s.Bytes()
	b[pageSize] = 1
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	var read byte
	err = Guard(func() { read = b[pageSize+10] })
	var e *Error
	if !errors.As(err, &e) || e.Op != "guard" || !errors.Is(err, ErrFault) || !errors.Is(err, syscall.EFAULT) {
		t.Fatalf("read past the truncated end: %v (read %d), want *Error matching ErrFault and EFAULT", err, read)
	}
	if err := Guard(func() { b[0] = 2 }); !errors.Is(err, ErrFault) {
		t.Fatalf("write past the truncated end: %v, want ErrFault", err)
	}
	if err := Guard(func() {}); err != nil {
		t.Fatalf("Guard of a function that does not fault: %v", err)
	}
}

// TestGuardRestoresAndRepanics checks that Guard restores the previous
// SetPanicOnFault setting and lets panics that are not faults through.
func TestGuardRestoresAndRepanics(t *testing.T) {
	old := debug.SetPanicOnFault(false)
	defer debug.SetPanicOnFault(old)
	Guard(func() {})
	if debug.SetPanicOnFault(false) {
		t.Fatal("Guard left SetPanicOnFault on")
	}
	debug.SetPanicOnFault(true)
	Guard(func() {})
	if !debug.SetPanicOnFault(false) {
		t.Fatal("Guard turned SetPanicOnFault off")
	}
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"plain panic", func() { panic("not a fault") }},
		{"nil dereference", func() {
			var p *int
			_ = *p
		}},
		{"index out of range", func() {
			var s []int
			_ = s[len(os.Args)+5]
		}},
	} {
		recovered := func() (r any) {
			defer func() { r = recover() }()
			Guard(tc.fn)
			return nil
		}()
		if recovered == nil {
			t.Errorf("%s: Guard swallowed the panic", tc.name)
		}
	}
}
