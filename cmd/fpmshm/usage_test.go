package main

import (
	"strings"
	"testing"
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
		_, stderr, code := run(t, append([]string{"serve"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("serve %q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
