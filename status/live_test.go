package status

import (
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// liveSource is a pool whose accepted count grows with every snapshot, so
// that a refreshed page shows a larger number than the first.
type liveSource struct{ calls atomic.Uint64 }

func (s *liveSource) Snapshot(full bool) (scoreboard.Snapshot, error) {
	n := s.calls.Add(1)
	snap := sampleSnapshot(n,
		scoreboard.Proc{PID: 101, Stage: scoreboard.Idle, Requests: 5, StartTime: sampleStart, Duration: 900 * time.Microsecond, Method: "GET", URI: "/a.php"},
		scoreboard.Proc{PID: 102, Stage: scoreboard.Running, Requests: 9, StartTime: sampleStart, Duration: 2 * time.Second, Method: "POST", URI: "/b.php", Query: "x=1&y=<2>"},
		scoreboard.Proc{PID: 103, Stage: scoreboard.ReadingHead, Requests: 1, StartTime: sampleStart, Duration: time.Millisecond},
		scoreboard.Proc{PID: 104, Stage: scoreboard.Finishing, Requests: 7, StartTime: sampleStart, Duration: 3 * time.Millisecond, Method: "GET", URI: "/c.php"},
	)
	if !full {
		snap.Procs = nil
	}
	return snap, nil
}

// TestLivePageStatic checks the live page's markup without a browser: it
// loads nothing from elsewhere, and without refresh the page is php-fpm's.
func TestLivePageStatic(t *testing.T) {
	src := &liveSource{}
	snap, _ := src.Snapshot(true)
	page := render(t, snap, Options{Format: HTML, Full: true, Refresh: 2})
	for _, bad := range []string{" src=", " href=", "url(", "@import", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("live page holds %q: it must load nothing", bad)
		}
	}
	for _, want := range []string{
		`<noscript><meta http-equiv="refresh" content="2"></noscript>`,
		`<body data-refresh="2">`,
		`<td class="state state-running">Running</td>`,
		`<td class="state state-reading-headers">Reading headers</td>`,
		`<td>/b.php?x=1&amp;y=&lt;2&gt;</td>`,
		`<th scope="col" data-key="requests" data-type="num" aria-sort="none">requests</th>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("live page lacks %s", want)
		}
	}
	if php := render(t, snap, Options{Format: HTML, Full: true}); strings.Contains(php, "<script") {
		t.Error("php-fpm's page got a script")
	}
}

// TestLivePageChromium loads the live page in headless Chromium from a
// test server, sorted by requests (descending) through the URL, lets it
// refresh, reads the rendered table, and takes a screenshot.
func TestLivePageChromium(t *testing.T) {
	browser := findChromium(t)
	src := &liveSource{}
	var hits atomic.Int64
	h := &Handler{Source: src}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/status" {
			hits.Add(1)
			h.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	url := srv.URL + "/status?html&full&refresh=1"

	dom := runChromium(t, browser, "--virtual-time-budget=4000", "--dump-dom", url+"#sort=requests:desc")
	if got := hits.Load(); got < 2 {
		t.Errorf("the page was fetched %d times; the refresh never ran", got)
	}
	if m := regexp.MustCompile(`id="live"[^>]*data-updates="(\d+)"`).FindStringSubmatch(dom); m == nil || m[1] == "0" {
		t.Errorf("no refresh recorded in the page (%v)", m)
	}
	if acc := poolValue(dom, "accepted conn"); acc == "" || acc == "1" {
		t.Errorf("accepted conn = %q after refreshing, want the refreshed count", acc)
	}
	rows := procRows(dom)
	var pids []string
	for _, r := range rows {
		pids = append(pids, r[0])
	}
	if got, want := strings.Join(pids, ","), "102,104,101,103"; got != want {
		t.Errorf("rows by requests descending: pids %s, want %s\n%s", got, want, dom)
	}
	if !regexp.MustCompile(`data-key="requests"[^>]*aria-sort="descending"`).MatchString(dom) {
		t.Error("the requests header is not marked as sorted descending")
	}
	states := map[string]string{"101": "state-idle", "102": "state-running", "103": "state-reading-headers", "104": "state-finishing"}
	for _, r := range rows {
		if !strings.Contains(r[len(r)-1], states[r[0]]) {
			t.Errorf("pid %s: row class %q, want %s", r[0], r[len(r)-1], states[r[0]])
		}
	}

	shot := filepath.Join(t.TempDir(), "live.png")
	runChromium(t, browser, "--window-size=1200,800", "--virtual-time-budget=1500", "--screenshot="+shot, url)
	checkScreenshot(t, shot)
}

// findChromium returns the browser, or skips the test when there is none;
// under CI (CI set) a missing browser fails the test instead.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: the live page must be tested in a browser under CI (install Debian's chromium package)")
	}
	t.Skip("chromium not found; install Debian's chromium package to test the live page (with CI set, this fails)")
	return ""
}

func runChromium(t *testing.T, browser string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, lastLines(stderr.String(), 20))
	}
	return string(out)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

var (
	cellRE  = regexp.MustCompile(`<t[dh][^>]*>(.*?)</t[dh]>`)
	procsRE = regexp.MustCompile(`(?s)<table id="procs">.*?<tbody>(.*?)</tbody>`)
	rowRE   = regexp.MustCompile(`(?s)<tr([^>]*)>(.*?)</tr>`)
)

// poolValue returns the value of a row of the rendered pool table.
func poolValue(dom, name string) string {
	m := regexp.MustCompile(`<th scope="row">` + regexp.QuoteMeta(name) + `</th><td>([^<]*)</td>`).FindStringSubmatch(dom)
	if m == nil {
		return ""
	}
	return m[1]
}

// procRows returns the cells of each rendered process row, then the row's
// attributes.
func procRows(dom string) [][]string {
	m := procsRE.FindStringSubmatch(dom)
	if m == nil {
		return nil
	}
	var rows [][]string
	for _, r := range rowRE.FindAllStringSubmatch(m[1], -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(r[2], -1) {
			cells = append(cells, c[1])
		}
		rows = append(rows, append(cells, r[1]))
	}
	return rows
}

// checkScreenshot checks that the screenshot is a 1200x800 PNG showing the
// running state's colour (#1f6feb), that is, the styled table.
func checkScreenshot(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 800 {
		t.Errorf("screenshot is %v, want 1200x800", b)
	}
	near := func(a uint32, b uint8) bool { d := int(a>>8) - int(b); return d >= -3 && d <= 3 }
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, 0x1f) && near(g, 0x6f) && near(bl, 0xeb) {
				t.Logf("screenshot %s shows the running colour at %d,%d", file, x, y)
				return
			}
		}
	}
	t.Errorf("screenshot %s never shows the running state's colour", file)
}
