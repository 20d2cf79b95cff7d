#!/bin/sh
# capture.sh regenerates the php-fpm 8.2 logs that pm/errorlog's golden tests
# compare against, from a real php-fpm: its error log at log_level notice and
# debug, its workers' output (decorated and not), what it sends to syslog, and
# its configuration errors. Needs Debian's php8.2-fpm, php8.2-cli and
# libfcgi-bin (cgi-fcgi); run as root. The syslog part binds /dev/log for a
# few seconds, so it refuses to run where a syslog daemon owns /dev/log.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/errorlog-capture.XXXXXX)
chmod 755 "$dir"
master=
cleanup() {
	[ -n "$master" ] && kill -TERM "$master" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

# conf LOG_LEVEL DECORATE ERROR_LOG [GLOBAL_LINES] writes the configuration.
conf() {
	cat >"$dir/php-fpm.conf" <<CONF
[global]
pid = $dir/fpm.pid
error_log = $3
log_level = $1
$(printf "%b" "${4:-}")
[www]
user = nobody
group = nogroup
listen = $dir/www.sock
pm = static
pm.max_children = 1
request_terminate_timeout = 2s
request_slowlog_timeout = 1s
slowlog = $dir/slow.log
catch_workers_output = yes
decorate_workers_output = $2
CONF
}

start() {
	rm -f "$dir/fpm.pid" "$dir/www.sock"
	setsid php-fpm8.2 -F -R -y "$dir/php-fpm.conf" </dev/null >/dev/null 2>>"$dir/stderr" &
	for _ in $(seq 50); do [ -S "$dir/www.sock" ] && [ -s "$dir/fpm.pid" ] && break; sleep 0.1; done
	master=$(cat "$dir/fpm.pid")
	sleep 0.3
}

# stop SIGNAL stops the master and waits for it to go.
stop() {
	kill "-$1" "$master"
	while kill -0 "$master" 2>/dev/null; do sleep 0.1; done
	master=
}

child() { pgrep -P "$master" | head -1; }

# req SCRIPT QUERY makes one FastCGI request.
req() {
	SCRIPT_FILENAME="$dir/$1" SCRIPT_NAME="/$1" REQUEST_URI="/$1" REQUEST_METHOD=GET QUERY_STRING="$2" \
		timeout 10 cgi-fcgi -bind -connect "$dir/www.sock" >/dev/null 2>&1 || true
}

cat >"$dir/sleep.php" <<'PHP'
<?php sleep((int)($_GET['s'] ?? 1));
PHP
cat >"$dir/workers.php" <<'PHP'
<?php
$requests = json_decode(file_get_contents(__DIR__ . '/chunks.json'), true);
$out = ['stdout' => fopen('php://stdout', 'w'), 'stderr' => fopen('php://stderr', 'w')];
foreach ($requests[(int)$_GET['n']] as [$stream, $data]) {
	if ($stream === 'kill') {
		posix_kill(getmypid(), 9);
	}
	fwrite($out[$stream], base64_decode($data));
	usleep(20000);
}
PHP
# chunks.php PID MASTER LEVEL DECORATE prints the writes workers.php makes:
# requests of [stream, base64 bytes]; the line lengths around the wrapping
# point are worked out from the prefix php-fpm puts before this child's lines.
cat >"$dir/chunks.php" <<'PHP'
<?php
[, $pid, $master, $level, $decorate] = $argv;
$prefix = '';
if ($decorate === 'yes') {
	$prefix = '[02-Dec-2026 00:00:00' . ($level === 'debug' ? '.000000' : '') . '] WARNING: '
		. ($level === 'debug' ? "pid $master, (null)(), line 0: " : '')
		. "[pool www] child $pid said into stderr: \"";
}
$room = $decorate === 'yes' ? 1024 - 2 - strlen($prefix) : 1023;
$e = fn($s) => ['stderr', base64_encode($s)];
$o = fn($s) => ['stdout', base64_encode($s)];
echo json_encode([[
	$e("short line\n"),
	$e("partial "), $e("then rest\n"),
	$e("A\n\nB\n"), $e("\n"), $e("\r\n"),
	$e("tab\there nul[\0]x ctrl\x01 utf8 \xc3\xa9 quote \" end\n"),
	$e(str_repeat('a', 3000) . "\n"),
	$e(str_repeat('b', $room - 1) . "\n"),
	$e(str_repeat('c', $room) . "\n"),
	$e(str_repeat('d', $room + 1) . "\n"),
	$e(str_repeat('e', $room - 5)), $e(str_repeat('f', 10) . "\n"),
	$e(str_repeat('g', 2 * $room + 7) . "\n"),
	$o("to stdout\n"), $o("stdout partial"), $e("stderr partial"), $o(" more\n"),
	$e("left partial"),
], [
	$e("dying partial"), ['kill', ''],
]]), "\n";
PHP

# workers LEVEL DECORATE NAME: a child's output, replayed by the golden test.
workers() {
	conf "$1" "$2" "$dir/error.log"
	: >"$dir/error.log"
	start
	php "$dir/chunks.php" "$(child)" "$master" "$1" "$2" >"$dir/chunks.json"
	req workers.php n=0
	req workers.php n=1
	sleep 0.5
	stop TERM
	cp "$dir/chunks.json" "$out/$3.json"
	cp "$dir/error.log" "$out/$3.log"
}

# signals LEVEL NAME: slow and timed-out requests, a killed child, SIGUSR1,
# SIGUSR2, SIGQUIT.
signals() {
	conf "$1" yes "$dir/error.log"
	: >"$dir/error.log"
	start
	req sleep.php s=3
	kill -KILL "$(child)"
	sleep 0.5
	kill -USR1 "$master"
	sleep 0.5
	kill -USR2 "$master"
	sleep 1.5
	stop QUIT
	cp "$dir/error.log" "$out/$2.log"
}

# syslog NAME GLOBAL_LINES: what php-fpm sends to /dev/log, one JSON string
# per datagram.
syslog() {
	conf notice yes syslog "$2"
	php -r '
		$s = stream_socket_server("udg:///dev/log", $no, $str, STREAM_SERVER_BIND) or exit(1);
		chmod("/dev/log", 0666);
		$f = fopen($argv[1], "w");
		$end = microtime(true) + (float)$argv[2];
		while (microtime(true) < $end) {
			$r = [$s]; $w = $x = null;
			if (stream_select($r, $w, $x, 0, 100000)) {
				fwrite($f, json_encode(stream_socket_recvfrom($s, 65536), JSON_UNESCAPED_SLASHES) . "\n");
			}
		}
		unlink("/dev/log");' "$dir/syslog.txt" 8 &
	listener=$!
	sleep 0.5
	start
	req sleep.php "$(printf 's=3\nsecond line')"
	kill -USR1 "$master"
	sleep 0.3
	stop TERM
	wait "$listener"
	cp "$dir/syslog.txt" "$out/$1.txt"
}

# config NAME GLOBAL_LINES POOL_NAME POOL_LINES: php-fpm -t's messages.
config() {
	printf '[global]\n%b\n[%s]\nlisten = %s/x.sock\n%b\n' "$2" "$3" "$dir" "$4" >"$dir/t.conf"
	(cd "$dir" && php-fpm8.2 -t -R -y t.conf 2>&1 | grep -v '^$' | sed "s#$dir#DIR#g") >"$out/$1.log" || true
}

if [ -e /dev/log ]; then
	echo "capture.sh: /dev/log exists (a syslog daemon runs here); not capturing syslog" >&2
	exit 1
fi
signals notice signals-notice
signals debug signals-debug
workers notice yes workers-notice
workers debug yes workers-debug
workers notice no workers-undecorated
syslog syslog-local3 'syslog.facility = local3\nsyslog.ident = fpm-golden'
syslog syslog-default ''
p=$(printf '%01100d' 0 | tr 0 p)
pp=$(printf '%03000d' 0 | tr 0 p)
config config-errors '' www 'pm = static\npm.max_children = 0'
config config-unknown 'foo = 1' www 'pm = static\npm.max_children = 1'
config long-1100-limit-1024 '' "$p" 'pm = static\npm.max_children = 0'
config long-3000-limit-1024 '' "$pp" 'pm = static\npm.max_children = 0'
config long-3000-limit-4096 'log_limit = 4096' "$pp" 'pm = static\npm.max_children = 0'
config long-1100-limit-600 'log_limit = 600' "$p" 'pm = static\npm.max_children = 0'
