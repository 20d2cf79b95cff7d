/*
 * spinlock.h - FPM's lock, as php-fpm.md section 2 describes it: a word in
 * shared memory taken by compare-and-swap from 0 to 1, retried after
 * sched_yield while it is held, and released by a plain store of 0. The word
 * records no owner. On x86-64 __sync_bool_compare_and_swap is one
 * `lock cmpxchg`, and the plain store after a compiler barrier is a release
 * store (x86 keeps stores in order).
 */
#ifndef FPMSHM_SPINLOCK_H
#define FPMSHM_SPINLOCK_H

#include <sched.h>

/* fpm_lock_t is FPM's lock word: a volatile long. */
typedef volatile long fpm_lock_t;

static inline void fpm_spin_lock(fpm_lock_t *lock)
{
	while (!__sync_bool_compare_and_swap(lock, 0, 1))
		sched_yield();
}

static inline void fpm_spin_unlock(fpm_lock_t *lock)
{
	__asm__ __volatile__("" ::: "memory");
	*lock = 0;
}

#endif
