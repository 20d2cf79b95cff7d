//go:build arm64 && !race

package order

// StoreRelease64 stores v at addr with release semantics (STLR): every
// load and store this goroutine made before it is visible to any goroutine
// or process that observes v. addr must be 8-byte aligned.
//
//go:noescape
func StoreRelease64(addr *uint64, v uint64)

// AcquireFence orders the loads before it with every load and store after
// it (DMB ISHLD).
func AcquireFence()

// ReleaseFence orders every load and store before it with the stores after
// it (DMB ISH).
func ReleaseFence()
