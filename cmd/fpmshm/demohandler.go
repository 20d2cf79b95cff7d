package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fpmshm/fpmshm/pm"
)

// demoBody is the first line of every demo page.
const demoBody = "Hello from fpmshm.\n"

// maxDemoAlloc bounds what the demo page allocates for one request.
const maxDemoAlloc = 1 << 30

// demoCache is the shared cache serve declares for the demo page.
const demoCache = "demo"

// demoHandler is serve's built-in page. Its query can make the request
// show on the status page: sleep=DURATION waits, cpu=DURATION spins,
// alloc=BYTES (with an optional k, M or G) allocates and touches memory.
// For example /?sleep=2s&alloc=64M. cache=KEY increments the counter KEY
// in the pool's shared cache "demo", one counter for every worker.
func demoHandler() http.Handler {
	var served atomic.Int64
	pid := os.Getpid()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n := served.Add(1)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var b strings.Builder
		b.WriteString(demoBody)
		fmt.Fprintf(&b, "worker pid %d, its request %d; %s %s\n", pid, n, r.Method, r.URL.RequestURI())
		if p := pm.Params(r); p != nil {
			fmt.Fprintf(&b, "SCRIPT_NAME %s, SCRIPT_FILENAME %s\n", p["SCRIPT_NAME"], p["SCRIPT_FILENAME"])
		}
		if q.Has("cache") {
			countInCache(&b, q.Get("cache"))
		}
		if d, err := time.ParseDuration(q.Get("cpu")); err == nil && d > 0 {
			spin(min(d, time.Minute))
			fmt.Fprintf(&b, "spun the CPU for %s\n", d)
		}
		if size, err := pm.ParseSize(q.Get("alloc")); err == nil && size > 0 && size <= maxDemoAlloc {
			mem := make([]byte, size)
			for i := 0; i < len(mem); i += 4096 {
				mem[i] = 1
			}
			fmt.Fprintf(&b, "allocated %d bytes\n", len(mem))
		}
		if d, err := time.ParseDuration(q.Get("sleep")); err == nil && d > 0 {
			time.Sleep(min(d, 10*time.Minute))
			fmt.Fprintf(&b, "slept %s\n", d)
		}
		w.Write([]byte(b.String()))
	})
}

// countInCache increments the counter key of the demo cache and says its
// value, or why it could not.
func countInCache(b *strings.Builder, key string) {
	c, err := pm.Cache(demoCache)
	if err != nil {
		fmt.Fprintf(b, "no shared counter: %v\n", err)
		return
	}
	n, err := c.Incr([]byte(key), 1, 0)
	if err != nil {
		fmt.Fprintf(b, "counter %q: %v\n", key, err)
		return
	}
	fmt.Fprintf(b, "counter %q = %d, shared by every worker (cache %s)\n", key, n, demoCache)
}

// spin keeps the CPU busy for d.
func spin(d time.Duration) {
	x := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := range 10000 {
			x += i
		}
	}
	_ = x
}
