// Package redis holds the Redis anchors of bench/run: GET, SET and INCR of
// a 16-byte key and a 100-byte value over loopback with go-redis, one
// client, one command at a time, as shmcache's benchmarks do them in
// memory. It is a module of its own so that the library does not depend
// on go-redis. bench/run starts a redis-server and names it in
// FPMSHM_REDIS_ADDR; without it the benchmarks are skipped.
package redis

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

var (
	key   = "bench-key-000001"
	value = bytes.Repeat([]byte{'v'}, 100)
)

func client(b *testing.B) (*redis.Client, context.Context) {
	addr := os.Getenv("FPMSHM_REDIS_ADDR")
	if addr == "" {
		b.Skip("FPMSHM_REDIS_ADDR is not set")
	}
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	b.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Set(ctx, key, value, 0).Err(); err != nil {
		b.Fatal(err)
	}
	return c, ctx
}

func BenchmarkRedisGet100(b *testing.B) {
	c, ctx := client(b)
	for b.Loop() {
		v, err := c.Get(ctx, key).Bytes()
		if err != nil || len(v) != 100 {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedisSet100(b *testing.B) {
	c, ctx := client(b)
	for b.Loop() {
		if err := c.Set(ctx, key, value, 0).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedisIncr(b *testing.B) {
	c, ctx := client(b)
	for b.Loop() {
		if err := c.Incr(ctx, "bench-ctr-000001").Err(); err != nil {
			b.Fatal(err)
		}
	}
}
