package shmcache

import "testing"

// TestChecksumCoversEveryBit: flipping any one bit of an input of any
// length up to 200 bytes, or changing the seed, changes its checksum.
func TestChecksumCoversEveryBit(t *testing.T) {
	data := make([]byte, 200)
	for i := range data {
		data[i] = byte(i*131 + 7)
	}
	for n := range len(data) + 1 {
		p := data[:n]
		want := checksum(1, p)
		if checksum(2, p) == want {
			t.Errorf("%d bytes: the seed does not change the checksum", n)
		}
		for i := range n * 8 {
			p[i/8] ^= 1 << (i % 8)
			if checksum(1, p) == want {
				t.Errorf("%d bytes: flipping bit %d leaves the checksum %#x", n, i, want)
			}
			p[i/8] ^= 1 << (i % 8)
		}
	}
}
