package status

import (
	"bytes"
	"io"
	"strconv"
	"time"

	"github.com/fpmshm/fpmshm/scoreboard"
	"github.com/fpmshm/fpmshm/status/internal/series"
)

// Options says how Render prints a Snapshot.
type Options struct {
	Format  Format
	Full    bool    // one record per process; for OpenMetrics, the per-process series
	Version Version // the field set; zero means PHP84
	// Refresh, for HTML only, renders the live page refreshing itself every
	// Refresh seconds instead of php-fpm's static page.
	Refresh int
	// Location is the time zone of the text and HTML start times; nil means
	// each time's own (the scoreboard gives time.Local, as php-fpm uses
	// localtime).
	Location *time.Location
	// Caches are the figures of the pool's shared caches, which the
	// OpenMetrics page adds as fpmshm_cache_* series (see CacheSource);
	// the other formats leave them out.
	Caches []CacheStats
}

// Render writes snap as php-fpm's status page in opts.Format: the body
// only, without headers. "start since" and the request durations are
// relative to snap.Taken, so the same Snapshot always gives the same bytes.
// The page is written with one call to w.Write; Render returns its error.
func Render(w io.Writer, snap scoreboard.Snapshot, opts Options) error {
	var b bytes.Buffer
	switch opts.Format {
	case HTML:
		if opts.Refresh > 0 {
			writeLive(&b, snap, opts)
		} else {
			writeHTML(&b, snap, opts)
		}
	case XML:
		writeXML(&b, snap, opts)
	case JSON:
		writeJSON(&b, snap, opts)
	case OpenMetrics:
		writeOpenMetrics(&b, snap, opts)
	default:
		writeText(&b, snap, opts)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// field is one name and value of the page, the value formatted and
// escaped for the format at hand.
type field struct {
	name  string // php-fpm's name, spelled as in its JSON
	value string
	str   bool // a JSON string rather than a number
}

// style is how a format prints strings and times.
type style struct {
	str  func(string) string    // escapes a string value
	uri  func(string) string    // escapes the request URI
	time func(time.Time) string // formats a start time
}

func identity(s string) string { return s }

func textStyle(o Options) style {
	return style{str: identity, uri: identity, time: strftime(o.Location)}
}

// strftime formats as php-fpm's "%d/%b/%Y:%H:%M:%S %z".
func strftime(loc *time.Location) func(time.Time) string {
	return func(t time.Time) string {
		t = series.OrEpoch(t)
		if loc != nil {
			t = t.In(loc)
		}
		return t.Format("02/Jan/2006:15:04:05 -0700")
	}
}

// epochString formats as php-fpm's "%s": seconds since 1970.
func epochString(t time.Time) string { return strconv.FormatInt(series.OrEpoch(t).Unix(), 10) }

func u64(v uint64) string { return strconv.FormatUint(v, 10) }
func num(v int) string    { return strconv.Itoa(v) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func poolFields(snap scoreboard.Snapshot, o Options, st style) []field {
	p := snap.Pool
	fs := []field{
		{"pool", st.str(p.Name), true},
		{"process manager", st.str(p.PM.String()), true},
		{"start time", st.time(p.StartTime), false},
		{"start since", u64(series.Since(snap.Taken, p.StartTime)), false},
		{"accepted conn", u64(p.AcceptedConn), false},
		{"listen queue", u64(p.ListenQueue), false},
		{"max listen queue", u64(p.MaxListenQueue), false},
		{"listen queue len", u64(p.ListenQueueLen), false},
		{"idle processes", num(p.Idle), false},
		{"active processes", num(p.Active), false},
		{"total processes", num(p.Total()), false},
		{"max active processes", num(p.MaxActive), false},
		{"max children reached", u64(p.MaxChildrenReached), false},
		{"slow requests", u64(p.SlowRequests), false},
	}
	if o.Version.hasMemoryPeak() {
		fs = append(fs, field{"memory peak", u64(p.MemoryPeak), false})
	}
	return fs
}

func procFields(snap scoreboard.Snapshot, p scoreboard.Proc, st style) []field {
	return []field{
		{"pid", num(p.PID), false},
		{"state", st.str(p.Stage.String()), true},
		{"start time", st.time(p.StartTime), false},
		{"start since", u64(series.Since(snap.Taken, p.StartTime)), false},
		{"requests", u64(p.Requests), false},
		{"request duration", strconv.FormatInt(series.DurationMicros(p), 10), false},
		{"request method", st.str(orDash(p.Method)), true},
		{"request uri", st.uri(requestURI(p)), true},
		{"content length", strconv.FormatInt(max(p.ContentLength, 0), 10), false},
		{"user", st.str(orDash(p.User)), true},
		{"script", st.str(orDash(p.Script)), true},
		{"last request cpu", strconv.FormatFloat(series.LastCPU(p), 'f', 2, 64), false},
		{"last request memory", u64(series.LastMemory(p)), false},
	}
}

// requestURI is php-fpm's "request uri": the URI or "-", then "?query"
// when there is a query string.
func requestURI(p scoreboard.Proc) string {
	if p.Query == "" {
		return orDash(p.URI)
	}
	return orDash(p.URI) + "?" + p.Query
}
