package shm

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
)

// unsupportedFlags returns nil: Linux has every flag.
func unsupportedFlags(Flag) error { return nil }

// hugePageSize returns the default huge page size from /proc/meminfo
// (2 MiB when it cannot be read).
var hugePageSize = sync.OnceValue(func() int {
	const fallback = 2 << 20
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return fallback
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Hugepagesize:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err == nil && kb > 0 {
				return kb << 10
			}
		}
	}
	return fallback
})
