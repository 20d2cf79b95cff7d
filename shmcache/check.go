package shmcache

import (
	"fmt"
	"strings"
)

// Check verifies every stripe, one at a time under its lock: every slot
// (entry bounds, magic, class, lengths, checksum, bucket, no shared chunk
// or key), every page descriptor and bitmap, the free and partial lists,
// and the counts, against each other. It changes nothing, except that a
// stripe whose last holder died is repaired first, as any operation
// would. It returns nil, or a *DamageError (matching ErrCorrupt) naming
// the damaged stripes; Repair or Reset mends them.
func (c *Cache) Check() error { return c.eachStripe("check", false) }

// Repair checks every stripe as Check does and rebuilds the damaged ones
// from their intact entries, dropping the others; a stripe that does not
// hold together after that is reset. It returns a *DamageError describing
// what it found, or nil if nothing was damaged.
func (c *Cache) Repair() error { return c.eachStripe("repair", true) }

// Reset empties stripe s: every entry in it is dropped and every page
// freed, whatever state it was in. It is the remedy of last resort for a
// stripe that damage keeps breaking; a stripe held by a live process is
// waited for as any write waits (ErrBusy).
func (c *Cache) Reset(s int) error {
	if err := c.writable("reset"); err != nil {
		return err
	}
	if s < 0 || s >= int(c.g.stripes) {
		return c.fail("reset", s, ErrLayout, fmt.Sprintf("the cache has stripes 0 to %d", c.g.stripes-1))
	}
	var t tx
	if err := c.begin(&t, "reset", uint64(s)); err != nil {
		return err
	}
	defer t.end()
	t.freeze()
	t.reset()
	return nil
}

// Clear empties the cache, one stripe at a time: a reader may see a
// stripe emptied before another.
func (c *Cache) Clear() error {
	if err := c.writable("clear"); err != nil {
		return err
	}
	for s := range uint64(c.g.stripes) {
		var t tx
		if err := c.begin(&t, "clear", s); err != nil {
			return err
		}
		t.freeze()
		t.reset()
		t.st.resets--
		t.end()
	}
	return nil
}

// DamageError is the error of Check and Repair when a stripe was damaged.
// It matches ErrCorrupt.
type DamageError struct {
	Cache    string
	Stripes  []int    // the damaged stripes
	Problems []string // what was found, a few per stripe: "stripe 3: slot 17 ..."
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("shmcache: %q: %d damaged stripes %v: %s", e.Cache, len(e.Stripes), e.Stripes, strings.Join(e.Problems, "; "))
}

// Unwrap returns ErrCorrupt.
func (e *DamageError) Unwrap() error { return ErrCorrupt }

// problemsPerStripe bounds what a DamageError lists of one stripe.
const problemsPerStripe = 4

// eachStripe checks, and if mend repairs, every stripe.
func (c *Cache) eachStripe(op string, mend bool) error {
	if err := c.writable(op); err != nil {
		return err
	}
	var dmg DamageError
	for s := range uint64(c.g.stripes) {
		var t tx
		if err := c.begin(&t, op, s); err != nil {
			return err
		}
		probs := t.compare(t.scan())
		if len(probs) > 0 && mend {
			t.st.corruptions++
			t.repair()
		}
		t.end()
		if len(probs) == 0 {
			continue
		}
		dmg.Stripes = append(dmg.Stripes, int(s))
		for i, p := range probs {
			if i == problemsPerStripe {
				p = fmt.Sprintf("and %d more", len(probs)-i)
			}
			dmg.Problems = append(dmg.Problems, fmt.Sprintf("stripe %d: %s", s, p))
			if i == problemsPerStripe {
				break
			}
		}
	}
	if len(dmg.Stripes) == 0 {
		return nil
	}
	dmg.Cache = c.name
	return &dmg
}

// writable fails op on a closed or read-only cache.
func (c *Cache) writable(op string) error {
	switch {
	case c.base == nil:
		return c.fail(op, -1, ErrClosed, "")
	case c.readOnly:
		return c.fail(op, -1, ErrReadOnly, "")
	}
	return nil
}
