package testproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NeedBinary returns the path of a program a test needs, looked for in
// PATH and then in /usr/sbin, /usr/bin and /sbin. Missing, the test is
// skipped, unless CI=true, where it fails: CI installs what the tests need
// (.ci/run).
func NeedBinary(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (.ci/run installs it)", name)
	}
	t.Skipf("%s is not installed", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
