package shmcache

import (
	"encoding/binary"
	"math/bits"
)

// Key hashing and checksums are part of the segment's format: every
// process must place a key in the same stripe and bucket, and compute the
// same checks. Both are hash64, a 64-bit multiply-mix hash: the key hash
// is seeded with a random value chosen when the cache is made, so that
// nobody who does not know the seed can choose keys that all land in one
// bucket; a checksum is the hash folded to 32 bits.
const (
	hashK1 = 0xa0761d6478bd642f
	hashK2 = 0xe7037ed1a0b428db
	hashK3 = 0x8ebc6af09c88c6e3
	hashK4 = 0x589965cc75374cc3
)

// mix folds the 128-bit product of a and b to 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hash64 returns the hash of p with seed. Past 48 bytes it takes 48 bytes
// a round in three independent multiplications, so that a value of a
// hundred bytes costs about four multiplications' latency.
func hash64(seed uint64, p []byte) uint64 {
	n := len(p)
	s := seed ^ hashK1
	var a, b uint64
	le := binary.LittleEndian
	switch {
	case n > 16:
		q := p
		if len(q) > 48 {
			s1, s2 := s, s
			for len(q) > 48 {
				s = mix(le.Uint64(q)^hashK2, le.Uint64(q[8:])^s)
				s1 = mix(le.Uint64(q[16:])^hashK3, le.Uint64(q[24:])^s1)
				s2 = mix(le.Uint64(q[32:])^hashK4, le.Uint64(q[40:])^s2)
				q = q[48:]
			}
			s ^= s1 ^ s2
		}
		for len(q) > 16 {
			s = mix(le.Uint64(q)^hashK2, le.Uint64(q[8:])^s)
			q = q[16:]
		}
		a, b = le.Uint64(p[n-16:]), le.Uint64(p[n-8:])
	case n >= 8:
		a, b = le.Uint64(p), le.Uint64(p[n-8:])
	case n >= 4:
		a, b = uint64(le.Uint32(p)), uint64(le.Uint32(p[n-4:]))
	case n > 0:
		a = uint64(p[0])<<16 | uint64(p[n>>1])<<8 | uint64(p[n-1])
	}
	return mix(hashK3^uint64(n), mix(a^hashK2, b^s))
}

// hashKey returns the seeded hash of key.
func hashKey(seed uint64, key []byte) uint64 { return hash64(seed, key) }

// checksum returns the 32-bit check of p with seed: what an entry's
// header, key, value and CAS generation, and the superblock, are guarded
// by. A change to p leaves it the same with a chance of about 1 in 2^32.
func checksum(seed uint64, p []byte) uint32 {
	h := hash64(seed^hashK4, p)
	return uint32(h ^ h>>32)
}
