//go:build amd64 && !race

package order

import "unsafe"

// StoreRelease64 stores v at addr with release semantics: every load and
// store this goroutine made before it is visible to any goroutine or
// process that observes v. It is not a full barrier: later loads may be
// performed before it becomes visible. addr must be 8-byte aligned.
//
// On amd64 it is one plain MOVQ, inlined: an aligned 8-byte store is
// single-copy atomic, x86-TSO never makes a store visible before an earlier
// load or store, and the gc compiler emits every load and store that comes
// before a store in program order before it (loads are scheduled ahead of
// the next store of their memory state). An assembly MOVQ would say the
// same but cannot be inlined, which costs 2-3 ns per unlock. The one
// compiler transformation that could touch it, merging two adjacent
// constant stores into one 16-byte store, cannot apply when the store
// follows an atomic operation, as every store here does.
func StoreRelease64(addr *uint64, v uint64) {
	*(*uint64)(unsafe.Pointer(addr)) = v
}

// AcquireFence orders the loads before it with every load and store after
// it. On amd64 the hardware already does (TSO), and gc keeps plain loads on
// their side of the atomic load that follows the fence in every use.
func AcquireFence() {}

// ReleaseFence orders every load and store before it with the stores after
// it. On amd64 the hardware already does (TSO), and gc keeps plain stores
// in program order.
func ReleaseFence() {}
