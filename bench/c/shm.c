/*
 * shm.c - C references for shared-memory segments: the seed's
 * fpm_shm_alloc/fpm_shm_free pair and a sealed memfd segment.
 *
 * Cases:
 *   CSeedAllocFree        fpm_shm_alloc(4096) + fpm_shm_free: mmap(NULL, 4096,
 *                         READ|WRITE, MAP_ANONYMOUS|MAP_SHARED, -1, 0), munmap,
 *                         and the seed's process-wide counter update; the
 *                         memory is never touched, so no page is faulted in.
 *   CSeedAllocFreeTouch   the same, writing one byte before the free: adds the
 *                         first-touch fault of one shared page and its release.
 *   CMemfdSealedAllocFree memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING),
 *                         ftruncate(4096), F_ADD_SEALS(SHRINK|GROW|SEAL),
 *                         mmap(MAP_SHARED), munmap, close: the life of a segment
 *                         that can be handed to an exec'd child.
 */
#include "bench.h"

#include <fcntl.h>

#define SEG_SIZE 4096

/* fpm_shm_size is the seed's process-wide count of reserved bytes. */
static size_t fpm_shm_size;

/* fpm_shm_alloc and fpm_shm_free follow the seed (shared/seed/fpm_shm.md),
 * including its error paths and its counter clamp as written there. They
 * are kept out of line, as they are in FPM, where they live in their own
 * file. */
__attribute__((noinline)) static void *fpm_shm_alloc(size_t size)
{
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_ANONYMOUS | MAP_SHARED, -1, 0);

	if (mem == MAP_FAILED) {
		fprintf(stderr, "unable to allocate %zu bytes in shared memory: %s\n",
			size, strerror(errno));
		return NULL;
	}
	if (!mem) {
		fprintf(stderr, "unable to allocate %zu bytes in shared memory\n", size);
		return NULL;
	}
	fpm_shm_size += size;
	return mem;
}

__attribute__((noinline)) static int fpm_shm_free(void *mem, size_t size)
{
	if (!mem) {
		fprintf(stderr, "mem is NULL\n");
		return 0;
	}
	if (munmap(mem, size) == -1) {
		fprintf(stderr, "Unable to free shm\n");
		return 0;
	}
	/* The seed's unsigned test: true unless equal (it wraps). Kept as is
	 * because the reference measures the seed. */
	if (fpm_shm_size - size > 0)
		fpm_shm_size -= size;
	else
		fpm_shm_size = 0;
	return 1;
}

static void bench_seed_alloc_free(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		void *mem = fpm_shm_alloc(SEG_SIZE);

		if (!mem || !fpm_shm_free(mem, SEG_SIZE))
			exit(1);
	}
}

static void bench_seed_alloc_free_touch(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		void *mem = fpm_shm_alloc(SEG_SIZE);

		if (!mem)
			exit(1);
		*(volatile char *)mem = 1;
		if (!fpm_shm_free(mem, SEG_SIZE))
			exit(1);
	}
}

static void bench_memfd_sealed(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int fd = memfd_create("fpmshm-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		void *mem;

		if (fd < 0)
			die("memfd_create");
		if (ftruncate(fd, SEG_SIZE) < 0)
			die("ftruncate");
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
			die("fcntl(F_ADD_SEALS)");
		mem = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (mem == MAP_FAILED)
			die("mmap(MAP_SHARED, memfd)");
		if (munmap(mem, SEG_SIZE) < 0)
			die("munmap");
		if (close(fd) < 0)
			die("close");
	}
}

int main(int argc, char **argv)
{
	bench_init(argc, argv);
	bench_run("CSeedAllocFree", bench_seed_alloc_free);
	bench_run("CSeedAllocFreeTouch", bench_seed_alloc_free_touch);
	bench_run("CMemfdSealedAllocFree", bench_memfd_sealed);
	return 0;
}
