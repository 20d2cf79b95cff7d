package pm

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadINI(t *testing.T) {
	conf := `; a pool file in php-fpm's style
[global]
pid = /run/fpmshm.pid

[app]
pm = ondemand
pm.max_children = 12
pm.process_idle_timeout = 2m
pm.max_requests = 500
request_terminate_timeout = 30
request_slowlog_timeout = 5s
listen = /run/fpmshm-$pool.sock
listen.backlog = -1
pm.status_path = /status
ping.path = /ping
ping.response = "alive"
`
	c := Config{HTTPListen: "127.0.0.1:8080"}
	if err := LoadINI([]byte(conf), "app.conf", &c); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Pool: "app", PM: Ondemand, MaxChildren: 12, ProcessIdleTimeout: 2 * time.Minute, MaxRequests: 500,
		RequestTerminateTimeout: 30 * time.Second, RequestSlowlogTimeout: 5 * time.Second,
		Listen: "/run/fpmshm-app.sock", HTTPListen: "127.0.0.1:8080", ListenBacklog: 65535,
		StatusPath: "/status", PingPath: "/ping", PingResponse: "alive", PIDFile: "/run/fpmshm.pid",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("loaded\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the loaded pool does not validate: %v", err)
	}
}

func TestLoadINIReportsEveryProblem(t *testing.T) {
	conf := "[www]\npm = dynamic\nuser = www-data\npm.max_children = many\n\n[global]\nerror_log = /var/log/x\n"
	c := Config{MaxChildren: 3}
	err := LoadINI([]byte(conf), "www.conf", &c)
	if !errors.Is(err, ErrUnknownDirective) {
		t.Fatalf("LoadINI = %v, want ErrUnknownDirective", err)
	}
	for _, want := range []string{
		"www.conf:3: [www] user: unknown directive",
		`www.conf:4: [www] pm.max_children: "many" is not a non-negative whole number`,
		"www.conf:7: [global] error_log: unknown directive",
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
	err := LoadINI([]byte("[a]\npm = static\n[b]\npm = static\n"), "two.conf", &Config{})
	if err == nil || !strings.Contains(err.Error(), "[b]: a second pool") {
		t.Errorf("two pools: %v", err)
	}
	err = LoadINI([]byte("pm = static\n"), "nosection.conf", &Config{})
	if err == nil || !strings.Contains(err.Error(), "outside of any section") {
		t.Errorf("a directive outside sections: %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	var c Config
	if err := LoadFile(filepath.Join("testdata", "www.conf"), &c); err != nil {
		t.Fatal(err)
	}
	want := Config{
		Pool: "www", PM: Dynamic, MaxChildren: 5, StartServers: 2, MinSpareServers: 1, MaxSpareServers: 3,
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

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "30": 30 * time.Second, "30s": 30 * time.Second, "2m": 2 * time.Minute,
		"1h": time.Hour, "1d": 24 * time.Hour, " 10s ": 10 * time.Second,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "s", "1.5s", "-1", "10ms", "ten"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}
