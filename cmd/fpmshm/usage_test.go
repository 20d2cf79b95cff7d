package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// TestServeUsage checks serve's exit codes for its command line, which
// are php-fpm 8.2's (php-fpm8.2 --bogus and php-fpm8.2 extra exit 64,
// php-fpm8.2 -h exits 0): a flag it does not know, a value it cannot parse
// or an argument it does not take exit 64 (EX_USAGE) with a message, and
// -h prints the usage and exits 0, all before anything starts.
func TestServeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string // in the standard error
	}{
		{[]string{"-bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{[]string{"-pm.max_children", "many"}, exitUsage, "invalid value \"many\""},
		{[]string{"extra"}, exitUsage, "unexpected arguments [\"extra\"]"},
		{[]string{"-h"}, 0, "usage: fpmshm serve"},
	} {
		var errOut bytes.Buffer
		cmd := testproc.Command(t, "fpmshm", append([]string{"serve"}, tc.args...)...)
		cmd.Stderr = &errOut
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("serve %q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, errOut.String(), tc.code, tc.want)
		}
	}
}
