package main

import (
	"testing"

	"github.com/fpmshm/fpmshm/status"
)

// TestServeStatusVersion: -status.version sets the pool's status page field
// set (8.3 is 8.2's), and a release without one stops serve with code 2.
func TestServeStatusVersion(t *testing.T) {
	for arg, want := range map[string]status.Version{"8.2": status.PHP82, "8.3": status.PHP82, "8.4": status.PHP84} {
		cfg, _, code := serveConfig([]string{"-status.version", arg})
		if code != -1 || cfg.StatusVersion != want {
			t.Errorf("-status.version %s: version %d, code %d; want %d, -1", arg, cfg.StatusVersion, code, want)
		}
	}
	if cfg, _, code := serveConfig(nil); code != -1 || cfg.StatusVersion != 0 {
		t.Errorf("no -status.version: version %d, code %d; want 0 (8.4), -1", cfg.StatusVersion, code)
	}
	if _, _, code := serveConfig([]string{"-status.version", "7.4"}); code != 2 {
		t.Errorf("-status.version 7.4: code %d, want 2", code)
	}
}
