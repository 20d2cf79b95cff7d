/*
 * bench.h - the timing harness shared by the C reference programs.
 *
 * A case is a function that performs its operation n times. The harness
 * grows n the way Go's testing package does (1, then a prediction from the
 * last run plus 20%, at most 100x per step) until one run lasts the bench
 * time, then repeats the run at that n until it has -n samples. Every sample
 * is printed as soon as it is measured, in Go's benchmark format:
 *
 *     BenchmarkC<Name>  <iterations>  <ns> ns/op
 *
 * so that one parser reads the Go and the C results; bench/run takes the
 * median of the samples of each name. Time is read with
 * clock_gettime(CLOCK_MONOTONIC) around the whole run of n iterations, so
 * the clock itself costs nothing per iteration.
 *
 * Options, common to every program:
 *     -t SECONDS   bench time of one run (default 1)
 *     -n COUNT     samples per case (default 5)
 *     -r REGEX     run only the cases whose name (e.g. CSeedAllocFree) matches
 *
 * Linux only; gcc -O2 -pthread, no other dependency.
 */
#ifndef FPMSHM_BENCH_H
#define FPMSHM_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef void (*bench_fn)(uint64_t n);

static double bench_time_s = 1.0;
static int bench_count = 5;
static int bench_have_re;
static regex_t bench_re;

/* die reports a failed step with its errno and ends the program with
 * status 1: a reference that cannot run must fail bench/run. */
static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

/* compiler_barrier stops the compiler moving memory accesses across it; it
 * emits no instruction. */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* shared_map returns size bytes of zeroed anonymous shared memory, the kind
 * FPM keeps its scoreboard and locks in. */
static inline void *shared_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_SHARED, -1, 0);

	if (p == MAP_FAILED)
		die("mmap(MAP_ANONYMOUS|MAP_SHARED)");
	return p;
}

static void bench_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t seconds] [-n count] [-r regex]\n", prog);
	exit(2);
}

/* bench_init reads the common options. */
static void bench_init(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "t:n:r:")) != -1) {
		switch (c) {
		case 't':
			bench_time_s = atof(optarg);
			if (bench_time_s <= 0)
				bench_usage(argv[0]);
			break;
		case 'n':
			bench_count = atoi(optarg);
			if (bench_count < 1)
				bench_usage(argv[0]);
			break;
		case 'r':
			if (regcomp(&bench_re, optarg, REG_EXTENDED | REG_NOSUB) != 0) {
				fprintf(stderr, "bad regex: %s\n", optarg);
				exit(2);
			}
			bench_have_re = 1;
			break;
		default:
			bench_usage(argv[0]);
		}
	}
	if (optind != argc)
		bench_usage(argv[0]);
}

static uint64_t time_run(bench_fn fn, uint64_t n)
{
	uint64_t t0 = now_ns();

	fn(n);
	return now_ns() - t0;
}

/* predict_n mirrors Go's testing.predictN: aim at the goal from the last
 * run's rate, overshoot by 20%, grow at most 100x and at least by one. */
static uint64_t predict_n(uint64_t goal_ns, uint64_t last_n, uint64_t last_ns)
{
	double n;

	if (last_ns == 0)
		last_ns = 1;
	n = (double)goal_ns * (double)last_n / (double)last_ns;
	n += n / 5;
	if (n > 100.0 * (double)last_n)
		n = 100.0 * (double)last_n;
	if (n < (double)last_n + 1)
		n = (double)last_n + 1;
	if (n > 1e9)
		n = 1e9;
	return (uint64_t)n;
}

static void print_sample(const char *name, uint64_t n, double ns_per_op)
{
	printf("Benchmark%-28s %12llu %14.2f ns/op\n", name,
	       (unsigned long long)n, ns_per_op);
	fflush(stdout);
}

/* bench_run_per measures case name. When per_name is not NULL it also
 * prints, for each sample, per_name with the time divided by per: the cost
 * of one of the per steps that make up one operation. */
static void bench_run_per(const char *name, bench_fn fn,
			  const char *per_name, unsigned per)
{
	uint64_t goal = (uint64_t)(bench_time_s * 1e9);
	uint64_t n = 1, ns;
	int i;

	if (bench_have_re && regexec(&bench_re, name, 0, NULL, 0) != 0)
		return;
	/* Calibrate: the last calibration run is the first sample. */
	ns = time_run(fn, n);
	while (ns < goal && n < 1000000000u) {
		n = predict_n(goal, n, ns);
		ns = time_run(fn, n);
	}
	for (i = 0; i < bench_count; i++) {
		if (i > 0)
			ns = time_run(fn, n);
		print_sample(name, n, (double)ns / (double)n);
		if (per_name)
			print_sample(per_name, n, (double)ns / (double)n / per);
	}
}

static inline void bench_run(const char *name, bench_fn fn)
{
	bench_run_per(name, fn, NULL, 0);
}

#endif
