package pm

import (
	"fmt"
	"strings"
	"testing"
)

// TestListenBacklogDefault starts a pool without listen.backlog and reads
// the listen queue's size on its first status page: the system's maximum
// (somaxconn) for each of its two unix sockets, as php-fpm's default of -1
// gives on Linux.
func TestListenBacklogDefault(t *testing.T) {
	p := startPool(t, Config{PM: Static, MaxChildren: 1})
	code, body, err := p.get("/status")
	if err != nil || code != 200 {
		t.Fatalf("GET /status: %d %v", code, err)
	}
	want := fmt.Sprintf("listen queue len:     %d\n", 2*somaxconn())
	if !strings.Contains(body, want) {
		t.Errorf("status page without %q:\n%s", want, body)
	}
}
