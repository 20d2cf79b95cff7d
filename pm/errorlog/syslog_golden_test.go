package errorlog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/fpmshm/fpmshm/internal/testproc"
)

// syslogRE splits a datagram as glibc's syslog(3) sends it.
var syslogRE = regexp.MustCompile(`^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) ([^\[]+)\[(\d+)\]: (?:\[([A-Z]+)\] )?(.*)$`)

// TestGoldenSyslog logs, through a syslog Handler, the messages php-fpm
// sent to syslog and compares the datagrams with php-fpm's: byte for byte
// but for two differences this package makes on purpose. Each message goes
// at its own severity (php-fpm sends all at log_level's: <157> for a
// local3 warning where this package sends <156>), and each line of a
// message that spans lines carries the "[LEVEL] [pool NAME] " prefix
// (php-fpm sends the second line bare).
func TestGoldenSyslog(t *testing.T) {
	for _, file := range []string{"syslog-local3.txt", "syslog-default.txt"} {
		t.Run(file, func(t *testing.T) {
			type message struct {
				fields []string
				lines  []string
			}
			var msgs []*message
			for _, l := range readGolden(t, file) {
				var d string
				if err := json.Unmarshal([]byte(l), &d); err != nil {
					t.Fatal(err)
				}
				m := syslogRE.FindStringSubmatch(d)
				if m == nil {
					t.Fatalf("not a syslog datagram: %q", d)
				}
				if m[5] == "" { // the next line of the message before
					last := msgs[len(msgs)-1]
					last.lines = append(last.lines, m[6])
					continue
				}
				msgs = append(msgs, &message{fields: m, lines: []string{m[6]}})
			}
			path, conn := testproc.ListenDatagrams(t, "")
			for _, msg := range msgs {
				m := msg.fields
				pri, _ := strconv.Atoi(m[1])
				facility := Facility(pri >> 3)
				s := NewSyslog(path, m[3], facility)
				s.pid, _ = strconv.Atoi(m[4])
				h := NewSyslogHandler(s, nil)
				tm, err := time.Parse(time.Stamp, m[2])
				if err != nil {
					t.Fatal(err)
				}
				text, pool := msg.lines[0], ""
				if p := regexp.MustCompile(`^\[pool ([^\]]+)\] `).FindStringSubmatch(text); p != nil {
					text, pool = text[len(p[0]):], p[1]
				}
				for _, next := range msg.lines[1:] {
					text += "\n" + next
				}
				r := slog.NewRecord(tm, levels[m[5]], text, 0)
				if pool != "" {
					r.AddAttrs(slog.String("pool", pool))
				}
				if err := h.Handle(context.Background(), r); err != nil {
					t.Fatal(err)
				}
				s.Close()
				sev := map[string]int{"DEBUG": 7, "NOTICE": 5, "WARNING": 4, "ERROR": 3, "ALERT": 1}[m[5]]
				header := fmt.Sprintf("<%d>%s %s[%s]: ", int(facility)<<3|sev, m[2], m[3], m[4])
				for i, line := range msg.lines {
					if i > 0 && pool != "" {
						line = "[pool " + pool + "] " + line
					}
					want := header + "[" + m[5] + "] " + line
					if got := testproc.ReceiveDatagram(t, conn); got != want {
						t.Errorf("\n got %q\nwant %q", got, want)
					}
				}
			}
		})
	}
}
