//go:build amd64 && !race

package order

import "unsafe"

// StoreRelease64 (experiment: plain store).
func StoreRelease64(addr *uint64, v uint64) {
	*(*uint64)(unsafe.Pointer(addr)) = v
}

func AcquireFence() {}
func ReleaseFence() {}
