/*
 * sync.c - C references for the locks and atomics that live in shared memory.
 * Every word measured here sits in an anonymous MAP_SHARED mapping, as in FPM.
 *
 * Cases:
 *   CSpinlockLockUnlock     FPM's spinlock (spinlock.h) taken and released,
 *                           uncontended: one `lock cmpxchg` and one plain store.
 *   CFetchAndAdd            __sync_fetch_and_add(&counter, 1) on a uint64
 *                           (`lock xadd`), uncontended.
 *   CSeqlockRead256         one consistent read of a 256-byte record under a
 *                           seqlock (acquire load of the sequence, 256-byte
 *                           memcpy, acquire fence, reload; retry when odd or
 *                           changed), no writer running.
 *   CSpinlockContended2Proc two processes (fork) each taking the spinlock,
 *                           incrementing a shared counter and releasing it, in a
 *                           loop; ns per lock+increment+unlock pair over both
 *                           processes (total time / total pairs). The time
 *                           includes one fork and waitpid per run, negligible at
 *                           a 1 s run.
 */
#include "bench.h"
#include "spinlock.h"

#include <sys/wait.h>

/* Sinks that keep results alive so the compiler cannot drop the work. */
static volatile uint64_t sink_u64;

static fpm_lock_t *lock_word;

static void bench_spinlock(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		fpm_spin_lock(lock_word);
		fpm_spin_unlock(lock_word);
	}
}

static uint64_t *counter;

static void bench_fetch_and_add(uint64_t n)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < n; i++)
		sum += __sync_fetch_and_add(counter, 1);
	sink_u64 = sum;
}

/* seq_record is a seqlock-guarded record: the sequence is even when the
 * record is stable and odd while a writer is inside. The data starts on its
 * own cache line. */
struct seq_record {
	uint64_t seq;
	char pad[56];
	unsigned char data[256];
};

static struct seq_record *record;

static void seqlock_write(struct seq_record *r, const unsigned char *src)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(r->data, src, sizeof r->data);
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
}

static void seqlock_read(const struct seq_record *r, unsigned char *dst)
{
	for (;;) {
		uint64_t s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);

		if (s1 & 1)
			continue;
		memcpy(dst, r->data, sizeof r->data);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) == s1)
			return;
	}
}

static void bench_seqlock_read(uint64_t n)
{
	unsigned char buf[256];

	for (uint64_t i = 0; i < n; i++) {
		seqlock_read(record, buf);
		/* buf counts as used and memory as changed, so each read is done. */
		__asm__ __volatile__("" : : "r"(buf) : "memory");
	}
}

/* contended is the shared state of the two-process case: the lock with the
 * counter it guards on one cache line, the start flags on another. */
struct contended {
	fpm_lock_t lock;
	volatile uint64_t counter;
	char pad[48];
	volatile int ready;
	volatile int go;
};

static struct contended *shared;

static void lock_inc_unlock(struct contended *c, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		fpm_spin_lock(&c->lock);
		c->counter++;
		fpm_spin_unlock(&c->lock);
	}
}

static void bench_contended(uint64_t n)
{
	struct contended *c = shared;
	int status;
	pid_t pid;

	c->counter = 0;
	c->ready = 0;
	c->go = 0;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		__sync_fetch_and_add(&c->ready, 1);
		while (!c->go)
			sched_yield();
		lock_inc_unlock(c, n - n / 2);
		_exit(0);
	}
	while (!c->ready)
		sched_yield();
	c->go = 1;
	lock_inc_unlock(c, n / 2);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "contended: child failed (status %#x)\n", status);
		exit(1);
	}
	if (c->counter != n) {
		fprintf(stderr, "contended: counter %llu, want %llu: the lock failed\n",
			(unsigned long long)c->counter, (unsigned long long)n);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned char src[256];
	char *page;

	bench_init(argc, argv);

	/* One page per case, so no two cases share a cache line. */
	page = shared_map(4 * 4096);
	lock_word = (fpm_lock_t *)page;
	counter = (uint64_t *)(page + 4096);
	record = (struct seq_record *)(page + 2 * 4096);
	shared = (struct contended *)(page + 3 * 4096);
	for (int i = 0; i < 256; i++)
		src[i] = (unsigned char)i;
	seqlock_write(record, src);

	bench_run("CSpinlockLockUnlock", bench_spinlock);
	bench_run("CFetchAndAdd", bench_fetch_and_add);
	bench_run("CSeqlockRead256", bench_seqlock_read);
	bench_run("CSpinlockContended2Proc", bench_contended);
	return 0;
}
