package status

import (
	"bytes"

	"github.com/fpmshm/fpmshm/scoreboard"
)

// textSeparator opens each process record of the full text page.
const textSeparator = "\n************************\n"

// writeText writes the plain text page: "label:" padded so that every
// value starts at column 23.
func writeText(b *bytes.Buffer, snap scoreboard.Snapshot, o Options) {
	st := textStyle(o)
	writeTextFields(b, poolFields(snap, o, st))
	if !o.Full {
		return
	}
	for _, p := range snap.Procs {
		b.WriteString(textSeparator)
		writeTextFields(b, procFields(snap, p, st))
	}
}

func writeTextFields(b *bytes.Buffer, fs []field) {
	const width = 22
	for _, f := range fs {
		name := f.name
		if name == "request uri" {
			name = "request URI" // the text page alone spells it so
		}
		b.WriteString(name)
		b.WriteByte(':')
		for n := len(name) + 1; n < width; n++ {
			b.WriteByte(' ')
		}
		b.WriteString(f.value)
		b.WriteByte('\n')
	}
}
