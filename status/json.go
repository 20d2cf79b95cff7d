package status

import (
	"bytes"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// jsonStyle prints start times as epoch seconds and escapes the request URI
// as php-fpm does ("\/status?json&full"); other strings get only the escapes
// JSON requires, where php-fpm prints them raw.
var jsonStyle = style{str: jsonString, uri: phpJSONString, time: epochString}

// writeJSON writes the JSON page, with php-fpm's spacing: none, except the
// one before "processes".
func writeJSON(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	b.WriteByte('{')
	writeJSONFields(b, poolFields(snap, o, jsonStyle))
	if !o.Full {
		b.WriteByte('}')
		return
	}
	b.WriteString(`, "processes":[`)
	for i, p := range snap.Procs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		writeJSONFields(b, procFields(snap, p, jsonStyle))
		b.WriteByte('}')
	}
	b.WriteString("]}")
}

func writeJSONFields(b *bytes.Buffer, fs []field) {
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(f.name)
		b.WriteString(`":`)
		if f.str {
			b.WriteByte('"')
			b.WriteString(f.value)
			b.WriteByte('"')
		} else {
			b.WriteString(f.value)
		}
	}
}
