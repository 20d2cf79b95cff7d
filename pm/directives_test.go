package pm

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/status"
)

// defaults is the zero Config with its defaults set.
var defaults = func() Config {
	var c Config
	c.SetDefaults()
	return c
}()

// sample returns a value d accepts that is not its field's zero value nor
// its default, and the key that sets it (a pattern's, with NAME "t").
func sample(t *testing.T, d *Directive) (key, value string) {
	t.Helper()
	key = strings.Replace(d.Name, "NAME", "t", 1)
	switch d.Name { // text with a form of its own
	case "listen.allowed_clients":
		return key, "127.0.0.1,::1"
	case "rlimit_core":
		return key, "unlimited"
	case "process.priority":
		return key, "-5"
	case "decorate_workers_output": // its field holds the opposite
		return key, "no"
	}
	switch d.value.(type) {
	case field[string]:
		return key, "/x"
	case field[int]:
		return key, "3"
	case field[time.Duration]:
		return key, "7s"
	case field[bool]:
		return key, "yes"
	case field[PM]:
		return key, "static"
	case field[os.FileMode]:
		return key, "0600"
	case field[status.Version]:
		return key, "8.2"
	case field[slog.Level]:
		return key, "warning"
	case cachesValue:
		return key, "1M"
	case envValue:
		return key, "v"
	}
	t.Fatalf("%s: no sample value for a %T: add one", d.Name, d.value)
	return "", ""
}

// configFields are the fields of Config that hold a setting; the others
// are the program's hooks.
func configFields() []string {
	var names []string
	for f := range reflect.TypeFor[Config]().Fields() {
		switch f.Name {
		case "Logger", "Notices", "Reload", "OnStart":
		default:
			names = append(names, f.Name)
		}
	}
	return names
}

// TestDirectivesSetEachFieldOnce: every setting of Config is set by one
// directive of the table, and by no other; each directive sets its field
// to the value it formats back; names are unique.
func TestDirectivesSetEachFieldOnce(t *testing.T) {
	setBy := map[string][]string{}
	names := map[string]bool{} // directive names in their section, and flags
	for i := range directives {
		d := &directives[i]
		if key := fmt.Sprint(d.Section, d.Name); names[key] {
			t.Errorf("%s: in the table twice", d.Name)
		} else {
			names[key] = true
		}
		if key := "-" + d.Flag(); names[key] {
			t.Errorf("%s: its flag %s is another's", d.Name, key)
		} else {
			names[key] = true
		}
		if d.value == nil {
			continue
		}
		key, value := sample(t, d)
		var c Config
		if err := d.Set(&c, key, value); err != nil {
			t.Errorf("%s = %s: %v", key, value, err)
			continue
		}
		got := reflect.ValueOf(c)
		for i, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
			if !got.Field(i).IsZero() {
				setBy[f.Name] = append(setBy[f.Name], d.Name)
			}
		}
		again := Config{}
		if err := d.Set(&again, key, strings.TrimPrefix(d.value.format(&c), "t=")); err != nil || !reflect.DeepEqual(again, c) {
			t.Errorf("%s: %q formatted as %q, which sets %+v (%v)", d.Name, value, d.value.format(&c), again, err)
		}
	}
	for _, f := range configFields() {
		if len(setBy[f]) != 1 {
			t.Errorf("Config.%s is set by %q, want one directive", f, setBy[f])
		}
	}
}

// TestDirectiveDefaults: each Default is a value of its directive, which
// formats back to it; SetDefaults sets them in the zero fields only.
func TestDirectiveDefaults(t *testing.T) {
	for i := range directives {
		d := &directives[i]
		if d.Default == "" {
			continue
		}
		var c Config
		if err := d.value.set(&c, "", d.Default); err != nil || d.value.format(&c) != d.Default {
			t.Errorf("%s: default %q reads as %q (%v)", d.Name, d.Default, d.value.format(&c), err)
		}
		if got := d.value.format(&defaults); got != d.Default {
			t.Errorf("%s: SetDefaults set %q, want %q", d.Name, got, d.Default)
		}
	}
	c := Config{ListenBacklog: 7, PM: Static}
	c.SetDefaults()
	if c.ListenBacklog != 7 || c.PM != Static || c.StartServers != 0 {
		t.Errorf("SetDefaults changed set fields: %+v", c)
	}
}

// TestRestartOnlyIsTheTable: a reload keeps the running value of exactly
// the directives marked Restart, which are the settings a running master
// cannot change, and takes up the others.
func TestRestartOnlyIsTheTable(t *testing.T) {
	var restart []string
	for i := range directives {
		d := &directives[i]
		if d.value == nil {
			continue
		}
		key, value := sample(t, d)
		var running, next Config
		if err := d.Set(&next, key, value); err != nil {
			t.Fatal(err)
		}
		wanted := next
		kept := restartOnly(&running, &next)
		switch {
		case d.Restart && (len(kept) != 1 || !reflect.DeepEqual(next, running)):
			t.Errorf("%s: a reload kept %q and took up %+v, want the running value kept", d.Name, kept, next)
		case !d.Restart && (len(kept) != 0 || !reflect.DeepEqual(next, wanted)):
			t.Errorf("%s: a reload kept %q and took up %+v, want %+v", d.Name, kept, next, wanted)
		}
		if len(kept) > 0 {
			restart = append(restart, d.Name)
		}
	}
	want := []string{"pid", "systemd_interval", "log_level", "log_limit", "log_format", "syslog.facility", "syslog.ident", "pool", "http", "no-scoreboard", "pm", "pm.max_children", "listen", "listen.backlog",
		"listen.owner", "listen.group", "listen.mode", "pm.status_listen", "cache.NAME", "rlimit_files", "rlimit_core", "process.priority"}
	if !slices.Equal(restart, want) {
		t.Errorf("a reload keeps %q, want %q", restart, want)
	}
}

// TestBindFlags: every directive fpmshm implements is a flag, which sets
// its field as the directive does, and shows its default; a pattern's
// takes NAME=VALUE; timeouts and switches also take Go's forms.
func TestBindFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	BindFlags(fs, &c)
	flags := 0
	fs.VisitAll(func(*flag.Flag) { flags++ })
	implemented := 0
	for i := range directives {
		d := &directives[i]
		if d.value == nil {
			if fs.Lookup(d.Name) != nil {
				t.Errorf("%s: fpmshm ignores it, yet it is a flag", d.Name)
			}
			continue
		}
		implemented++
		f := fs.Lookup(flagName(d))
		if f == nil {
			t.Errorf("%s: no flag", d.Name)
			continue
		}
		if f.DefValue != d.Default && f.DefValue != strconv.Quote(d.Default) {
			t.Errorf("-%s: default %q, want %q", f.Name, f.DefValue, d.Default)
		}
		key, value := sample(t, d)
		arg := value
		if d.pattern() {
			arg = "t=" + value
		}
		var byFlag, byDirective Config
		c = Config{}
		if err := fs.Set(f.Name, arg); err != nil {
			t.Errorf("-%s %s: %v", f.Name, arg, err)
		}
		byFlag = c
		if err := d.Set(&byDirective, key, value); err != nil || !reflect.DeepEqual(byFlag, byDirective) {
			t.Errorf("-%s %s set %+v, the directive %+v (%v)", f.Name, arg, byFlag, byDirective, err)
		}
	}
	if flags != implemented {
		t.Errorf("%d flags for %d directives", flags, implemented)
	}
	c = Config{}
	for _, args := range [][]string{{"-request_terminate_timeout", "1.5s"}, {"-clear_env"}, {"-no-scoreboard=T"}} {
		if err := fs.Parse(args); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
	if c.RequestTerminateTimeout != 1500*time.Millisecond || !c.ClearEnv || !c.NoScoreboard {
		t.Errorf("Go's forms: %+v", c)
	}
	for _, args := range [][]string{{"-cache", "pages"}, {"-cache", "a[b]=1M"}, {"-listen.backlog", "0"}, {"-pm", "lazy"}} {
		if err := fs.Parse(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// php-fpm's systemd_interval = 0 turns the status lines off; unset, it is
// 10 seconds.
func TestSystemdIntervalZeroIsNever(t *testing.T) {
	d, ok := LookupDirective(GlobalSection, "systemd_interval")
	if !ok {
		t.Fatal("systemd_interval is not a [global] directive")
	}
	var c Config
	if err := d.Set(&c, "systemd_interval", "0"); err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	if c.SystemdInterval >= 0 {
		t.Errorf("systemd_interval = 0 gives %v, want a negative interval (never)", c.SystemdInterval)
	}
	var unset Config
	unset.SetDefaults()
	if unset.SystemdInterval != 10*time.Second {
		t.Errorf("unset systemd_interval is %v, want 10s", unset.SystemdInterval)
	}
}
