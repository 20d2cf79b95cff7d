//go:build unix

package sys

import (
	"errors"

	"golang.org/x/sys/unix"
)

// ignoringEINTR calls f again for as long as it fails with EINTR. Go
// installs its signal handlers with SA_RESTART, but some calls return
// EINTR anyway: fallocate on tmpfs stops at a pending signal (Go's
// preemption and child signals arrive all the time), and open may on
// network and FUSE file systems. Those calls leave nothing half done, so
// calling them again is what the caller meant.
func ignoringEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
