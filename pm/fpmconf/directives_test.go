package fpmconf

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fpmshm/fpmshm/pm"
)

// accepted returns a value d's directive accepts, and the Config it
// makes, set by the directive itself; ok is false if none of a few does.
func accepted(d pm.Directive, key string) (value string, c pm.Config, ok bool) {
	for _, v := range []string{d.Default, "/x", "3", "7s", "yes", "static", "8.2", "1M", "127.0.0.1"} {
		c = pm.Config{Pool: "www"}
		if v != "" && d.Set(&c, key, v) == nil {
			return v, c, true
		}
	}
	return "", c, false
}

// TestEveryDirectiveLoads: every directive of pm's table is read from its
// section of a file, and sets what the directive sets; in the other
// section, as fpmshm's own settings in any, it is an unknown directive
// (unless that section has a directive of the same name).
func TestEveryDirectiveLoads(t *testing.T) {
	for _, d := range pm.Directives() {
		key := strings.Replace(d.Name, "NAME", "t", 1)
		value, want, ok := accepted(d, key)
		if !ok {
			t.Errorf("%s: no sample value", d.Name)
			continue
		}
		line := key + " = " + value + "\n"
		for section, conf := range map[pm.Section]string{
			pm.GlobalSection: "[global]\n" + line + "[www]\n",
			pm.PoolSection:   "[www]\n" + line,
		} {
			c := pm.Config{Pool: "www"}
			err := LoadINI([]byte(conf), "t.conf", &c)
			if _, ok := pm.LookupDirective(section, key); ok && section != d.Section {
				continue // the other section's directive of the same name
			}
			switch {
			case section != d.Section && !errors.Is(err, ErrUnknownDirective):
				t.Errorf("%q: %v, want an unknown directive", conf, err)
			case section == d.Section && (err != nil || !reflect.DeepEqual(c, want)):
				t.Errorf("%q loads as %+v (%v), want %+v", conf, c, err, want)
			}
		}
	}
}
