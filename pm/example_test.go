package pm_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/fpmshm/fpmshm/pm"
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
