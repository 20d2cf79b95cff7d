package pm

import (
	"sync/atomic"
	"testing"
	"time"
)

// fakeHeld is a connection whose pending bytes a test sets.
type fakeHeld struct{ arrived, hungUp atomic.Bool }

func (c *fakeHeld) hangUp()       { c.hungUp.Store(true) }
func (c *fakeHeld) pending() bool { return c.arrived.Load() }

// TestHeldStop: a stopping worker hangs up a connection on which nothing
// has arrived, at once when it has waited on it for freshGrace and when
// that has passed otherwise, and serves one whose request has begun to
// arrive, whether the stop comes while it waits or before.
func TestHeldStop(t *testing.T) {
	t.Run("silent", func(t *testing.T) {
		var h held
		c := &fakeHeld{}
		h.waitFor(c)
		h.since = time.Now().Add(-time.Second)
		h.stop()
		if !c.hungUp.Load() || h.begun() || !h.stopped() {
			t.Errorf("a connection silent for a second: hung up %v, begun %v", c.hungUp.Load(), !c.hungUp.Load())
		}
	})
	t.Run("arrived", func(t *testing.T) {
		var h held
		c := &fakeHeld{}
		c.arrived.Store(true)
		h.waitFor(c)
		h.since = time.Now().Add(-time.Second)
		h.stop()
		time.Sleep(2 * freshGrace)
		if c.hungUp.Load() || !h.begun() {
			t.Error("a connection whose request has arrived was hung up")
		}
	})
	t.Run("fresh", func(t *testing.T) {
		var h held
		c := &fakeHeld{}
		h.waitFor(c)
		h.stop()
		if c.hungUp.Load() {
			t.Fatal("a connection taken just now was hung up before its grace")
		}
		deadline := time.Now().Add(10 * freshGrace)
		for !c.hungUp.Load() && time.Now().Before(deadline) {
			time.Sleep(freshGrace / 10)
		}
		if !c.hungUp.Load() || h.begun() {
			t.Error("a fresh connection that stayed silent was not hung up after its grace")
		}
	})
	t.Run("fresh, then a request", func(t *testing.T) {
		var h held
		c := &fakeHeld{}
		h.waitFor(c)
		h.stop()
		c.arrived.Store(true)
		time.Sleep(2 * freshGrace)
		if c.hungUp.Load() || !h.begun() {
			t.Error("a fresh connection whose request arrived within its grace was hung up")
		}
	})
	t.Run("after stop", func(t *testing.T) {
		var h held
		h.stop()
		c := &fakeHeld{}
		if !h.waitFor(c) {
			t.Fatal("a connection taken just after the stop was hung up at once")
		}
		time.Sleep(2 * freshGrace)
		if !c.hungUp.Load() {
			t.Error("a silent connection taken after the stop was not hung up after its grace")
		}
	})
}
