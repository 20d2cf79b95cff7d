package sys

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFstatMemfd checks what Fstat says of a memfd: its size, that it is a
// regular file, and its birth time, which the kernel sets when the memfd
// is made (to its clock tick, so a little before a time.Now taken just
// earlier) and which a later ftruncate does not move.
func TestFstatMemfd(t *testing.T) {
	before := time.Now()
	fd, err := MemfdCreate("fstat")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	made := time.Now()
	time.Sleep(50 * time.Millisecond)
	if err := Ftruncate(fd, 12345); err != nil {
		t.Fatal(err)
	}
	st, err := Fstat(fd)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 12345 || st.Mode&ModeType != ModeRegular || st.UID != unix.Geteuid() {
		t.Fatalf("Fstat = %+v, want 12345 bytes, a regular file of uid %d", st, unix.Geteuid())
	}
	const tick = 20 * time.Millisecond // coarser than any kernel's clock tick
	if st.Born.Before(before.Add(-tick)) || st.Born.After(made) {
		t.Fatalf("born %v, want between %v and %v", st.Born, before.Add(-tick), made)
	}
}
