package status

import "testing"

// TestParseQuery checks php-fpm's format choice: by key presence in $_GET,
// html before xml before json before openmetrics, whatever the order in
// the query string, with PHP's decoding and normalisation of keys.
func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want Query
	}{
		{"", Query{Format: Text}},
		{"full", Query{Format: Text, Full: true}},
		{"json", Query{Format: JSON}},
		{"json&full", Query{Format: JSON, Full: true}},
		{"full&json", Query{Format: JSON, Full: true}},
		{"json&html", Query{Format: HTML}},
		{"openmetrics&xml", Query{Format: XML}},
		{"openmetrics&json", Query{Format: JSON}},
		{"openmetrics", Query{Format: OpenMetrics}},
		{"xml=0", Query{Format: XML}}, // the value does not matter
		{"html=&full=no", Query{Format: HTML, Full: true}},
		{"HTML", Query{Format: Text}},         // keys are case-sensitive
		{"x=html", Query{Format: Text}},       // a value is not a key
		{"jsonp", Query{Format: Text}},        // nor is a longer key
		{"%68tml", Query{Format: HTML}},       // keys are URL-decoded
		{"+json", Query{Format: JSON}},        // '+' is a space, leading spaces dropped
		{"%20%20xml", Query{Format: XML}},     // likewise
		{"json[]=1", Query{Format: JSON}},     // an array named json
		{"json[a][b]=1", Query{Format: JSON}}, // nested
		{"json[", Query{Format: Text}},        // "json_"
		{"json%00junk", Query{Format: JSON}},  // PHP stops at NUL
		{"js.on", Query{Format: Text}},        // "js_on"
		{"&&json&", Query{Format: JSON}},      // empty parts are skipped
		{"json;full", Query{Format: Text}},    // only '&' separates
		{"=json", Query{Format: Text}},        // an empty name registers nothing
		{"[json]", Query{Format: Text}},       // nor does a name that is all index
		{"full[]&openmetrics", Query{Format: OpenMetrics, Full: true}},
		{"html&full&refresh=3", Query{Format: HTML, Full: true, Refresh: 3}},
		{"html&refresh", Query{Format: HTML, Refresh: DefaultRefresh}},
		{"html&refresh=0", Query{Format: HTML, Refresh: DefaultRefresh}},
		{"html&refresh=x", Query{Format: HTML, Refresh: DefaultRefresh}},
		{"html&refresh=99999", Query{Format: HTML, Refresh: maxRefresh}},
		{"json&refresh=3", Query{Format: JSON}}, // refresh is for the HTML page only
	}
	for _, tt := range tests {
		if got := ParseQuery(tt.raw); got != tt.want {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}

func TestFormatContentType(t *testing.T) {
	want := map[Format]string{
		Text:        "text/plain;charset=UTF-8",
		HTML:        "text/html;charset=UTF-8",
		XML:         "text/xml;charset=UTF-8",
		JSON:        "application/json",
		OpenMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
	}
	for f, ct := range want {
		if got := f.ContentType(); got != ct {
			t.Errorf("%v.ContentType() = %q, want %q", f, got, ct)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{"8.2": PHP82, "8.3": PHP82, "8.4": PHP84, "": PHP84} {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseVersion("7.4"); err == nil {
		t.Error("ParseVersion(7.4) gave no error")
	}
	if Version(0).String() != "8.4" || PHP82.String() != "8.2" {
		t.Errorf("String: %q %q", Version(0), PHP82)
	}
}
