// Package shm is PHP-FPM's shared-memory allocator (fpm_shm_alloc,
// fpm_shm_free and the count of bytes they hold) rebuilt for Go programs
// whose processes share memory: Map takes mmap's whole table, Alloc makes
// a segment that exec'd children take up with Inherited, Create and Open
// name one under /dev/shm, and Attach maps another process's.
//
// A Segment is one mapping, made by one of those calls, and the descriptor
// behind it when it has one. It lives until Free, which unmaps it and
// closes its descriptor, as fpm_shm_free unmaps; after Free, memory
// reached through the segment's old slices and views is undefined, as
// after munmap (see Segment). The memory of a shareable segment outlives
// the Segment as long as another process maps it or holds its
// descriptor; a named segment lives until Unlink. Shareable segments hold
// their caller's bytes from the first page on, and are described by a
// Header that every process taking one up checks: a memfd of Alloc in
// what the kernel keeps and nobody can change (its name, size and seals),
// a named segment in its last bytes.
//
// Files:
//
//	segment.go     Segment: Bytes, Len, Info, Free
//	map.go         Map: mmap's parameters, checked, and its system calls
//	options.go     Options, Prot, Flag, Backing
//	alloc.go       Alloc: sealed memfd segments (temporary files elsewhere)
//	backing_*.go   the file behind Alloc's segments: made, sized, sealed
//	header.go      Header, and its layout in a named segment: ParseHeader
//	share.go       ShareWith and the EnvSegments format
//	inherit.go     Inherited: taking up a handed-over segment
//	attach*.go     Attach and Names: another process's segments by pid
//	named*.go      Create, Open, Unlink: segments named under /dev/shm
//	takeup.go      mapping and validating a segment another process made
//	memfd_*.go     a memfd's name, and taking one up: its seals, name, size
//	accounting.go  Allocated, Segments, SetLimit: the count of live bytes
//	capacity.go    the memory and swap this process can be given
//	size.go        page rounding with checked arithmetic
//	view.go        View and ViewSlice: typed values in a segment
//	ops.go         Protect, Lock, Unlock, Sync, Advise
//	guard.go       Guard: a memory fault as an error
//	errors.go      Error and the sentinels
//	log.go         SetLogger
//	clock.go       the time a segment was made
package shm
