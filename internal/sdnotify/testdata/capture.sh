#!/bin/sh
# capture.sh regenerates php-fpm-8.2.txt, the datagrams a real php-fpm 8.2
# sends to $NOTIFY_SOCKET (one JSON string a line), which sdnotify's tests
# compare against: started with systemd_interval = 1 and three requests,
# then with WATCHDOG_USEC=4000000 (a WatchdogSec= of 4 s). Needs Debian's
# php8.2-fpm, php8.2-cli and libfcgi-bin (cgi-fcgi); run as root.
set -eu
out=$(cd "$(dirname "$0")" && pwd)/php-fpm-8.2.txt
dir=$(mktemp -d /tmp/sdnotify-capture.XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
cat >"$dir/php-fpm.conf" <<CONF
[global]
pid = $dir/fpm.pid
error_log = $dir/error.log
systemd_interval = 1
[www]
user = nobody
group = nogroup
listen = $dir/www.sock
pm = static
pm.max_children = 2
CONF
echo '<?php echo "ok";' >"$dir/ok.php"
: >"$out"
# run SECONDS [ENV...]: php-fpm under a notification socket for SECONDS.
run() {
	secs=$1
	shift
	php -r '
		$s = stream_socket_server("udg://" . $argv[1], $no, $str, STREAM_SERVER_BIND) or exit(1);
		$f = fopen($argv[2], "a");
		$end = microtime(true) + (float)$argv[3];
		while (microtime(true) < $end) {
			$r = [$s]; $w = $x = null;
			if (stream_select($r, $w, $x, 0, 100000)) {
				fwrite($f, json_encode(stream_socket_recvfrom($s, 65536), JSON_UNESCAPED_SLASHES) . "\n");
			}
		}' "$dir/notify.sock" "$out" "$secs" &
	listener=$!
	while [ ! -S "$dir/notify.sock" ]; do sleep 0.05; done
	env NOTIFY_SOCKET="$dir/notify.sock" "$@" setsid php-fpm8.2 -F -R -y "$dir/php-fpm.conf" </dev/null >/dev/null 2>&1 &
	while [ ! -S "$dir/www.sock" ]; do sleep 0.05; done
	sleep 0.5
	for _ in 1 2 3; do
		SCRIPT_FILENAME="$dir/ok.php" SCRIPT_NAME=/ok.php REQUEST_METHOD=GET cgi-fcgi -bind -connect "$dir/www.sock" >/dev/null
	done
	wait "$listener"
	kill -TERM "$(cat "$dir/fpm.pid")"
	while [ -e "$dir/fpm.pid" ]; do sleep 0.05; done
	rm -f "$dir/notify.sock" "$dir/www.sock"
}
run 3.8
run 4.8 WATCHDOG_USEC=4000000
