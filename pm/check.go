package pm

import (
	"fmt"
	"os"
)

// Check checks c as Run does before it starts a pool, starting nothing:
// Validate, then the files and accounts the master would open and look up
// (error_log, access.log and the slowlog, opened for appending as Run opens
// them, so a missing one is created; user and group, when running as
// root). fpmshm serve -t calls it, as php-fpm -t checks its configuration.
// The sockets are not bound.
func (c *Config) Check() error {
	d := *c
	d.SetDefaults()
	if err := d.validate(); err != nil {
		return err
	}
	if d.ErrorLog != ErrorLogSyslog {
		f, err := openLog(d.ErrorLog)
		if err != nil {
			return fmt.Errorf("pool %s: open error_log: %w", d.Pool, err)
		}
		if f != nil {
			f.Close()
		}
	}
	set, _, err := d.spawnSettings(os.Geteuid())
	if err != nil {
		return err
	}
	set.close()
	return nil
}
