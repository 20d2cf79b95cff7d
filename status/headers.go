package status

import "net/http"

// The cache headers php-fpm sends with the status page and ping.
const (
	expiresValue      = "Thu, 01 Jan 1970 00:00:00 GMT"
	cacheControlValue = "no-cache, no-store, must-revalidate, max-age=0"
)

// errorBody is php-fpm's reply when the scoreboard cannot be read.
const errorBody = "Internal error. Please review log file for errors."

// setHeaders sets php-fpm's headers for a reply of content type ct. With
// phpCase, the content type of the text types goes out as "Content-type",
// spelled as php-fpm's SAPI spells it when it appends the charset; the
// canonical key is kept present but empty so that neither net/http nor
// net/http/fcgi sniffs and adds one of its own.
func setHeaders(h http.Header, ct string, phpCase bool) {
	h.Set("Expires", expiresValue)
	h.Set("Cache-Control", cacheControlValue)
	if phpCase && ct != JSON.ContentType() && ct != OpenMetrics.ContentType() {
		h["Content-Type"] = nil
		h["Content-type"] = []string{ct}
		return
	}
	h.Set("Content-Type", ct)
}
