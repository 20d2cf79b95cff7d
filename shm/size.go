package shm

import (
	"math"
	"os"
)

// pageSize is the size of a memory page on this machine.
var pageSize = os.Getpagesize()

// roundUp returns n rounded up to a multiple of unit, a power of two; false
// when n is negative or the result does not fit an int.
func roundUp(n, unit int) (int, bool) {
	if n < 0 || n > math.MaxInt-(unit-1) {
		return 0, false
	}
	return (n + unit - 1) &^ (unit - 1), true
}

// segmentLen returns the length of the mapping of a shareable segment of
// size bytes, the caller's bytes and the header after them in whole pages;
// false when size is not positive or that length does not fit an int.
func segmentLen(size int) (int, bool) {
	if size <= 0 || size > math.MaxInt-HeaderSize {
		return 0, false
	}
	return roundUp(size+HeaderSize, pageSize)
}
