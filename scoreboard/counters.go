package scoreboard

import "sync/atomic"

// storeMax raises v to at least n.
func storeMax(v *atomic.Uint64, n uint64) {
	for {
		cur := v.Load()
		if n <= cur || v.CompareAndSwap(cur, n) {
			return
		}
	}
}

// addClamped adds d to v without going below 0 (PHP-FPM's INC rule).
func addClamped(v *atomic.Int64, d int64) int64 {
	for {
		cur := v.Load()
		n := max(cur+d, 0)
		if v.CompareAndSwap(cur, n) {
			return n
		}
	}
}
