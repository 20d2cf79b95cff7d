package pm

import (
	"fmt"
	"os"
	"strings"
)

// reload replaces every worker with a new generation, after taking up the
// configuration Config.Reload gives, if any (SIGUSR2).
func (m *master) reload() {
	m.renew(func() (Config, error) {
		if m.cfg.Reload == nil {
			return *m.cfg, nil
		}
		return m.cfg.Reload()
	})
}

// renew takes up the configuration next gives (reopening the logs)
// and replaces every worker with a new generation: the old ones are told
// to finish their request and exit, and new ones start in the slots that
// are free now and in those the old ones free. The listening sockets stay
// open in the master all along, so no connection is refused: it waits in
// the listen queue for the next free worker.
func (m *master) renew(next func() (Config, error)) {
	if m.stopping != running {
		return
	}
	cfg, err := next()
	if err == nil {
		err = m.takeUp(cfg)
	}
	if err != nil {
		m.log.Error("reload cancelled: the pool runs on as it was", "err", err)
		return
	}
	m.gen++
	for _, c := range m.kids {
		if c.retiring == "" {
			m.retire(c, "reload")
		}
	}
	m.topUp()
}

// takeUp makes next the running configuration, but for the settings that
// take a restart, which keep their running values (and are logged), and
// resolves how its workers start (opening its access log). It changes
// nothing when next, so adjusted, is not valid or its access log cannot
// be opened.
func (m *master) takeUp(next Config) error {
	next.SetDefaults()
	kept := restartOnly(m.cfg, &next)
	next.Logger, next.Reload = m.cfg.Logger, m.cfg.Reload
	if err := next.Validate(); err != nil {
		return err
	}
	set, notices, err := next.spawnSettings(os.Geteuid())
	if err != nil {
		return err
	}
	if err := redirectStderr(next.ErrorLog); err != nil {
		set.close()
		return fmt.Errorf("pool %s: open error_log: %w", next.Pool, err)
	}
	logNotices(m.log, append(next.Notices, notices...))
	if len(kept) > 0 {
		m.log.Warn("reload: these settings take a restart of the master and keep their running values: " + strings.Join(kept, "; "))
	}
	m.set.close()
	*m.cfg, m.set = next, set
	return nil
}

// restartOnly copies into next, from running, the settings a running
// master cannot change (the directives marked Restart), and returns a
// description of each that next wanted changed.
func restartOnly(running, next *Config) []string {
	var kept []string
	for i := range directives {
		d := &directives[i]
		if !d.Restart {
			continue
		}
		from, to := d.value.format(running), d.value.format(next)
		if d.value.keep(running, next) {
			name := d.Name
			if d.pattern() { // the set of them: "caches"
				name = flagName(d) + "s"
			}
			kept = append(kept, fmt.Sprintf("%s %s (not %s)", name, orNone(from), orNone(to)))
		}
	}
	return kept
}

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
