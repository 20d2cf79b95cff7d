package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// daemon is a process started by a test in its own process group, killed
// with its group at cleanup. Its output goes to the test's standard error,
// unless the command already has somewhere for it.
type daemon struct {
	cmd    *exec.Cmd
	exited chan error
}

func startDaemon(t *testing.T, cmd *exec.Cmd) *daemon {
	t.Helper()
	d := &daemon{cmd: cmd, exited: make(chan error, 1)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cmd.Stdout == nil {
		cmd.Stdout = os.Stderr
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not exit after SIGKILL", cmd.Path)
		}
	})
	return d
}

// startServe runs "fpmshm serve" with args and waits until its pid file
// is written.
func startServe(t *testing.T, args ...string) (pidfile string, d *daemon) {
	t.Helper()
	pidfile = filepath.Join(t.TempDir(), "fpmshm.pid")
	cmd := testproc.Command(t, "fpmshm", append([]string{"serve", "-pid", pidfile}, args...)...)
	d = startDaemon(t, cmd)
	testproc.WaitUntil(t, "fpmshm serve to start", 10*time.Second, func() bool { return fileExists(pidfile) })
	return pidfile, d
}

// startNginx runs nginx on a loopback port passing every request to the
// FastCGI server at fcgiAddr, and returns its base URL.
func startNginx(t *testing.T, fcgiAddr string) string {
	t.Helper()
	return startNginxKeepAlive(t, fcgiAddr, 0)
}

// startNginxKeepAlive is startNginx keeping up to keepalive idle
// connections to the FastCGI server open between requests (an upstream
// keepalive pool with fastcgi_keep_conn on); 0 opens one per request.
func startNginxKeepAlive(t *testing.T, fcgiAddr string, keepalive int) string {
	t.Helper()
	upstream, keep := "", ""
	if keepalive > 0 {
		upstream = fmt.Sprintf("upstream fpmshm { server %s; keepalive %d; keepalive_requests 1000000; }", fcgiAddr, keepalive)
		fcgiAddr, keep = "fpmshm", "fastcgi_keep_conn on;"
	}
	return runNginx(t, upstream, fmt.Sprintf(`location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME /srv/www$fastcgi_script_name;
			fastcgi_pass %s;
			%s
		}`, fcgiAddr, keep))
}

// runNginx runs nginx on a loopback port with the http block's upstream
// text and the server's locations, and returns its base URL.
func runNginx(t *testing.T, upstream, locations string) string {
	t.Helper()
	bin := testproc.NeedBinary(t, "nginx")
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	fastcgi_temp_path %[1]s/fastcgi;
	proxy_temp_path %[1]s/proxy;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	%[3]s
	server {
		listen 127.0.0.1:%[2]d;
		%[4]s
	}
}
`, dir, port, upstream, locations)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log")))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	testproc.WaitUntil(t, "nginx to listen", 10*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return base
}

// get fetches url with client and returns the status and body.
func get(client *http.Client, url string) (int, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// run runs "fpmshm args..." and returns its standard output and exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := testproc.Command(t, "fpmshm", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// cgiFCGI asks the FastCGI server at addr for scriptName?query with
// cgi-fcgi, as one checks php-fpm's status page without a web server.
func cgiFCGI(t *testing.T, addr, scriptName, query string) (headers, body string) {
	t.Helper()
	bin := testproc.NeedBinary(t, "cgi-fcgi")
	cmd := exec.Command(bin, "-bind", "-connect", addr)
	cmd.Env = append(os.Environ(), "SCRIPT_NAME="+scriptName, "SCRIPT_FILENAME="+scriptName,
		"QUERY_STRING="+query, "REQUEST_METHOD=GET")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cgi-fcgi %s?%s: %v", scriptName, query, err)
	}
	h, b, ok := strings.Cut(string(out), "\r\n\r\n")
	if !ok {
		t.Fatalf("cgi-fcgi %s: no header end in %q", scriptName, out)
	}
	return h, b
}
