// Package fpmconf reads php-fpm.conf files into a pm.Config (LoadFile, one
// pool) or one for each pool (LoadPoolsFile, for pm.RunPools): the INI
// syntax PHP-FPM reads, an optional [global] section and pool sections,
// include = PATTERN, and "$pool" in values. Which directives exist, where
// each is set and how its value reads are pm's table (pm.Directives);
// this package finds them in the files and reports, with its file and
// line, each one that is unknown or wrong (DirectiveError).
//
// Files:
//   - load.go: LoadFile, LoadINI and LoadPoolsFile, the sections and include.
//   - errors.go: DirectiveError and ErrUnknownDirective.
//   - lines.go: the line of each directive, for the errors.
//
// It is the only package of fpmshm that imports gopkg.in/ini.v1.
package fpmconf
