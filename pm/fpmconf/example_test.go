package fpmconf_test

import (
	"fmt"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/pm/fpmconf"
)

// A pool file over the program's own defaults: what the file sets wins,
// "$pool" is the pool's name, and a directive fpmshm does not know is an
// error naming its line.
func ExampleLoadINI() {
	cfg := pm.Config{MaxChildren: 2, HTTPListen: "127.0.0.1:8080"}
	conf := "[global]\npid = /run/fpmshm.pid\n\n[app]\npm = static\npm.max_children = 8\nlisten = /run/$pool.sock\n"
	if err := fpmconf.LoadINI([]byte(conf), "app.conf", &cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Pool, cfg.PM, cfg.MaxChildren, cfg.Listen, cfg.HTTPListen, cfg.PIDFile)

	err := fpmconf.LoadINI([]byte("[app]\nlisten.acl_users = www-data\n"), "app.conf", &cfg)
	fmt.Println(err)
	// Output:
	// app static 8 /run/app.sock 127.0.0.1:8080 /run/fpmshm.pid
	// app.conf:2: [app] listen.acl_users: unknown directive (not implemented by fpmshm)
}
