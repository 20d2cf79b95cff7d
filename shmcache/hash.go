package shmcache

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// Key hashing is part of the segment's format: every process must place a
// key in the same stripe and bucket. It is a 64-bit multiply-mix hash of
// the key, seeded with a random value chosen when the cache is made, so
// that nobody who does not know the seed can choose keys that all land in
// one bucket.
const (
	hashK1 = 0xa0761d6478bd642f
	hashK2 = 0xe7037ed1a0b428db
	hashK3 = 0x8ebc6af09c88c6e3
)

// mix folds the 128-bit product of a and b to 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashKey returns the seeded hash of key.
func hashKey(seed uint64, key []byte) uint64 {
	n := len(key)
	s := seed ^ hashK1
	var a, b uint64
	le := binary.LittleEndian
	switch {
	case n > 16:
		p := key
		for len(p) > 16 {
			s = mix(le.Uint64(p)^hashK2, le.Uint64(p[8:])^s)
			p = p[16:]
		}
		a, b = le.Uint64(key[n-16:]), le.Uint64(key[n-8:])
	case n >= 8:
		a, b = le.Uint64(key), le.Uint64(key[n-8:])
	case n >= 4:
		a, b = uint64(le.Uint32(key)), uint64(le.Uint32(key[n-4:]))
	case n > 0:
		a = uint64(key[0])<<16 | uint64(key[n>>1])<<8 | uint64(key[n-1])
	}
	return mix(hashK3^uint64(n), mix(a^hashK2, b^s))
}

// castagnoli is the CRC32C table; hash/crc32 computes it with the
// processor's CRC32 instruction where there is one.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc continues the CRC32C sum of an entry or superblock with p.
func crc(sum uint32, p []byte) uint32 { return crc32.Update(sum, castagnoli, p) }
