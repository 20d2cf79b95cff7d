package status

import (
	"bytes"
	"strings"

	"github.com/fpmshm/fpmshm/scoreboard"
)

func xmlEscape(s string) string { return markupText(s, true) }

var xmlStyle = style{str: xmlEscape, uri: xmlEscape, time: epochString}

// writeXML writes the XML page: one element per field, named after the
// field with '-' for ' ', start times as epoch seconds.
func writeXML(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	b.WriteString("<?xml version=\"1.0\" ?>\n<status>\n")
	for _, f := range poolFields(snap, o, xmlStyle) {
		writeXMLField(b, f)
		b.WriteByte('\n')
	}
	if !o.Full {
		b.WriteString("</status>")
		return
	}
	b.WriteString("<processes>\n")
	for _, p := range snap.Procs {
		b.WriteString("<process>")
		for _, f := range procFields(snap, p, xmlStyle) {
			writeXMLField(b, f)
		}
		b.WriteString("</process>\n")
	}
	b.WriteString("</processes>\n</status>")
}

func writeXMLField(b *bytes.Buffer, f field) {
	tag := strings.ReplaceAll(f.name, " ", "-")
	b.WriteByte('<')
	b.WriteString(tag)
	b.WriteByte('>')
	b.WriteString(f.value)
	b.WriteString("</")
	b.WriteString(tag)
	b.WriteByte('>')
}
