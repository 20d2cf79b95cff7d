<?php
/*
 * bench/php/apcu.php - APCu's fetch, store and inc, the anchors shmcache's
 * Get, Set and Incr are measured against (a 16-byte key, a 100-byte value,
 * one key, as shmcache's benchmarks).
 *
 *     php -d apc.enable_cli=1 bench/php/apcu.php [-t SECONDS] [-n COUNT]
 *
 * Each case grows its loop count the way Go's testing package does until
 * one run lasts the bench time, then prints COUNT samples in Go's format,
 * BenchmarkPHP<Name> <iterations> <ns> ns/op. PHPLoop is the loop alone
 * (an assignment per turn, where the others call APCu); each <Name>Net
 * sample is that case's sample less the median of PHPLoop's, which is
 * what bench/run compares with.
 */

$opt = getopt('t:n:');
$benchTime = isset($opt['t']) ? (float)$opt['t'] : 1.0;
$count = isset($opt['n']) ? (int)$opt['n'] : 5;

if (!function_exists('apcu_fetch') || !apcu_enabled()) {
	fwrite(STDERR, "apcu.php: APCu is not enabled (php -d apc.enable_cli=1)\n");
	exit(1);
}

$key = 'bench-key-000001';
$ctr = 'bench-ctr-000001';
$value = str_repeat('v', 100);
apcu_store($key, $value);
apcu_store($ctr, 0);

$cases = [
	'PHPLoop' => function ($n) use ($key) {
		for ($i = 0; $i < $n; $i++) { $v = $key; }
	},
	'PHPApcuFetch100' => function ($n) use ($key) {
		for ($i = 0; $i < $n; $i++) { $v = apcu_fetch($key); }
		if (strlen($v) != 100) { fwrite(STDERR, "apcu_fetch failed\n"); exit(1); }
	},
	'PHPApcuStore100' => function ($n) use ($key, $value) {
		for ($i = 0; $i < $n; $i++) { $v = apcu_store($key, $value); }
		if ($v !== true) { fwrite(STDERR, "apcu_store failed\n"); exit(1); }
	},
	'PHPApcuInc' => function ($n) use ($ctr) {
		for ($i = 0; $i < $n; $i++) { $v = apcu_inc($ctr); }
		if ($v === false) { fwrite(STDERR, "apcu_inc failed\n"); exit(1); }
	},
];

// run times one call of $fn with $n iterations, in nanoseconds.
function run($fn, $n) {
	$t = hrtime(true);
	$fn($n);
	return hrtime(true) - $t;
}

function median($a) {
	sort($a);
	$n = count($a);
	return $n % 2 ? $a[intdiv($n, 2)] : ($a[$n / 2 - 1] + $a[$n / 2]) / 2;
}

$loop = null;
foreach ($cases as $name => $fn) {
	$n = 1;
	$ns = run($fn, $n);
	while ($ns < $benchTime * 1e9) {
		$next = $ns > 0 ? (int)($n * $benchTime * 1e9 / $ns * 1.2) : $n * 100;
		$n = max($n + 1, min($next, $n * 100));
		$ns = run($fn, $n);
	}
	$samples = [$ns / $n];
	printf("Benchmark%s\t%d\t%.2f ns/op\n", $name, $n, $ns / $n);
	for ($s = 1; $s < $count; $s++) {
		$ns = run($fn, $n);
		$samples[] = $ns / $n;
		printf("Benchmark%s\t%d\t%.2f ns/op\n", $name, $n, $ns / $n);
	}
	if ($name === 'PHPLoop') {
		$loop = median($samples);
		continue;
	}
	foreach ($samples as $s) {
		printf("Benchmark%sNet\t%d\t%.2f ns/op\n", $name, $n, $s - $loop);
	}
}
