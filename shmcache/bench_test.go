package shmcache

import (
	"bytes"
	"sync"
	"testing"
)

// The benchmarks bench/run pairs with APCu, Redis and an in-process map:
// a 16-byte key and a 100-byte value, one key, as the APCu anchors do.

var (
	benchKey   = []byte("bench-key-000001")
	benchValue = bytes.Repeat([]byte{'v'}, 100)
)

func benchCache(b *testing.B) *Cache {
	return newTest(b, Options{Name: "bench", Size: 64 << 20})
}

// BenchmarkGet100 is AppendGet of a 100-byte value into a reused buffer.
func BenchmarkGet100(b *testing.B) {
	c := benchCache(b)
	if err := c.Set(benchKey, benchValue, 0); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		v, ok := c.AppendGet(buf[:0], benchKey)
		if !ok || len(v) != 100 {
			b.Fatal("miss")
		}
	}
}

// BenchmarkSet100 is Set of a 100-byte value over the same key.
func BenchmarkSet100(b *testing.B) {
	c := benchCache(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Set(benchKey, benchValue, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIncr is Incr of one counter.
func BenchmarkIncr(b *testing.B) {
	c := benchCache(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Incr(benchKey, 1, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapRWMutexGet100 is the in-process reference: a copy of a
// 100-byte value out of a map behind a sync.RWMutex.
func BenchmarkMapRWMutexGet100(b *testing.B) {
	var mu sync.RWMutex
	m := map[string][]byte{string(benchKey): bytes.Clone(benchValue)}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		mu.RLock()
		v, ok := m[string(benchKey)]
		buf = append(buf[:0], v...)
		mu.RUnlock()
		if !ok || len(buf) != 100 {
			b.Fatal("miss")
		}
	}
}
