package fpmconf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/pm/errorlog"
	"github.com/fpmshm/fpmshm/shmcache"
	"github.com/fpmshm/fpmshm/status"
)

func TestLoadINI(t *testing.T) {
	conf := `; a pool file in php-fpm's style
[global]
pid = /run/fpmshm.pid
process_control_timeout = 10s

[app]
pm = ondemand
pm.max_children = 12
pm.process_idle_timeout = 2m
pm.max_requests = 500
request_terminate_timeout = 30
request_slowlog_timeout = 5s
request_max_header_bytes = 256k
listen = /run/fpmshm-$pool.sock
listen.backlog = -1
pm.status_path = /status
ping.path = /ping
ping.response = "alive"
status.version = 8.3
pm.max_spawn_rate = 4
pm.max_spawn_rate = 8
user = nobody
group = nogroup
listen.owner = www-data
listen.group = www-data
listen.mode = 0600
env[HOSTNAME] = $HOSTNAME
env[APP_ENV] = production
clear_env = no
access.log = /var/log/$pool.access.log
slowlog = /var/log/$pool.slow.log
pm.status_listen = /run/fpmshm-$pool-status.sock
access.format = "%R - %u %t \"%m %r%Q%q\" %s %f %{mili}d %{kilo}M %C%%"
php_admin_value[memory_limit] = 64M
security.limit_extensions = .php
`
	c := pm.Config{HTTPListen: "127.0.0.1:8080"}
	if err := LoadINI([]byte(conf), "app.conf", &c); err != nil {
		t.Fatal(err)
	}
	want := pm.Config{
		Pool: "app", PM: pm.Ondemand, MaxChildren: 12, ProcessIdleTimeout: 2 * time.Minute, MaxRequests: 500,
		RequestTerminateTimeout: 30 * time.Second, RequestSlowlogTimeout: 5 * time.Second,
		RequestMaxHeaderBytes: 256 << 10,
		Listen:                "/run/fpmshm-app.sock", HTTPListen: "127.0.0.1:8080", ListenBacklog: -1,
		StatusPath: "/status", PingPath: "/ping", PingResponse: "alive", StatusVersion: status.PHP82, PIDFile: "/run/fpmshm.pid",
		MaxSpawnRate: 8, User: "nobody", Group: "nogroup", ListenOwner: "www-data", ListenGroup: "www-data", ListenMode: 0o600,
		Env:     map[string]string{"HOSTNAME": "$HOSTNAME", "APP_ENV": "production"},
		Slowlog: "/var/log/app.slow.log", ProcessControlTimeout: 10 * time.Second, StatusListen: "/run/fpmshm-app-status.sock",
		AccessLog: "/var/log/app.access.log", AccessFormat: `%R - %u %t "%m %r%Q%q" %s %f %{mili}d %{kilo}M %C%%`,
		Notices: []string{
			"php_admin_value[memory_limit]: means something to PHP only; ignored",
			"security.limit_extensions: means something to PHP only; ignored",
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("loaded\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the loaded pool does not validate: %v", err)
	}
}

func TestLoadINIReportsEveryProblem(t *testing.T) {
	conf := "[www]\npm = dynamic\nlisten.acl_users = www-data\npm.max_children = many\n\n[global]\nevents.mechanism = epoll\n"
	c := pm.Config{MaxChildren: 3}
	err := LoadINI([]byte(conf), "www.conf", &c)
	if !errors.Is(err, ErrUnknownDirective) {
		t.Fatalf("LoadINI = %v, want ErrUnknownDirective", err)
	}
	for _, want := range []string{
		"www.conf:3: [www] listen.acl_users: unknown directive",
		`www.conf:4: [www] pm.max_children: "many" is not a non-negative whole number`,
		"www.conf:7: [global] events.mechanism: unknown directive",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var de *DirectiveError
	if !errors.As(err, &de) || de.Line == 0 {
		t.Errorf("error is not a *DirectiveError with a line: %#v", de)
	}
	if c.MaxChildren != 3 || c.PM != 0 {
		t.Errorf("a refused file changed the config: %+v", c)
	}
}

func TestLoadINIOnePool(t *testing.T) {
	err := LoadINI([]byte("[a]\npm = static\n[b]\npm = static\n"), "two.conf", &pm.Config{})
	if err == nil || !strings.Contains(err.Error(), "[b]: a second pool") {
		t.Errorf("two pools: %v", err)
	}
	err = LoadINI([]byte("pm = static\n"), "nosection.conf", &pm.Config{})
	if err == nil || !strings.Contains(err.Error(), "outside of any section") {
		t.Errorf("a directive outside sections: %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	var c pm.Config
	if err := LoadFile(filepath.Join("testdata", "www.conf"), &c); err != nil {
		t.Fatal(err)
	}
	want := pm.Config{
		Pool: "www", PM: pm.Dynamic, MaxChildren: 5, StartServers: 2, MinSpareServers: 1, MaxSpareServers: 3,
		ProcessIdleTimeout: 10 * time.Second, MaxRequests: 500, RequestTerminateTimeout: time.Minute,
		RequestSlowlogTimeout: 5 * time.Second, Listen: "127.0.0.1:9000", ListenBacklog: 511,
		StatusPath: "/status", PingPath: "/ping", PingResponse: "pong", PIDFile: "/tmp/fpmshm-www.pid",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("testdata/www.conf loaded as\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("testdata/www.conf does not validate: %v", err)
	}
	if err := LoadFile(filepath.Join(t.TempDir(), "missing.conf"), &c); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile of a missing file: %v", err)
	}
}

// TestLoadINIBadValues: the new directives' values are checked as
// PHP-FPM checks them, and a malformed env[] is not taken for one.
func TestLoadINIBadValues(t *testing.T) {
	for conf, want := range map[string]string{
		"listen.mode = 0999":     `"0999" is not a file mode`,
		"listen.mode = rw-rw---": `"rw-rw---" is not a file mode`,
		"clear_env = maybe":      `"maybe" is not yes or no`,
		"pm.max_spawn_rate = -1": `"-1" is not a non-negative whole number`,
		"env[] = x":              "env[]: unknown directive",
	} {
		err := LoadINI([]byte("[www]\n"+conf+"\n"), "www.conf", &pm.Config{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", conf, err, want)
		}
	}
	for in, want := range map[string]os.FileMode{"0660": 0o660, "660": 0o660, "0600": 0o600, "0777": 0o777} {
		if got, err := pm.ParseMode(in); err != nil || got != want {
			t.Errorf("pm.ParseMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	c := pm.Config{PM: pm.Static, MaxChildren: 1, Listen: "9000", MaxSpawnRate: -2}
	if err := c.Validate(); !errors.Is(err, pm.ErrConfig) || !strings.Contains(err.Error(), "pm.max_spawn_rate") {
		t.Errorf("Validate with pm.max_spawn_rate -2: %v", err)
	}
}

// TestLoadStockPHPFPM reads the php-fpm.conf and the pool file Debian's
// php8.2-fpm installs, the first including the second: every directive
// they set means the same to fpmshm.
func TestLoadStockPHPFPM(t *testing.T) {
	var c pm.Config
	if err := LoadFile(filepath.Join("testdata", "php-fpm", "php-fpm.conf"), &c); err != nil {
		t.Fatal(err)
	}
	want := pm.Config{
		Pool: "www", User: "www-data", Group: "www-data", Listen: "/run/php/php8.2-fpm.sock",
		ListenOwner: "www-data", ListenGroup: "www-data",
		PM: pm.Dynamic, MaxChildren: 5, StartServers: 2, MinSpareServers: 1, MaxSpareServers: 3,
		PIDFile: "/run/php/php8.2-fpm.pid", ErrorLog: "/var/log/php8.2-fpm.log",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("the stock files loaded as\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the stock files do not validate: %v", err)
	}
}

// TestLoadInclude: include reads what its pattern matches, relative to the
// including file; a pattern matching nothing is a notice; a pool in an
// included file counts as the file's own (one pool in all); a file that
// includes itself stops at the depth limit; errors name the included file.
func TestLoadInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, conf string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("a.pool", "[a]\npm = static\npm.max_children = 2\n")
	main := write("main.conf", "[global]\ninclude = *.pool\ninclude = none/*.conf\n")
	var c pm.Config
	if err := LoadFile(main, &c); err != nil || c.Pool != "a" || c.MaxChildren != 2 || len(c.Notices) != 1 || !strings.Contains(c.Notices[0], "nothing matches") {
		t.Fatalf("include: %+v, %v", c, err)
	}
	bad := write("b.pool", "[b]\npm = static\nno_such = 1\n")
	err := LoadFile(main, &pm.Config{})
	if err == nil || !strings.Contains(err.Error(), "a second pool") || !strings.Contains(err.Error(), bad+":3: [b] no_such: unknown directive") {
		t.Errorf("a second pool and a bad directive in included files: %v", err)
	}
	loop := write("loop.conf", "[global]\ninclude = loop.conf\n")
	if err := LoadFile(loop, &pm.Config{}); err == nil || !strings.Contains(err.Error(), "includes nest deeper than") {
		t.Errorf("a file including itself: %v", err)
	}
}

// TestLoadErrorLog: [global]'s error-log directives, php-fpm's and
// log_format, load into their fields; a facility syslog has not is
// refused by Validate.
func TestLoadErrorLog(t *testing.T) {
	var c pm.Config
	conf := "[global]\nerror_log = SYSLOG\nsyslog.facility = local3\nsyslog.ident = app\nlog_level = warning\nlog_limit = 4096\nlog_format = fpm\n[www]\nlisten = 9000\npm = static\npm.max_children = 1\n"
	if err := LoadINI([]byte(conf), "x.conf", &c); err != nil {
		t.Fatal(err)
	}
	if c.ErrorLog != pm.ErrorLogSyslog || c.SyslogFacility != "local3" || c.SyslogIdent != "app" || c.LogLevel != errorlog.LevelWarning ||
		c.LogLimit != 4096 || c.LogFormat != pm.LogFormatFPM || c.Validate() != nil {
		t.Errorf("loaded %+v (%v)", c, c.Validate())
	}
	c.SyslogFacility = "nosuch"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "syslog.facility") {
		t.Errorf("syslog.facility = nosuch: %v", err)
	}
	c.SyslogFacility, c.LogFormat = "", pm.LogFormatJSON
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "error_log = syslog takes log_format fpm") {
		t.Errorf("error_log = syslog with log_format json: %v", err)
	}
}

// TestINICaches: cache.NAME declares a cache in a pool file; a size of 0
// removes one declared before (by the program's defaults); a bad value is
// a DirectiveError naming the line.
func TestINICaches(t *testing.T) {
	c := pm.Config{Caches: map[string]pm.CacheConfig{"demo": {Size: 1 << 20}}}
	err := LoadINI([]byte("[www]\ncache.pages = 64M\ncache.sessions = 1M,refuse\ncache.demo = 0\n"), "www.conf", &c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]pm.CacheConfig{"pages": {Size: 64 << 20}, "sessions": {Size: 1 << 20, Policy: shmcache.Refuse}}
	if len(c.Caches) != 2 || c.Caches["pages"] != want["pages"] || c.Caches["sessions"] != want["sessions"] {
		t.Errorf("caches %v, want %v", c.Caches, want)
	}
	err = LoadINI([]byte("[www]\npm = static\ncache.pages = lots\n"), "www.conf", &c)
	var de *DirectiveError
	if !errors.As(err, &de) || de.Line != 3 || de.Key != "cache.pages" || !strings.Contains(err.Error(), "not a cache size") {
		t.Errorf("bad cache size: %v", err)
	}
}

// TestLoadPoolsDebianLayout reads Debian's php-fpm.conf layout with two
// pool files in pool.d: two pools, each with its own directives from base
// and its file, both with every [global] directive; a section seen twice
// continues its pool, and [global] may follow the pools (php-fpm 8.2's -tt
// reads both files the same way).
func TestLoadPoolsDebianLayout(t *testing.T) {
	base := pm.Config{HTTPListen: "", PingPath: "/ping", Env: map[string]string{"A": "1"}}
	pools, err := LoadPoolsFile(filepath.Join("testdata", "php-fpm-pools", "php-fpm.conf"), base)
	if err != nil {
		t.Fatal(err)
	}
	global := pm.Config{PIDFile: "/run/php/php8.2-fpm.pid", ErrorLog: "/var/log/php8.2-fpm.log", ProcessControlTimeout: 10 * time.Second}
	want := []pm.Config{{
		Pool: "api", User: "nobody", Listen: "/run/php/php8.2-fpm-api.sock", PM: pm.Static, MaxChildren: 3, MaxRequests: 100,
		RequestTerminateTimeout: 30 * time.Second, StatusPath: "/api-status",
		Notices: []string{"php_admin_value[memory_limit]: means something to PHP only; ignored"},
	}, {
		Pool: "www", User: "www-data", Group: "www-data", Listen: "/run/php/php8.2-fpm.sock",
		ListenOwner: "www-data", ListenGroup: "www-data", StatusPath: "/status",
		PM: pm.Dynamic, MaxChildren: 5, StartServers: 2, MinSpareServers: 1, MaxSpareServers: 3,
	}}
	for i := range want {
		want[i].PIDFile, want[i].ErrorLog, want[i].ProcessControlTimeout = global.PIDFile, global.ErrorLog, global.ProcessControlTimeout
		want[i].PingPath, want[i].Env = "/ping", map[string]string{"A": "1"}
	}
	if !reflect.DeepEqual(pools, want) {
		t.Errorf("loaded\n%+v\nwant\n%+v", pools, want)
	}
	pools[0].Env["A"] = "2"
	if base.Env["A"] != "1" || pools[1].Env["A"] != "1" {
		t.Errorf("the pools share base's env map")
	}
	for _, c := range pools {
		if err := c.Validate(); err != nil {
			t.Errorf("pool %s does not validate: %v", c.Pool, err)
		}
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "php-fpm.conf")
	os.WriteFile(conf, []byte("[a]\nlisten = /a.sock\n[b]\nlisten = /b.sock\n[a]\npm.max_children = 7\n[global]\npid = /p\n"), 0o644)
	pools, err = LoadPoolsFile(conf, pm.Config{})
	if err != nil || len(pools) != 2 || pools[0].Listen != "/a.sock" || pools[0].MaxChildren != 7 || pools[1].Listen != "/b.sock" || pools[1].PIDFile != "/p" {
		t.Errorf("[a], [b], [a] again, then [global]: %+v, %v", pools, err)
	}
	os.WriteFile(conf, []byte("[global]\npid = /p\nno_such = 1\n[a]\nlisten = /a.sock\n[b]\npm = sometimes\n"), 0o644)
	var de *DirectiveError
	if _, err := LoadPoolsFile(conf, pm.Config{}); !errors.As(err, &de) || !strings.Contains(err.Error(), ":3: [global] no_such") || !strings.Contains(err.Error(), ":7: [b] pm") {
		t.Errorf("bad directives in [global] and a pool: %v", err)
	}
}
