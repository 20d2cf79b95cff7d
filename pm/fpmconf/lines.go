package fpmconf

import (
	"bufio"
	"bytes"
	"strings"

	"gopkg.in/ini.v1"
)

// keyLines maps "section\x00key" to the line where the key is first set,
// for the error messages (the INI parser does not keep lines).
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	section := ini.DefaultSection
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			if end := strings.IndexByte(line, ']'); end > 0 {
				section = strings.TrimSpace(line[1:end])
			}
			continue
		}
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if eq := strings.IndexByte(line, '='); eq > 0 {
			id := section + "\x00" + strings.TrimSpace(line[:eq])
			if _, seen := lines[id]; !seen {
				lines[id] = n
			}
		}
	}
	return lines
}
