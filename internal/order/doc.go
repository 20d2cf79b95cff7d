// Package order provides the memory-ordering primitives that sync/atomic
// lacks: a store with release semantics only, and acquire and release
// fences, for seqlocks and for locks whose unlock is a plain store.
//
// sync/atomic's operations are sequentially consistent; on amd64 that makes
// atomic.StoreUint64 an XCHG, a locked instruction as costly as a
// compare-and-swap. A release store is all an unlock needs, and on amd64
// (whose memory model, TSO, never reorders a store with earlier loads or
// stores) it is a plain MOV. The functions here are:
//
//   - amd64: StoreRelease64 is one plain MOVQ, inlined (see its comment for
//     why that is a release store under gc). The fences compile to
//     nothing: TSO orders loads with loads and stores with stores, and gc
//     keeps plain memory accesses on the same side of an atomic operation.
//   - arm64: StoreRelease64 is STLR; AcquireFence is DMB ISHLD and
//     ReleaseFence is DMB ISH.
//   - elsewhere, and in every build with -race: sync/atomic operations, so
//     that the race detector sees the synchronisation (a sequentially
//     consistent store is also a release store).
package order
