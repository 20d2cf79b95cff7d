package pm_test

import (
	"flag"
	"fmt"

	"github.com/fpmshm/fpmshm/pm"
)

// A program's flags, one per directive and named as in php-fpm.conf; the
// zero fields then take the directives' defaults.
func ExampleBindFlags() {
	var cfg pm.Config
	fs := flag.NewFlagSet("pool", flag.ContinueOnError)
	pm.BindFlags(fs, &cfg)
	if err := fs.Parse([]string{"-pm", "static", "-pm.max_children", "4", "-listen", "9000", "-request_terminate_timeout", "1.5s"}); err != nil {
		fmt.Println(err)
		return
	}
	cfg.SetDefaults()
	fmt.Println(cfg.Pool, cfg.PM, cfg.MaxChildren, cfg.ListenBacklog, cfg.RequestTerminateTimeout, cfg.Validate())
	// Output: www static 4 -1 1.5s <nil>
}

// The directives a reload cannot change.
func ExampleDirectives() {
	for _, d := range pm.Directives() {
		if d.Restart && d.Section != pm.NoSection {
			fmt.Print(d.Name, " ")
		}
	}
	fmt.Println()
	// Output: pid systemd_interval log_level log_limit log_format syslog.facility syslog.ident pm pm.max_children listen listen.backlog listen.owner listen.group listen.mode pm.status_listen cache.NAME rlimit_files rlimit_core process.priority
}
