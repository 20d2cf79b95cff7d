package order

import "testing"

// The ordering itself is exercised across processes by shmsync's tests.
func TestStoreRelease64(t *testing.T) {
	var w uint64
	StoreRelease64(&w, 0x0102030405060708)
	if w != 0x0102030405060708 {
		t.Fatalf("w = %#x", w)
	}
	AcquireFence()
	ReleaseFence()
}
