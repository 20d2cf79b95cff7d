package pm

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// parseAllowedClients parses listen.allowed_clients: IPv4 and IPv6
// addresses separated by commas, returned separated by "," alone. Unlike
// PHP-FPM, which drops an entry it cannot read (logging "Wrong IP
// address"), it trims the spaces around an entry and refuses one that is
// not an address: a list that lets no one in by mistake is an error.
// "any", as PHP-FPM's documentation calls the default, is every client.
func parseAllowedClients(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "any" {
		return "", nil
	}
	addrs, err := allowedClients(s)
	if err != nil {
		return "", err
	}
	text := make([]string, len(addrs))
	for i, a := range addrs {
		text[i] = a.String()
	}
	return strings.Join(text, ","), nil
}

// allowedClients reads the addresses of listen.allowed_clients, IPv4 ones
// in their 4-byte form.
func allowedClients(s string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	for _, entry := range strings.Split(s, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(entry))
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("wrong IP address %q in listen.allowed_clients: want IPv4 or IPv6 addresses separated by commas", entry)
		}
		addrs = append(addrs, a.Unmap())
	}
	return addrs, nil
}

// parseNotBool parses a yes/no directive into a field that holds its
// opposite, so that the field's zero value is the directive's yes.
func parseNotBool(s string) (bool, error) {
	b, err := parseBool(s)
	return !b, err
}

func formatNotBool(b bool) string { return formatBool(!b) }

// rlimitUnlimited is RLIM_INFINITY, rlimit_core's "unlimited".
const rlimitUnlimited = math.MaxUint64

// parseRlimitCore parses rlimit_core: a number of bytes or "unlimited".
func parseRlimitCore(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := rlimitValue(s); err != nil {
		return "", err
	}
	return s, nil
}

// rlimitValue is rlimit_core's limit; rlimitUnlimited for "unlimited".
func rlimitValue(s string) (uint64, error) {
	if s == "unlimited" {
		return rlimitUnlimited, nil
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("%q is not 'unlimited' or a number of bytes, 0 or more", s)
	}
	return n, nil
}

// parsePriority parses process.priority: a nice value from -19 to 20.
func parsePriority(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := priorityValue(s); err != nil {
		return "", err
	}
	return s, nil
}

// priorityValue is process.priority's nice value.
func priorityValue(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -19 || n > 20 {
		return 0, fmt.Errorf("%q is not a nice value from -19 (highest priority) to 20 (lowest)", s)
	}
	return n, nil
}
