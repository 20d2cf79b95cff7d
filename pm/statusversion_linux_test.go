package pm

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/status"
)

// TestStatusVersion: Config.StatusVersion picks the status page's field
// set in the workers and in the master (pm.status_listen): php-fpm 8.2's
// has no "memory peak", 8.4's (the default) has.
func TestStatusVersion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version status.Version
		peak    bool
	}{{"default", 0, true}, {"8.2", status.PHP82, false}, {"8.4", status.PHP84, true}} {
		t.Run(tc.name, func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "status.sock")
			p := startPool(t, Config{PM: Static, MaxChildren: 1, StatusListen: sock, StatusVersion: tc.version})
			p.waitProcs(1, 10*time.Second)
			pages := map[string]string{
				"worker": p.must("/status?json"),
				"master": statusOverFastCGI(t, sock, "json"),
			}
			for who, page := range pages {
				if !strings.Contains(page, `"pool":"www"`) {
					t.Fatalf("version %d: the %s's page is not the pool's: %s", tc.version, who, page)
				}
				if got := strings.Contains(page, `"memory peak":`); got != tc.peak {
					t.Errorf("version %d: the %s's page has memory peak: %v, want %v: %s", tc.version, who, got, tc.peak, page)
				}
			}
		})
	}
}
