// Package status renders a pool's scoreboard as php-fpm's status page and
// answers its ping, so that the exporters, monitoring checks and dashboards
// that read php-fpm read fpmshm the same way; it adds per-process
// OpenMetrics series and a live HTML page. The same values as a
// prometheus.Collector are in status/promcollector, the only package that
// links client_golang.
//
// Handler serves the page from a Source and picks the format from the query
// string as php-fpm does (ParseQuery); PingHandler answers ping; Render
// writes the same bytes without HTTP. Version selects php-fpm 8.2's fields or 8.4's,
// which add the pool's memory peak. The package knows nothing of processes
// or shared memory: a Source gives it a scoreboard.Snapshot.
//
// # Differences from php-fpm
//
// The bodies are php-fpm's byte for byte, for every format, short and full,
// except where php-fpm's own output is broken, and except for the additions
// asked for by name. The differences that remain:
//
//   - Headers go out in Go's order (sorted by name), and with Go's
//     spelling "Content-Type" where php-fpm writes "Content-type" (text,
//     HTML, XML, 500 and ping replies). Names are case-insensitive in HTTP
//     and CGI; Handler.PHPHeaderCase restores php-fpm's spelling over
//     HTTP/1 and FastCGI (HTTP/2 lower-cases every name anyway).
//   - net/http adds Date and Content-Length (or chunking); net/http/fcgi
//     adds Date and a "Status: 200 OK" line, which php-fpm leaves out for
//     200 (a CGI client takes a missing Status as 200).
//   - HEAD gets the Content-Type GET would get; php-fpm returns before it
//     picks the format, so its HEAD replies say text/html whatever the
//     format. A 500 reply to HEAD has no body here.
//   - php-fpm escapes only the query string, and prints the pool name,
//     method, URI path, user and script raw (php-src GH-11464), which can
//     make its JSON and XML invalid. Here the JSON request URI is escaped
//     whole as php-fpm 8.2 escapes it ("\/status?json&full"); other JSON
//     strings get only the escapes JSON requires, so they are unchanged
//     whenever php-fpm's were valid; in HTML and XML '&', '<' and '>' are
//     escaped in every string, not only in the query.
//   - In the HTML and XML query, php-fpm's htmlentities turns characters
//     with an HTML 4.01 name into named entities (&eacute;) that XML
//     parsers reject, and prints an empty query when it is not valid UTF-8;
//     here UTF-8 characters stay as they are, and bytes that are not UTF-8
//     (and, in XML, the control characters XML forbids) become U+FFFD.
//   - A negative request duration, start since or content length (a clock
//     stepping back, a torn slot) prints as 0, where php-fpm prints the
//     unsigned wrap-around; a CPU value that is not a number prints 0.00.
//   - "openmetrics&full" adds per-process series (php-src GH-9494) before
//     "# EOF"; php-fpm ignores full there. Plain "openmetrics" is php-fpm's.
//   - A pool with shared caches (a Source that is a CacheSource) adds the
//     fpmshm_cache_* series, per cache, to both OpenMetrics pages, before
//     "# EOF": size, entries, stored, used and free bytes, hits, misses,
//     sets, evictions and expirations.
//   - "html&refresh=N" serves the live page; without refresh, php-fpm's.
//   - Times are printed in the Snapshot's time zone or Options.Location;
//     php-fpm uses its process's local zone (the scoreboard gives
//     time.Local, which is the same unless told otherwise).
//   - PHP registers at most max_input_vars (1000) query variables, so
//     php-fpm ignores a format key after the thousandth; ParseQuery reads
//     them all.
//   - Handler answers on whatever path it is mounted; php-fpm compares
//     SCRIPT_NAME with pm.status_path itself.
//   - The 8.4 field set has no recorded reply behind it here: its
//     OpenMetrics text matches a published php-fpm 8.4.7 page, while the
//     place of "memory peak" in the other formats (last pool field, named
//     and padded like the others) follows php-src's pattern unverified.
package status
