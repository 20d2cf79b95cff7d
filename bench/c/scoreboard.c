/*
 * scoreboard.c - C references for PHP-FPM's scoreboard update protocol,
 * written from shared/spec/php-fpm.md section 2.
 *
 * The segment is laid out as FPM lays it out on x86-64: a 136-byte pool
 * record followed by pm.max_children 1168-byte proc slots, in one anonymous
 * MAP_SHARED mapping. Every update takes the record's spinlock (spinlock.h),
 * writes its fields and releases the lock with a plain store.
 *
 * Cases:
 *   CFPMBeginCommit       one slot update, uncontended: the "reading headers"
 *                         update (acquire the slot, request_stage, tv,
 *                         accepted, accepted_epoch, cpu_accepted, requests++,
 *                         clear the five strings and content_length, release).
 *                         The timestamps are given, not read from a clock, so
 *                         this is the cost of the lock and the writes alone.
 *   CFPMBeginCommitClock  the same update with the clock reads FPM makes before
 *                         it: clock_gettime(CLOCK_MONOTONIC) and time(NULL).
 *   CFPMRequest           every update of one request, in FPM's order, with
 *                         FPM's clock reads: accepting (slot; pool idle+1
 *                         active-1), reading headers (slot with requests++;
 *                         pool idle-1 active+1 requests+1), request info (slot:
 *                         method "GET", URI "/index.php", query "a=1&b=2",
 *                         script "/var/www/html/index.php", user, length),
 *                         executing (slot), end (slot: duration, cpu, memory;
 *                         pool memory_peak), finished (slot). That is 9 lock
 *                         round trips: 6 slot updates and 3 pool updates.
 *   CFPMRequestPerUpdate  CFPMRequest divided by those 9 updates.
 *   CFPMRequestTimes      CFPMRequest plus the times() system calls FPM makes
 *                         for the CPU figures (at reading headers and at end).
 */
#include "bench.h"
#include "spinlock.h"

#include <sys/time.h>
#include <sys/times.h>

#define MAX_CHILDREN 5
#define UPDATES_PER_REQUEST 9

/* Request stages, numbered as FPM numbers them. */
enum stage {
	STAGE_IDLE = 1,		/* accepting */
	STAGE_READING_HEADERS = 2,
	STAGE_INFO = 3,
	STAGE_EXECUTING = 4,
	STAGE_END = 5,
	STAGE_FINISHED = 6,
};

/* sb_pool is the pool record: 136 bytes on x86-64. The lock word is padded
 * to 16 bytes, as in FPM. */
struct sb_pool {
	union {
		fpm_lock_t lock;
		char lock_pad[16];
	};
	char pool[32];
	int pm;
	time_t start_epoch;
	int idle;
	int active;
	int active_max;
	unsigned long requests;
	unsigned int max_children_reached;
	int lq;
	int lq_max;
	unsigned int lq_len;
	int nprocs;
	int free_proc;
	unsigned long slow_rq;
	size_t memory_peak;
	void *shared;
};

/* sb_proc is one child's slot: 1168 bytes on x86-64. */
struct sb_proc {
	union {
		fpm_lock_t lock;
		char lock_pad[16];
	};
	int used;
	time_t start_epoch;
	pid_t pid;
	unsigned long requests;
	enum stage request_stage;
	struct timeval accepted;
	struct timeval duration;
	time_t accepted_epoch;
	struct timeval tv;
	char request_uri[128];
	char query_string[512];
	char request_method[16];
	size_t content_length;
	char script_filename[256];
	char auth_user[32];
	struct tms cpu_accepted;
	struct timeval cpu_duration;
	struct tms last_request_cpu;
	struct timeval last_request_cpu_duration;
	size_t memory;
};

_Static_assert(sizeof(struct sb_pool) == 136, "pool record is 136 bytes");
_Static_assert(sizeof(struct sb_proc) == 1168, "proc slot is 1168 bytes");

static struct sb_pool *pool;
static struct sb_proc *slot;

/* Whether the request case calls times() as FPM does. */
static int with_times;

enum { POOL_SET, POOL_INC };

/* add_clamped adds delta and clamps the result at 0, as FPM's INC does. */
static inline int add_clamped(int v, int delta)
{
	return v + delta > 0 ? v + delta : 0;
}

/* pool_update is FPM's pool update: SET assigns each field given as >= 0,
 * INC adds and clamps at 0; active_max and memory_peak only grow. */
static void pool_update(int idle, int active, int requests,
			size_t memory_peak, int action)
{
	fpm_spin_lock(&pool->lock);
	if (action == POOL_SET) {
		if (idle >= 0)
			pool->idle = idle;
		if (active >= 0)
			pool->active = active;
		if (requests >= 0)
			pool->requests = (unsigned long)requests;
	} else {
		pool->idle = add_clamped(pool->idle, idle);
		pool->active = add_clamped(pool->active, active);
		pool->requests += (unsigned long)requests;
	}
	if (pool->active > pool->active_max)
		pool->active_max = pool->active;
	if (memory_peak > pool->memory_peak)
		pool->memory_peak = memory_peak;
	fpm_spin_unlock(&pool->lock);
}

/* clock_now reads the monotonic clock into a timeval, as FPM's clock does. */
static inline void clock_now(struct timeval *tv)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
}

/* copy_field copies src into a fixed-size field, truncated and
 * NUL-terminated (strlcpy). */
static inline void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* reading_headers_locked is the "reading headers" write: the caller holds
 * the slot's lock. */
static inline void reading_headers_locked(struct sb_proc *p,
					  const struct timeval *now,
					  time_t now_epoch,
					  const struct tms *cpu)
{
	p->request_stage = STAGE_READING_HEADERS;
	p->tv = *now;
	p->accepted = *now;
	p->accepted_epoch = now_epoch;
	p->cpu_accepted = *cpu;
	p->requests++;
	p->request_uri[0] = '\0';
	p->request_method[0] = '\0';
	p->script_filename[0] = '\0';
	p->query_string[0] = '\0';
	p->auth_user[0] = '\0';
	p->content_length = 0;
}

static void bench_begin_commit(uint64_t n)
{
	struct timeval now = { .tv_sec = 1700000000 };
	struct tms cpu = { 0 };

	for (uint64_t i = 0; i < n; i++) {
		now.tv_usec = (suseconds_t)(i & 0xfffff);
		fpm_spin_lock(&slot->lock);
		reading_headers_locked(slot, &now, now.tv_sec, &cpu);
		fpm_spin_unlock(&slot->lock);
	}
}

static void bench_begin_commit_clock(uint64_t n)
{
	struct timeval now;
	struct tms cpu = { 0 };

	for (uint64_t i = 0; i < n; i++) {
		time_t now_epoch;

		clock_now(&now);
		now_epoch = time(NULL);
		fpm_spin_lock(&slot->lock);
		reading_headers_locked(slot, &now, now_epoch, &cpu);
		fpm_spin_unlock(&slot->lock);
	}
}

/* set_stage is the one-field update FPM makes at accepting, executing and
 * finished: the stage and the time of last activity. */
static inline void set_stage(struct sb_proc *p, enum stage s)
{
	struct timeval now;

	clock_now(&now);
	fpm_spin_lock(&p->lock);
	p->request_stage = s;
	p->tv = now;
	fpm_spin_unlock(&p->lock);
}

static void request_accepting(struct sb_proc *p)
{
	set_stage(p, STAGE_IDLE);
	pool_update(1, -1, 0, 0, POOL_INC);
}

static void request_reading_headers(struct sb_proc *p)
{
	struct timeval now;
	struct tms cpu = { 0 };
	time_t now_epoch;

	clock_now(&now);
	now_epoch = time(NULL);
	if (with_times)
		times(&cpu);
	fpm_spin_lock(&p->lock);
	reading_headers_locked(p, &now, now_epoch, &cpu);
	fpm_spin_unlock(&p->lock);
	pool_update(-1, 1, 1, 0, POOL_INC);
}

static void request_info(struct sb_proc *p)
{
	struct timeval now;

	clock_now(&now);
	fpm_spin_lock(&p->lock);
	p->request_stage = STAGE_INFO;
	p->tv = now;
	copy_field(p->request_uri, sizeof p->request_uri, "/index.php");
	copy_field(p->query_string, sizeof p->query_string, "a=1&b=2");
	copy_field(p->request_method, sizeof p->request_method, "GET");
	copy_field(p->auth_user, sizeof p->auth_user, "");
	p->content_length = 0;
	copy_field(p->script_filename, sizeof p->script_filename,
		   "/var/www/html/index.php");
	fpm_spin_unlock(&p->lock);
}

static void request_end(struct sb_proc *p)
{
	struct timeval now;
	struct tms cpu = { 0 };
	size_t memory = 2u << 20;	/* the request's memory peak */

	clock_now(&now);
	if (with_times)
		times(&cpu);
	fpm_spin_lock(&p->lock);
	p->request_stage = STAGE_END;
	p->tv = now;
	timersub(&now, &p->accepted, &p->duration);
	p->last_request_cpu.tms_utime = cpu.tms_utime - p->cpu_accepted.tms_utime;
	p->last_request_cpu.tms_stime = cpu.tms_stime - p->cpu_accepted.tms_stime;
	p->last_request_cpu.tms_cutime = cpu.tms_cutime - p->cpu_accepted.tms_cutime;
	p->last_request_cpu.tms_cstime = cpu.tms_cstime - p->cpu_accepted.tms_cstime;
	p->last_request_cpu_duration = p->duration;
	p->memory = memory;
	fpm_spin_unlock(&p->lock);
	pool_update(-1, -1, -1, memory, POOL_SET);
}

static void request_once(struct sb_proc *p)
{
	request_accepting(p);
	request_reading_headers(p);
	request_info(p);
	set_stage(p, STAGE_EXECUTING);
	request_end(p);
	set_stage(p, STAGE_FINISHED);
}

static void bench_request(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		request_once(slot);
}

int main(int argc, char **argv)
{
	size_t size = sizeof(struct sb_pool) + MAX_CHILDREN * sizeof(struct sb_proc);
	char *seg;

	bench_init(argc, argv);

	/* One segment per pool: the record, then the slots right behind it. */
	seg = shared_map(size);
	pool = (struct sb_pool *)seg;
	slot = (struct sb_proc *)(seg + sizeof(struct sb_pool));
	copy_field(pool->pool, sizeof pool->pool, "www");
	pool->pm = 2;
	pool->nprocs = 1;
	pool->active = 1;
	slot->used = 1;
	slot->pid = getpid();

	bench_run("CFPMBeginCommit", bench_begin_commit);
	bench_run("CFPMBeginCommitClock", bench_begin_commit_clock);
	bench_run_per("CFPMRequest", bench_request,
		      "CFPMRequestPerUpdate", UPDATES_PER_REQUEST);
	with_times = 1;
	bench_run("CFPMRequestTimes", bench_request);
	return 0;
}
