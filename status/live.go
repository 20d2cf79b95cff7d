package status

import (
	"bytes"
	_ "embed"
	"strconv"
	"strings"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// The live page's style and script, inlined into it: it loads nothing else.
var (
	//go:embed live.css
	liveCSS string
	//go:embed live.js
	liveJS string
)

// numericFields are the process columns the live page sorts as numbers.
var numericFields = map[string]bool{
	"pid": true, "start time": true, "start since": true, "requests": true,
	"request duration": true, "content length": true,
	"last request cpu": true, "last request memory": true,
}

// writeLive writes the live HTML page: php-fpm's tables, with the process
// states coloured, the process columns sortable (click a header; the order
// is kept in the URL's "#sort=field:asc|desc"), and the tables refreshed
// in place every o.Refresh seconds by fetching the page again. Without
// JavaScript the page reloads itself instead.
func writeLive(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	st := htmlStyle(o)
	period := strconv.Itoa(o.Refresh)
	name := htmlEscape(snap.Pool.Name)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<title>PHP-FPM Status Page - pool " + name + "</title>\n")
	b.WriteString("<noscript><meta http-equiv=\"refresh\" content=\"" + period + "\"></noscript>\n")
	b.WriteString("<style>\n" + liveCSS + "</style>\n</head>\n")
	b.WriteString("<body data-refresh=\"" + period + "\">\n")
	b.WriteString("<header><h1>PHP-FPM pool <span id=\"pool-name\">" + name + "</span></h1>\n")
	b.WriteString("<p id=\"live\" data-updates=\"0\">every " + period + " s</p></header>\n")

	b.WriteString("<table id=\"pool\">\n<tbody>\n")
	for _, f := range poolFields(snap, o, st) {
		b.WriteString("<tr><th scope=\"row\">" + f.name + "</th><td>" + f.value + "</td></tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	if o.Full {
		writeLiveProcs(b, snap, st)
	}
	b.WriteString("<script>\n" + liveJS + "</script>\n</body>\n</html>\n")
}

func writeLiveProcs(b *bytes.Buffer, snap scoreboard.Snapshot, st style) {
	b.WriteString("<div class=\"scroll\">\n<table id=\"procs\">\n<thead><tr>")
	for _, name := range procFieldNames() {
		typ := "text"
		if numericFields[name] {
			typ = "num"
		}
		b.WriteString("<th scope=\"col\" data-key=\"" + name + "\" data-type=\"" + typ + "\" aria-sort=\"none\">" + name + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, p := range snap.Procs {
		state := stateClass(p.Stage)
		b.WriteString("<tr class=\"" + state + "\">")
		for _, f := range procFields(snap, p, st) {
			switch f.name {
			case "state":
				b.WriteString("<td class=\"state " + state + "\">" + f.value + "</td>")
			case "start time":
				b.WriteString("<td data-value=\"" + epochString(p.StartTime) + "\">" + f.value + "</td>")
			default:
				b.WriteString("<td>" + f.value + "</td>")
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n</div>\n")
}

// stateClass names the CSS class of a stage: "state-running",
// "state-reading-headers", ...; "state-invalid" for an unknown stage.
func stateClass(s scoreboard.Stage) string {
	if !s.Valid() {
		return "state-invalid"
	}
	return "state-" + strings.ReplaceAll(strings.ToLower(s.String()), " ", "-")
}
