package accesslog_test

import (
	"fmt"
	"time"

	"github.com/fpmshm/fpmshm/pm/accesslog"
)

// A format is compiled once, then prints an entry per request, as php-fpm
// prints its access log line.
func ExampleFormat_Append() {
	f, err := accesslog.ParseFormat(`%R %m %r%Q%q %s %{mili}d ms`)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := &accesslog.Entry{RemoteAddr: "192.0.2.1", Method: "GET", URI: "/index.php", Query: "a=1",
		Status: 200, Duration: 1500 * time.Microsecond}
	fmt.Println(string(f.Append(nil, e)))

	_, err = accesslog.ParseFormat("%{seconds}m")
	fmt.Println(err)
	// Output:
	// 192.0.2.1 GET /index.php?a=1 200 1.500 ms
	// "%{seconds}m": embrace is not allowed for modifier %m
}
