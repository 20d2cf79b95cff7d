// Package shmcache is a key-value cache in one shared segment: what APCu
// is to PHP-FPM, for Go programs that run as several processes. The
// master (or any process) makes it with New and hands it to the workers
// it starts with ShareWith; each worker takes it up with Inherited; a tool
// attaches to a running program's cache, read-only, with Attach. Every
// process sees the same entries, at memory speed, with no server.
//
//	c, err := shmcache.New(shmcache.Options{Name: "pages", Size: 64 << 20})
//	...
//	c.ShareWith(cmd)                     // master, before cmd.Start
//	c, err := shmcache.Inherited("pages") // worker
//	c.Set(key, value, time.Minute)
//	v, ok := c.Get(key)
//	n, err := c.Incr([]byte("hits"), 1, 0)
//
// # Crash-proof and hostile-proof
//
// A process may die at any instruction, holding a lock or not, and the
// next process to lock the same stripe takes the lock over (shmsync's
// ErrOwnerDead), completes or undoes the dead write and rebuilds the
// stripe's allocator from its index before going on. Every byte of the
// segment is also treated as written by a hostile process: the layout is
// computed privately from the superblock once, at Open; every offset,
// length, link and count read from the segment is checked before use;
// every loop is bounded by the private geometry; damage shows as misses,
// as ErrCorrupt from writes (after the stripe is repaired), and in Check,
// never as a crash, a hang or a read outside the segment.
//
// # Layout
//
// The segment holds, each part aligned to 64 bytes: a 64-byte superblock
// (the parameters and their checksum); 64 process slots of read counters;
// one header per stripe; the index, per stripe a fixed array of 64-byte
// buckets, each a version word and 7 slots of 8 bytes; the page
// descriptors (class, use count, lane, list links and a chunk bitmap per
// page, padded to 64 bytes); and the pages. Nothing in it is a pointer: a
// slot holds an offset (in 16-byte units), 22 bits of the key's hash, an
// expiry mark and a read mark. The stripes (a power of two, up to 256) own
// disjoint ranges of buckets and pages, so the stripe whose lock guards a
// byte follows from the byte's offset alone and no damage can make two
// stripes share memory.
//
// A stripe's header starts with one cache line holding what every write
// changes (the lock, the sequence, the intent record, the last CAS
// generation, the entry and byte counts); then what changes less often
// (a counter update's record, the expiry sweep, the free page list, the
// repair counts); then 4 lanes, each on cache lines of its own: a lane's
// write counts and, per size class, its partial page list, page, chunk
// and byte counts and CLOCK hand. A process writes through lane
// (its process slot mod 4): it takes chunks from its lane's pages, and
// free pages into its lane while more than a quarter of the stripe's
// pages are free; past that, or when its lane has no room, it takes
// chunks from any lane's pages of the class. So processes of different
// lanes that write different keys share only the first line of the
// stripe's header, not the chunks, page descriptors or counts they write.
//
// Entries live in chunks carved from pages of one size class each (64
// bytes, then steps of 16 up to 256, then about 1/8 apart, up to a page).
// An entry is a 32-byte header (checksums, key hash, expiry, lengths,
// class, magic), the key, the value and an 8-byte CAS generation, checked
// by two 32-bit checksums (the key hash's multiply-mix, folded): one over
// the header's fields and the key, one over the value and the generation,
// seeded with the key's hash. A read checks the second (it compares the
// key and checks the header's fields itself); Check and repairs check
// both. A key hashes (a seeded 64-bit hash) to one stripe and two
// different buckets in it; it goes into the
// emptier one. When both are full, a chain of up to 64 buckets is searched
// for entries that can move to their other bucket, the last into an empty
// slot, and the entries are moved one at a time, each an intent of its
// own.
//
// # Concurrency
//
// Readers take no lock and write nothing shared but a read mark on the
// entry they found (once, for the CLOCK) and their own process's hit
// count: they copy the value under the version of the key's bucket (of
// both its buckets when the first does not hold it), check the entry's
// checksum, and retry when a version was odd or changed. Writers lock the
// stripe (shmsync.Mutex, with a timeout: ErrBusy), fill a free chunk with
// the new entry, make the stripe's sequence and the bucket's version odd,
// arm the stripe's intent record, store the new slot word, make the
// version even, free what the slot held, clear the intent and make the
// sequence even. A reader thus waits only for writes to its own buckets,
// and reads no cache line that writes to other buckets change. A repair
// or a reset makes every version of its stripe odd until it ends. Range
// copies a stripe under the stripe's sequence. No operation holds two
// stripe locks or runs caller code under one.
//
// # When memory is short
//
// The policy is chosen at creation: Evict (a CLOCK within the entry's
// class and stripe, stealing cold pages from other classes now and then)
// or Refuse (ErrFull). Either way at most a bounded number of entries is
// looked at per write, and the cache is never wiped. Expiry is lazy (an
// expired entry reads as absent) plus a sweep of one bucket per write.
package shmcache
