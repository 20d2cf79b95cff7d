package shmcache

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// newTest makes a cache of o for a test, closed when it ends.
func newTest(tb testing.TB, o Options) *Cache {
	tb.Helper()
	if o.Name == "" {
		o.Name = "test"
	}
	c, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// mustCheck fails the test if c is not exactly consistent.
func mustCheck(tb testing.TB, c *Cache) {
	tb.Helper()
	if err := c.Check(); err != nil {
		tb.Fatal(err)
	}
}

// key returns the i-th test key: 16 bytes.
func key(i int) []byte { return fmt.Appendf(nil, "key-%012d", i) }

// intArgs parses a helper's arguments as integers.
func intArgs(args []string) []int {
	n := make([]int, len(args))
	for i, a := range args {
		v, err := strconv.Atoi(a)
		if err != nil {
			panic(fmt.Sprintf("helper argument %d: %v", i, err))
		}
		n[i] = v
	}
	return n
}

// fail prints a helper's error and returns its exit code.
func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}
