package pm

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestValidateDefaults(t *testing.T) {
	c := Config{MaxChildren: 5, MinSpareServers: 1, MaxSpareServers: 3, Listen: "9000"}
	before := c
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, before) {
		t.Errorf("Validate changed the pool: %+v, was %+v", c, before)
	}
	c.SetDefaults()
	if c.Pool != "www" || c.PM != Dynamic || c.ListenBacklog != -1 || c.ProcessIdleTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	if c.StartServers != 2 { // min + (max - min) / 2, as PHP-FPM
		t.Errorf("pm.start_servers defaulted to %d, want 2", c.StartServers)
	}
}

func TestValidateRefuses(t *testing.T) {
	ok := Config{PM: Dynamic, MaxChildren: 5, StartServers: 2, MinSpareServers: 1, MaxSpareServers: 3, Listen: "9000"}
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.MaxChildren = 0 }, "pm.max_children (0)"},
		{func(c *Config) { c.Listen = "" }, "listen is empty"},
		{func(c *Config) { c.MinSpareServers = 4 }, "pm.min_spare_servers (4) cannot be greater than pm.max_spare_servers (3)"},
		{func(c *Config) { c.MaxSpareServers = 6 }, "pm.max_spare_servers (6) cannot be greater than pm.max_children (5)"},
		{func(c *Config) { c.StartServers = 4 }, "pm.start_servers (4) must not be less than"},
		{func(c *Config) { c.RequestTerminateTimeout = -time.Second }, "request_terminate_timeout (-1s)"},
		{func(c *Config) { c.StatusPath = "status" }, "must start with a '/'"},
		{func(c *Config) { c.StatusPath, c.PingPath = "/s", "/s" }, "both \"/s\""},
		{func(c *Config) { c.NoScoreboard = true }, "pm = static"},
		{func(c *Config) { c.PM = 9 }, "pm (9)"},
		{func(c *Config) { c.StatusVersion = 83 }, "status.version (83)"},
		{func(c *Config) { c.ListenBacklog = -3 }, "listen.backlog (-3) must be positive, or -1 for the system's maximum"},
		{func(c *Config) { c.ListenMode = 0o1777 }, "listen.mode (01777) must be permission bits"},
		{func(c *Config) { c.MaxRequests = -1 }, "pm.max_requests (-1) must not be negative"},
		{func(c *Config) { c.RequestMaxHeaderBytes = -1 }, "request_max_header_bytes (-1) must not be negative"},
		{func(c *Config) { c.MaxChildren = maxChildrenLimit + 1 }, "pm.max_children (65537) must be between 1 and 65536"},
	} {
		c := ok
		tc.change(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want ErrConfig saying %q", err, tc.want)
		}
	}
	for _, pm := range []PM{Static, Ondemand} {
		c := Config{PM: pm, MaxChildren: 1, Listen: "/run/x.sock"}
		if err := c.Validate(); err != nil {
			t.Errorf("%s pool with only pm.max_children: %v", pm, err)
		}
	}
}

func TestSplitListen(t *testing.T) {
	for in, want := range map[string]string{
		"9000":           "tcp :9000",
		"127.0.0.1:9000": "tcp 127.0.0.1:9000",
		"[::1]:9000":     "tcp [::1]:9000",
		"/run/php.sock":  "unix /run/php.sock",
		"./php.sock":     "unix ./php.sock",
	} {
		n, a, err := splitListen(in)
		if err != nil || n+" "+a != want {
			t.Errorf("splitListen(%q) = %s %s, %v; want %s", in, n, a, err, want)
		}
	}
	for _, bad := range []string{"", "70000", "localhost", "0"} {
		if _, _, err := splitListen(bad); err == nil {
			t.Errorf("splitListen(%q) accepted", bad)
		}
	}
}
