package errorlog

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Facility is a syslog facility: what kind of program a message comes
// from (syslog.facility).
type Facility int

// The facilities php-fpm accepts in syslog.facility, with syslog(3)'s codes.
const (
	FacilityKern     Facility = 0
	FacilityUser     Facility = 1
	FacilityMail     Facility = 2
	FacilityDaemon   Facility = 3 // php-fpm's default
	FacilityAuth     Facility = 4
	FacilitySyslog   Facility = 5
	FacilityLPR      Facility = 6
	FacilityNews     Facility = 7
	FacilityUUCP     Facility = 8
	FacilityCron     Facility = 9
	FacilityAuthPriv Facility = 10
	FacilityFTP      Facility = 11
	FacilityLocal0   Facility = 16
	FacilityLocal1   Facility = 17
	FacilityLocal2   Facility = 18
	FacilityLocal3   Facility = 19
	FacilityLocal4   Facility = 20
	FacilityLocal5   Facility = 21
	FacilityLocal6   Facility = 22
	FacilityLocal7   Facility = 23
)

var facilityNames = map[Facility]string{
	FacilityKern: "kern", FacilityUser: "user", FacilityMail: "mail", FacilityDaemon: "daemon",
	FacilityAuth: "auth", FacilitySyslog: "syslog", FacilityLPR: "lpr", FacilityNews: "news",
	FacilityUUCP: "uucp", FacilityCron: "cron", FacilityAuthPriv: "authpriv", FacilityFTP: "ftp",
	FacilityLocal0: "local0", FacilityLocal1: "local1", FacilityLocal2: "local2", FacilityLocal3: "local3",
	FacilityLocal4: "local4", FacilityLocal5: "local5", FacilityLocal6: "local6", FacilityLocal7: "local7",
}

// ErrFacility is returned by ParseFacility for a name php-fpm does not
// accept.
var ErrFacility = errors.New("invalid value for 'syslog.facility'")

// ParseFacility reads syslog.facility: one of kern, user, mail, daemon,
// auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 ... local7, in
// any case, as php-fpm accepts them.
func ParseFacility(s string) (Facility, error) {
	for f, name := range facilityNames {
		if strings.EqualFold(s, name) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w: %q (want daemon, local0 ... local7, user, ...)", ErrFacility, s)
}

// String returns the facility's name, as syslog.facility spells it.
func (f Facility) String() string {
	if name, ok := facilityNames[f]; ok {
		return name
	}
	return fmt.Sprintf("Facility(%d)", int(f))
}

// severity returns syslog's severity for a record at level: debug 7,
// notice 5, warning 4, err 3, alert 1, as php-fpm's table maps them.
func severity(level slog.Level) int {
	switch LevelName(level) {
	case "DEBUG":
		return 7
	case "NOTICE":
		return 5
	case "WARNING":
		return 4
	case "ERROR":
		return 3
	default:
		return 1
	}
}
