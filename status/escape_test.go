package status

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// hostileQuery holds what broke php-fpm's JSON before bug #64539 was fixed
// (a '"'), the '&' of every query, the '<' '>' its XML escaping handles,
// a quote, a slash and a backslash.
const hostileQuery = `a=b"c&d=<e>'f/g\h`

func hostileSnapshot() scoreboard.Snapshot {
	snap := sampleSnapshot(1, scoreboard.Proc{
		PID: 7, Stage: scoreboard.Running, StartTime: sampleStart,
		Method: "GET", URI: "/index.php", Query: hostileQuery,
		Script: "/var/www/index.php", User: "alice",
	})
	return snap
}

func render(t *testing.T, snap scoreboard.Snapshot, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, snap, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestJSONQueryEscaping checks bug #64539: the request URI is escaped as
// php-fpm's json_encode escapes it, and the page stays valid JSON.
func TestJSONQueryEscaping(t *testing.T) {
	out := render(t, hostileSnapshot(), Options{Format: JSON, Full: true})
	want := `"request uri":"\/index.php?a=b\"c&d=<e>'f\/g\\h"`
	if !strings.Contains(out, want) {
		t.Errorf("JSON lacks %s:\n%s", want, out)
	}
	// The script stays raw, slashes and all, as php-fpm prints it.
	if !strings.Contains(out, `"script":"/var/www/index.php"`) {
		t.Errorf("script not printed raw:\n%s", out)
	}
	var v struct {
		Processes []struct {
			URI string `json:"request uri"`
		} `json:"processes"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	if len(v.Processes) != 1 || v.Processes[0].URI != "/index.php?"+hostileQuery {
		t.Errorf("request uri decodes to %+v", v.Processes)
	}
}

// TestMarkupQueryEscaping checks php-fpm's escaping of the query in XML and
// HTML: '&', '<' and '>' become entities, quotes stay as they are.
func TestMarkupQueryEscaping(t *testing.T) {
	const escaped = `/index.php?a=b"c&amp;d=&lt;e&gt;'f/g\h`
	for _, f := range []Format{XML, HTML} {
		out := render(t, hostileSnapshot(), Options{Format: f, Full: true})
		tag := "<request-uri>" + escaped + "</request-uri>"
		if f == HTML {
			tag = "<td>" + escaped + "</td>"
		}
		if !strings.Contains(out, tag) {
			t.Errorf("%v lacks %s:\n%s", f, tag, out)
		}
	}
	var v struct {
		Procs []struct {
			URI string `xml:"request-uri"`
		} `xml:"processes>process"`
	}
	if err := xml.Unmarshal([]byte(render(t, hostileSnapshot(), Options{Format: XML, Full: true})), &v); err != nil {
		t.Fatalf("invalid XML: %v", err)
	}
	if len(v.Procs) != 1 || v.Procs[0].URI != "/index.php?"+hostileQuery {
		t.Errorf("request-uri parses to %+v", v.Procs)
	}
}

// TestTextQueryRaw checks that the text page prints the query as it is.
func TestTextQueryRaw(t *testing.T) {
	out := render(t, hostileSnapshot(), Options{Format: Text, Full: true})
	if !strings.Contains(out, "request URI:          /index.php?"+hostileQuery+"\n") {
		t.Errorf("text page:\n%s", out)
	}
}

func TestPHPJSONString(t *testing.T) {
	tests := map[string]string{
		"/a?b":         `\/a?b`,
		"é😀":           `\u00e9\ud83d\ude00`,
		"a\xffb":       "ab", // bytes that are not UTF-8 are dropped
		"\t\n\x01\x7f": `\t\n\u0001` + "\x7f",
		`"\`:           `\"\\`,
		"<&>'":         "<&>'",
	}
	for in, want := range tests {
		if got := phpJSONString(in); got != want {
			t.Errorf("phpJSONString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONString(t *testing.T) {
	tests := map[string]string{
		"/var/www/é.php": "/var/www/é.php", // what php-fpm prints, unchanged
		`a"b\c`:          `a\"b\\c`,
		"a\nb\x00":       `a\nb\u0000`,
		"a\xffb":         "a\uFFFDb",
	}
	for in, want := range tests {
		if got := jsonString(in); got != want {
			t.Errorf("jsonString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkupText(t *testing.T) {
	if got := markupText("a&b<c>d\"e'f\x01", false); got != "a&amp;b&lt;c&gt;d\"e'f\x01" {
		t.Errorf("HTML: %q", got)
	}
	if got := markupText("a\x01b\tc\xff", true); got != "a\uFFFDb\tc\uFFFD" {
		t.Errorf("XML: %q", got)
	}
	if got := markupText("/plain/path é", true); got != "/plain/path é" {
		t.Errorf("XML plain: %q", got)
	}
}

// TestStringFieldsStayValid checks that every string field, not only the
// query, comes out valid in JSON and XML even when php-fpm's would not.
func TestStringFieldsStayValid(t *testing.T) {
	snap := sampleSnapshot(1, scoreboard.Proc{
		PID: 9, Stage: scoreboard.Idle, Method: `GE"T`, URI: "/a&b<c>",
		User: `dom\user`, Script: "/srv/<x>&\"y\".php",
	})
	snap.Pool.Name = `p"o<o>l&`
	out := render(t, snap, Options{Format: JSON, Full: true})
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	p := v["processes"].([]any)[0].(map[string]any)
	if v["pool"] != snap.Pool.Name || p["user"] != `dom\user` || p["script"] != snap.Procs[0].Script || p["request method"] != `GE"T` {
		t.Errorf("JSON decodes to %v", v)
	}
	var x struct {
		Pool  string `xml:"pool"`
		Procs []struct {
			Script string `xml:"script"`
			URI    string `xml:"request-uri"`
		} `xml:"processes>process"`
	}
	if err := xml.Unmarshal([]byte(render(t, snap, Options{Format: XML, Full: true})), &x); err != nil {
		t.Fatalf("invalid XML: %v", err)
	}
	if x.Pool != snap.Pool.Name || x.Procs[0].Script != snap.Procs[0].Script || x.Procs[0].URI != "/a&b<c>" {
		t.Errorf("XML parses to %+v", x)
	}
}
