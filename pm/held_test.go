package pm

import "testing"

// fakeHeld is a connection whose pending bytes a test sets.
type fakeHeld struct{ arrived, hungUp bool }

func (c *fakeHeld) hangUp()       { c.hungUp = true }
func (c *fakeHeld) pending() bool { return c.arrived }

// TestHeldStop: a stopping worker hangs up a connection on which nothing
// has arrived, and serves one whose request has begun to arrive, whether
// the stop comes while it waits or before it starts to wait.
func TestHeldStop(t *testing.T) {
	for _, arrived := range []bool{false, true} {
		var h held
		c := &fakeHeld{arrived: arrived}
		if !h.waitFor(c) {
			t.Fatal("waitFor refused a connection before any stop")
		}
		h.stop()
		if c.hungUp == arrived {
			t.Errorf("bytes arrived %v: stop hung the connection up: %v", arrived, c.hungUp)
		}
		if h.begun() != arrived {
			t.Errorf("bytes arrived %v: begun after stop reported %v", arrived, !arrived)
		}
		if !h.stopped() {
			t.Error("stopped is false after stop")
		}

		var late held
		late.stop()
		if got := late.waitFor(&fakeHeld{arrived: arrived}); got != arrived {
			t.Errorf("bytes arrived %v: waitFor after stop reported %v", arrived, got)
		}
	}
}
