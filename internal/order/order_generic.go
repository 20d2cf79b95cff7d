//go:build !(amd64 || arm64) || race

package order

import "sync/atomic"

// StoreRelease64 stores v at addr with (at least) release semantics: here
// a sequentially consistent atomic.StoreUint64, which the race detector
// understands. addr must be 8-byte aligned.
func StoreRelease64(addr *uint64, v uint64) { atomic.StoreUint64(addr, v) }

// fence is the private word the fences operate on.
var fence atomic.Uint64

// AcquireFence orders the loads before it with every load and store after
// it: here an atomic read-modify-write, a full barrier on the architectures
// Go supports.
func AcquireFence() { fence.Add(0) }

// ReleaseFence orders every load and store before it with the stores after
// it: here an atomic read-modify-write, a full barrier on the architectures
// Go supports.
func ReleaseFence() { fence.Add(0) }
