package pm

import (
	"maps"
	"slices"
	"strings"
)

// ConfigLines returns c's effective configuration as php-fpm -tt prints
// it, a line each: "[global]", then "\tNAME = VALUE" for each directive of
// that section, a line of one space, then the pool's section, "[www]", the
// same way (with fpmshm's own settings, such as http, there too), and a
// last line of one space. A value that is not set reads "undefined", as in
// php-fpm; env[NAME] and cache.NAME have a line each. The directives
// fpmshm ignores are left out. c is read with its defaults set, and not
// changed.
func ConfigLines(c *Config) []string {
	d := *c
	d.SetDefaults()
	lines := append([]string{"[global]"}, d.directiveLines(GlobalSection)...)
	lines = append(append(lines, " ", "["+d.Pool+"]"), d.directiveLines(PoolSection, NoSection)...)
	return append(lines, " ")
}

// directiveLines returns "\tNAME = VALUE" for each directive of sections,
// in the table's order.
func (c *Config) directiveLines(sections ...Section) []string {
	var lines []string
	line := func(name, value string) {
		if value == "" {
			value = "undefined"
		}
		lines = append(lines, "\t"+name+" = "+value)
	}
	for i := range directives {
		d := &directives[i]
		if d.value == nil || d.Name == "pool" || !slices.Contains(sections, d.Section) {
			continue
		}
		switch d.value.(type) {
		case envValue:
			for _, name := range slices.Sorted(maps.Keys(c.Env)) {
				line(strings.Replace(d.Name, "NAME", name, 1), c.Env[name])
			}
		case cachesValue:
			for _, name := range slices.Sorted(maps.Keys(c.Caches)) {
				line(strings.Replace(d.Name, "NAME", name, 1), c.Caches[name].String())
			}
		default:
			line(d.Name, d.value.format(c))
		}
	}
	return lines
}
