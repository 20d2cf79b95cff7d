package testproc

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// ExecutableForEveryone copies the test binary into a new directory that
// every user may enter, executable by all, and returns the copy's path: a
// helper started as another user (by SysProcAttr.Credential) cannot run
// the binary where go test built it, in its owner's private directory.
// The copy is removed when the test ends.
func ExecutableForEveryone(t testing.TB) string {
	t.Helper()
	src, err := os.Executable()
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	dir, err := os.MkdirTemp("", "fpmshm-test-")
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testproc: %v", err)
	}
	exe := filepath.Join(dir, filepath.Base(src))
	in, err := os.Open(src)
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	defer in.Close()
	out, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatalf("testproc: copy the test binary: %v", err)
	}
	if err := out.Close(); err != nil {
		t.Fatalf("testproc: %v", err)
	}
	return exe
}
