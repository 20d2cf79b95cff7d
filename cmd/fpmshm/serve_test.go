package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/pm"
	"github.com/fpmshm/fpmshm/status"
)

// TestServeStatusVersion: -status.version sets the pool's status page field
// set (8.3 is 8.2's), and a release without one stops serve with code 64
// (exitUsage).
func TestServeStatusVersion(t *testing.T) {
	for arg, want := range map[string]status.Version{"8.2": status.PHP82, "8.3": status.PHP82, "8.4": status.PHP84} {
		pools, _, code := serveConfig([]string{"-status.version", arg})
		if code != -1 || len(pools) != 1 || pools[0].StatusVersion != want {
			t.Errorf("-status.version %s: pools %+v, code %d; want version %d, -1", arg, pools, code, want)
		}
	}
	if pools, _, code := serveConfig(nil); code != -1 || len(pools) != 1 || pools[0].StatusVersion != 0 {
		t.Errorf("no -status.version: pools %+v, code %d; want version 0 (8.4), -1", pools, code)
	}
	if _, _, code := serveConfig([]string{"-status.version", "7.4"}); code != exitUsage {
		t.Errorf("-status.version 7.4: code %d, want %d", code, exitUsage)
	}
}

// TestServeFlagsAreTheDirectives: serve has a flag for every directive
// fpmshm implements, which sets the pool as the directive does in a file.
func TestServeFlagsAreTheDirectives(t *testing.T) {
	for _, d := range pm.Directives() {
		if d.Ignored() {
			continue
		}
		name, key := d.Flag(), strings.Replace(d.Name, "NAME", "t", 1)
		for _, value := range []string{"/x", "3", "7s", "yes", "static", "8.2", "1M"} {
			want := serveDefaults()
			if d.Set(&want, key, value) != nil {
				continue
			}
			arg := value
			if key != d.Name {
				arg = "t=" + value
			}
			got, _, code := serveConfig([]string{"-" + name + "=" + arg})
			if code != -1 || !reflect.DeepEqual(got, []pm.Config{want}) {
				t.Errorf("-%s=%s: code %d, pool %+v; want %+v", name, arg, code, got, want)
			}
			break
		}
	}
}

// TestServeSeveralPools: serve reads every pool of its file, flags apply
// to each, and serve's default sockets are a lone pool's: with several
// pools each has only its section's.
func TestServeSeveralPools(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "php-fpm.conf")
	os.WriteFile(conf, []byte("[www]\nlisten = /w.sock\n[api]\nlisten = /a.sock\n"), 0o644)
	pools, _, code := serveConfig([]string{"-y", conf, "-pm.max_children", "9"})
	if code != -1 || len(pools) != 2 {
		t.Fatalf("two pools: code %d, %+v", code, pools)
	}
	for i, want := range []struct{ pool, listen string }{{"www", "/w.sock"}, {"api", "/a.sock"}} {
		if c := pools[i]; c.Pool != want.pool || c.Listen != want.listen || c.HTTPListen != "" || c.MaxChildren != 9 || c.Reload == nil {
			t.Errorf("pool %d: %s listen %q http %q max_children %d; want %s on %s only, 9", i, c.Pool, c.Listen, c.HTTPListen, c.MaxChildren, want.pool, want.listen)
		}
	}
	os.WriteFile(conf, []byte("[www]\nlisten = /w.sock\n"), 0o644)
	if _, err := pools[1].Reload(); err == nil || !strings.Contains(err.Error(), "has no pool api any more") {
		t.Errorf("reload of a pool removed from the file: %v", err)
	}
	if c, err := pools[0].Reload(); err != nil || c.Pool != "www" || c.HTTPListen != serveDefaults().HTTPListen {
		t.Errorf("reload of the pool left alone in the file: %+v, %v; want the default http socket", c, err)
	}
}
