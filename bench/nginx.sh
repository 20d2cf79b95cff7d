#!/usr/bin/env bash
# bench/nginx.sh - requests per second through nginx (fastcgi_pass) at
# concurrency 32, for: fpmshm serve with the scoreboard, the same with the
# workers' scoreboard updates turned off (-no-scoreboard), and php-fpm 8.2
# serving an equivalent trivial page. Every pool is static with the same
# number of children; the runs alternate, and the median of each is printed.
#
#   bench/nginx.sh [-d SECONDS] [-rounds N] [-children N]
#
# Needs nginx and wrk; php-fpm8.2 is measured when installed (apt-get install
# nginx wrk php8.2-fpm). Run as root (nginx and php-fpm run in a temp dir).
set -u -o pipefail

duration=10 rounds=3 children=4
while [ $# -gt 0 ]; do
	case $1 in
	-d) duration=$2; shift ;;
	-rounds) rounds=$2; shift ;;
	-children) children=$2; shift ;;
	*) echo "usage: bench/nginx.sh [-d SECONDS] [-rounds N] [-children N]" >&2; exit 2 ;;
	esac
	shift
done
for bin in nginx wrk; do
	command -v $bin >/dev/null || [ -x /usr/sbin/$bin ] || { echo "bench/nginx.sh: $bin is not installed" >&2; exit 1; }
done
PATH=$PATH:/usr/sbin
phpfpm=$(command -v php-fpm8.2 || true)

cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d) || exit 1
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/fpmshm" ./cmd/fpmshm || exit 1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# start_nginx FASTCGI_PORT: nginx on a free port passing to FASTCGI_PORT;
# sets nginx_port.
start_nginx() {
	local port dir
	port=$(free_port) dir=$tmp/nginx-$1
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $dir/body; fastcgi_temp_path $dir/fastcgi;
	proxy_temp_path $dir/proxy; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
	server {
		listen 127.0.0.1:$port;
		root $tmp/www;
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME $tmp/www/index.php;
			fastcgi_pass 127.0.0.1:$1;
		}
	}
}
CONF
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" </dev/null >/dev/null 2>&1 &
	pids+=($!)
	wait_port "$port" || { echo "nginx did not start" >&2; exit 1; }
	nginx_port=$port
}

# serve_fpmshm PORT [FLAGS]: fpmshm serve, static pool; sets master.
serve_fpmshm() {
	local port=$1; shift
	"$tmp/fpmshm" serve -pm static -pm.max_children "$children" -listen "127.0.0.1:$port" -http "" -pid "" "$@" </dev/null >/dev/null 2>"$tmp/fpmshm-$port.log" &
	pids+=($!) master=$!
	wait_port "$port" || { echo "fpmshm serve did not start" >&2; cat "$tmp/fpmshm-$port.log" >&2; exit 1; }
}

# serve_phpfpm PORT: php-fpm, static pool, the trivial page.
serve_phpfpm() {
	cat >"$tmp/php-fpm.conf" <<CONF
[global]
pid = $tmp/php-fpm.pid
error_log = $tmp/php-fpm.log
daemonize = no
[www]
user = nobody
group = nogroup
listen = 127.0.0.1:$1
pm = static
pm.max_children = $children
CONF
	"$phpfpm" -n -y "$tmp/php-fpm.conf" -R </dev/null >/dev/null 2>&1 &
	pids+=($!) master=$!
	wait_port "$1" || { echo "php-fpm did not start" >&2; exit 1; }
}

mkdir -p "$tmp/www"
chmod 755 "$tmp" "$tmp/www"
printf '<?php echo "Hello from fpmshm.\\n";\n' >"$tmp/www/index.php"

# pool_ticks MASTER: CPU clock ticks (user+system) used so far by a pool:
# its master and its workers.
pool_ticks() {
	local sum=0 p
	for p in "$1" $(pgrep -P "$1"); do
		[ -r "/proc/$p/stat" ] && sum=$((sum + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat")))
	done
	echo "$sum"
}
# machine_ticks: CPU clock ticks the machine has been busy (not idle).
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
hz=$(getconf CLK_TCK)

p1=$(free_port); serve_fpmshm "$p1"; masters=("$master")
p2=$(free_port); serve_fpmshm "$p2" -no-scoreboard; masters+=("$master")
start_nginx "$p1"; n1=$nginx_port
start_nginx "$p2"; n2=$nginx_port
names=("fpmshm (scoreboard on)" "fpmshm (-no-scoreboard)")
urls=("http://127.0.0.1:$n1/index.php" "http://127.0.0.1:$n2/index.php")
if [ -n "$phpfpm" ]; then
	p3=$(free_port); serve_phpfpm "$p3"; masters+=("$master"); start_nginx "$p3"; n3=$nginx_port
	names+=("php-fpm 8.2 (echo)"); urls+=("http://127.0.0.1:$n3/index.php")
else
	echo "php-fpm8.2 is not installed: skipping it" >&2
fi

for u in "${urls[@]}"; do curl -fsS "$u" >/dev/null || { echo "no answer from $u" >&2; exit 1; }; done
declare -A results poolcpu machinecpu roundcpu
for r in $(seq "$rounds"); do
	order=("${!urls[@]}")
	if [ $((r % 2)) = 0 ]; then # every other round the other way round: no order effect
		order=(); for ((i = ${#urls[@]} - 1; i >= 0; i--)); do order+=("$i"); done
	fi
	for i in "${order[@]}"; do
		wrk -t2 -c32 -d1s "${urls[$i]}" >/dev/null 2>&1 # warm up
		p0=$(pool_ticks "${masters[$i]}") m0=$(machine_ticks)
		out=$(wrk -t2 -c32 -d"${duration}s" "${urls[$i]}")
		p1=$(pool_ticks "${masters[$i]}") m1=$(machine_ticks)
		rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
		n=$(awk '/requests in/ {print $1}' <<<"$out")
		non2xx=$(grep -c 'Non-2xx' <<<"$out" || true)
		# CPU microseconds per request: the pool's, and the whole machine's
		# (nginx, wrk and the pool), which bounds throughput on a busy box.
		pc=$(awk -v t=$((p1 - p0)) -v n="$n" -v hz="$hz" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
		mc=$(awk -v t=$((m1 - m0)) -v n="$n" -v hz="$hz" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
		echo "round $r: ${names[$i]}: $rps requests/s, CPU per request: pool $pc us, machine $mc us" >&2
		[ "$non2xx" = 0 ] || echo "  (${names[$i]} answered non-2xx responses)" >&2
		results[$i]="${results[$i]:-} $rps" poolcpu[$i]="${poolcpu[$i]:-} $pc" machinecpu[$i]="${machinecpu[$i]:-} $mc"
		roundcpu[$i]=$pc
	done
	# the scoreboard's cost in this round: pool CPU with it minus without it
	diffs="${diffs:-} $(awk -v a="${roundcpu[0]}" -v b="${roundcpu[1]}" 'BEGIN {printf "%.1f", a - b}')"
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| server behind nginx (static, $children children, wrk -c32, ${duration}s x $rounds, medians) | requests/s | pool CPU us/request | machine CPU us/request |"
echo "| --- | --- | --- | --- |"
for i in "${!urls[@]}"; do
	echo "| ${names[$i]} | $(echo "${results[$i]}" | median) | $(echo "${poolcpu[$i]}" | median) | $(echo "${machinecpu[$i]}" | median) |"
done
on=$(echo "${results[0]}" | median) off=$(echo "${results[1]}" | median)
awk -v on="$on" -v off="$off" 'BEGIN { printf "scoreboard cost, from the throughput medians: %.2f%% (noisy on a shared machine)\n", (off - on) * 100 / off }'
d=$(echo "$diffs" | median) moff=$(echo "${machinecpu[1]}" | median)
echo "pool CPU with the scoreboard minus without, per round (us/request):$diffs"
awk -v d="$d" -v m="$moff" 'BEGIN { printf "scoreboard cost, from the median of those: %.1f us of the %.1f us the machine spends per request = %.2f%% of throughput (target: at most 2%%)\n", d, m, d * 100 / m }'
