package pm_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/shm"
	"github.com/fpmshm/fpmshm/status"
	"github.com/fpmshm/fpmshm/status/promcollector"
)

// A program that runs its handler under the process manager, behind nginx
// (fastcgi_pass 127.0.0.1:9000) and on plain HTTP: the same call is the
// master in the process the user starts and the server in each worker.
func ExampleRun() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", pm.Params(r)["SCRIPT_NAME"])
	})
	cfg := pm.Config{
		PM:              pm.Dynamic,
		MaxChildren:     8,
		MinSpareServers: 2,
		MaxSpareServers: 4,
		MaxRequests:     1000,
		Listen:          "127.0.0.1:9000",
		HTTPListen:      "127.0.0.1:8080",
		StatusPath:      "/status",
		PingPath:        "/ping",
	}
	if err := pm.Run(context.Background(), cfg, handler); err != nil {
		log.Fatal(err)
	}
}

// A pool with a shared cache: every worker's handler counts the page's
// views in one counter, which a reload keeps.
func ExampleCache() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		views, err := pm.Cache("views") // the cache the master made and handed over
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		n, err := views.Incr([]byte(r.URL.Path), 1, 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "%s: %d views, counted by every worker\n", r.URL.Path, n)
	})
	cfg := pm.Config{
		PM:          pm.Static,
		MaxChildren: 4,
		HTTPListen:  "127.0.0.1:8080",
		Caches:      map[string]pm.CacheConfig{"views": {Size: 16 << 20}},
	}
	if err := pm.Run(context.Background(), cfg, handler); err != nil {
		log.Fatal(err)
	}
}

// Outside Run, or for a name the pool does not declare, Cache says which
// caches there are.
func ExampleCache_undeclared() {
	_, err := pm.Cache("sessions")
	fmt.Println(errors.Is(err, pm.ErrNoCache))
	fmt.Println(err)
	// Output:
	// true
	// pm: cache "sessions": no such cache (Run is not running in this process)
}

// cache.NAME = SIZE[,POLICY] in a pool file, and serve's -cache flag.
func ExampleParseCache() {
	c, err := pm.ParseCache("64M,refuse")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Size, c.Policy, c)
	// Output:
	// 67108864 refuse 64M,refuse
}

// A program that runs the pool and serves, on a server of its own, the
// pool's metrics for Prometheus and its status page under an admin path.
// The master calls OnStart once its pool exists; the workers never do.
func ExamplePool_Source() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	cfg := pm.Config{
		PM:          pm.Static,
		MaxChildren: 4,
		Listen:      "127.0.0.1:9000",
		OnStart: func(pool *pm.Pool) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(promcollector.NewCollector(pool.Source(), promcollector.CollectorOpts{Allocated: shm.Allocated}))
			admin := http.NewServeMux()
			admin.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
			admin.Handle("/admin/status", &status.Handler{Source: pool.Source(), Version: status.PHP82})
			go func() { log.Fatal(http.ListenAndServe("127.0.0.1:9100", admin)) }()
		},
	}
	if err := pm.Run(context.Background(), cfg, handler); err != nil {
		log.Fatal(err)
	}
}

// Two pools in one master, as php-fpm.conf's [www] and [api] sections:
// each has its own socket, process manager, status page and workers, and
// its own handler.
func ExampleRunPools() {
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "the site") })
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, `{"api": true}`) })
	pools := []pm.Config{
		{Pool: "www", PM: pm.Dynamic, MaxChildren: 8, MinSpareServers: 2, MaxSpareServers: 4,
			Listen: "/run/fpmshm/www.sock", StatusPath: "/status"},
		{Pool: "api", PM: pm.Static, MaxChildren: 4, MaxRequests: 500,
			Listen: "/run/fpmshm/api.sock", StatusPath: "/status"},
	}
	handler := func(pool string) http.Handler {
		if pool == "api" {
			return api
		}
		return site
	}
	if err := pm.RunPools(context.Background(), pools, handler); err != nil {
		log.Fatal(err)
	}
}
