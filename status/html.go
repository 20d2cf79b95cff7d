package status

import (
	"bytes"

	"github.com/fpmshm/fpmshm/scoreboard"
)

func htmlEscape(s string) string { return markupText(s, false) }

func htmlStyle(o Options) style {
	return style{str: htmlEscape, uri: htmlEscape, time: strftime(o.Location)}
}

// htmlHead opens php-fpm's HTML page, up to its pool table.
const htmlHead = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
<head><title>PHP-FPM Status Page</title></head>
<body>
<table>
`

// writeHTML writes php-fpm's static HTML page: a table of the pool fields,
// and with Full a bordered table with a row per process.
func writeHTML(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	st := htmlStyle(o)
	b.WriteString(htmlHead)
	for _, f := range poolFields(snap, o, st) {
		b.WriteString("<tr><th>")
		b.WriteString(f.name)
		b.WriteString("</th><td>")
		b.WriteString(f.value)
		b.WriteString("</td></tr>\n")
	}
	b.WriteString("</table>\n")
	if !o.Full {
		b.WriteString("</body></html>")
		return
	}
	b.WriteString("<table border=\"1\">\n<tr>")
	for _, name := range procFieldNames() {
		b.WriteString("<th>")
		b.WriteString(name)
		b.WriteString("</th>")
	}
	b.WriteString("</tr>\n")
	for _, p := range snap.Procs {
		b.WriteString("<tr>")
		for _, f := range procFields(snap, p, st) {
			b.WriteString("<td>")
			b.WriteString(f.value)
			b.WriteString("</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table></body></html>")
}

// procFieldNames returns the names of the process fields, in order.
func procFieldNames() []string {
	fs := procFields(scoreboard.Snapshot{}, scoreboard.Proc{}, textStyle(Options{}))
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}
