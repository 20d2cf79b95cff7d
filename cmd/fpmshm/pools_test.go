package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// writePoolsConf writes Debian's php-fpm.conf layout to a temporary
// directory: php-fpm.conf including pool.d/*.conf, with a file for [www]
// (static, 2 workers) and one for [api] (static, 3), each listening on
// its own FastCGI port. It returns php-fpm.conf's path and the two
// sockets.
func writePoolsConf(t *testing.T) (conf, www, api string) {
	t.Helper()
	dir := t.TempDir()
	www, api = fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	files := map[string]string{
		"php-fpm.conf":        "[global]\nerror_log = " + filepath.Join(dir, "error.log") + "\ninclude=pool.d/*.conf\n",
		"pool.d/www.conf":     "[www]\nlisten = " + www + "\npm = static\npm.max_children = 2\npm.status_path = /status\nping.path = /ping\n",
		"pool.d/api.conf":     "[api]\nlisten = " + api + "\npm = static\npm.max_children = 3\npm.status_path = /status\nping.path = /ping\nping.response = api-pong\n",
		"pool.d/README.notes": "not a pool file: include reads *.conf only\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "php-fpm.conf"), www, api
}

// statusPage is what the tests read of a status page.
type statusPage struct {
	Pool      string `json:"pool"`
	Processes []struct {
		PID int `json:"pid"`
	} `json:"processes"`
}

// pids returns the page's processes' pids, sorted.
func (p statusPage) pids() []int {
	var pids []int
	for _, pr := range p.Processes {
		pids = append(pids, pr.PID)
	}
	slices.Sort(pids)
	return pids
}

func parseStatus(t *testing.T, where, body string) statusPage {
	t.Helper()
	var page statusPage
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("%s: status page %q: %v", where, body, err)
	}
	return page
}

// TestTwoPoolsBehindNginx runs fpmshm serve on Debian's php-fpm.conf
// layout with two pool files, behind one nginx: / goes to [www] and /api/
// to [api]. Each pool serves its requests from its own workers, and its
// status page, through nginx, shows only its own processes, the same
// fpmshm status -pool NAME reads from shared memory; fpmshm status
// without -pool asks which pool; fpmshm top shows both pools, or the one
// -pool names. After SIGUSR2 both pools serve again, from new workers.
func TestTwoPoolsBehindNginx(t *testing.T) {
	conf, www, api := writePoolsConf(t)
	pidfile, _ := startServe(t, "-y", conf)
	base := runNginx(t, "", fmt.Sprintf(`location ^~ /api/ {
			rewrite ^/api(/.*)$ $1 break;
			include /etc/nginx/fastcgi_params;
			fastcgi_pass %s;
		}
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass %s;
		}`, api, www))
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	for prefix, pong := range map[string]string{"": "pong", "/api": "api-pong"} {
		testproc.WaitUntil(t, "ping "+prefix+" through nginx", 10*time.Second, func() bool {
			code, body, err := get(client, base+prefix+"/ping")
			return err == nil && code == 200 && body == pong
		})
	}

	pools := []struct{ name, prefix string }{{"www", ""}, {"api", "/api"}}
	check := func(when string) map[string][]int {
		t.Helper()
		seen := map[string][]int{}
		for _, p := range pools {
			testproc.WaitUntil(t, fmt.Sprintf("%s: pool %s's status page and its scoreboard to agree", when, p.name), 10*time.Second, func() bool {
				code, body, err := get(client, base+p.prefix+"/status?json&full")
				if err != nil || code != 200 {
					t.Fatalf("%s: pool %s's status page through nginx: %d %v", when, p.name, code, err)
				}
				page := parseStatus(t, "nginx", body)
				out, errOut, rc := run(t, "status", "-pidfile", pidfile, "-pool", p.name, "-json", "-full")
				if rc != 0 {
					t.Fatalf("fpmshm status -pool %s: exit %d: %s", p.name, rc, errOut)
				}
				shm := parseStatus(t, "fpmshm status", out)
				seen[p.name] = page.pids()
				return page.Pool == p.name && shm.Pool == p.name && slices.Equal(page.pids(), shm.pids())
			})
			for i := range 6 {
				code, body, err := get(client, fmt.Sprintf("%s%s/index.php?n=%d", base, p.prefix, i))
				var pid int
				if i := strings.Index(body, "worker pid"); err == nil && i >= 0 {
					fmt.Sscanf(body[i:], "worker pid %d", &pid)
				}
				if err != nil || code != 200 || !slices.Contains(seen[p.name], pid) {
					t.Errorf("%s: %s/index.php through nginx: %d %v, worker %d not one of pool %s's %v", when, p.prefix, code, err, pid, p.name, seen[p.name])
				}
			}
		}
		if len(seen["www"]) != 2 || len(seen["api"]) != 3 {
			t.Errorf("%s: processes www %v, api %v; want 2 and 3", when, seen["www"], seen["api"])
		}
		for _, pid := range seen["www"] {
			if slices.Contains(seen["api"], pid) {
				t.Errorf("%s: pid %d is on both pools' status pages", when, pid)
			}
		}
		return seen
	}
	before := check("at start")

	if _, errOut, rc := run(t, "status", "-pidfile", pidfile); rc != 1 || !strings.Contains(errOut, "runs 2 pools (api, www): name one with -pool") {
		t.Errorf("fpmshm status without -pool: exit %d, %q", rc, errOut)
	}
	out, errOut, rc := run(t, "top", "-pidfile", pidfile, "-n", "1")
	if rc != 0 || !strings.Contains(out, "fpmshm top - pool api (pm static)") || !strings.Contains(out, "fpmshm top - pool www (pm static)") {
		t.Errorf("fpmshm top: exit %d, %s\n%s", rc, errOut, out)
	}
	out, errOut, rc = run(t, "top", "-pidfile", pidfile, "-pool", "api", "-n", "1")
	if rc != 0 || !strings.Contains(out, "fpmshm top - pool api") || strings.Contains(out, "pool www") || strings.Count(out, " Idle ") != 3 {
		t.Errorf("fpmshm top -pool api: exit %d, %s\n%s", rc, errOut, out)
	}

	pid, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	var master int
	fmt.Sscan(string(pid), &master)
	if err := syscall.Kill(master, syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	for _, p := range pools {
		testproc.WaitUntil(t, "pool "+p.name+"'s workers to be replaced", 10*time.Second, func() bool {
			_, body, err := get(client, base+p.prefix+"/status?json&full")
			if err != nil {
				return false
			}
			var page statusPage
			if json.Unmarshal([]byte(body), &page) != nil || len(page.Processes) != len(before[p.name]) {
				return false
			}
			for _, pid := range page.pids() {
				if pid == 0 || slices.Contains(before[p.name], pid) {
					return false
				}
			}
			return true
		})
	}
	check("after SIGUSR2")
}
