/* malloc_count.so: an LD_PRELOAD shim that counts a process's live heap, for
 * benchmarks that ask how many bytes of user-space memory something costs.
 *
 *   MALLOC_COUNT_FILE=/tmp/x LD_PRELOAD=build/bench/malloc_count.so build/carrier ...
 *
 * Every malloc/calloc/realloc/free/memalign goes to glibc as usual (so the process's
 * memory layout and RSS are what they would be); the shim adds and subtracts each
 * block's malloc_usable_size.  The counters live in MALLOC_COUNT_FILE, mapped shared,
 * so a reader sees them at any moment without signalling the process (bench/idle.py
 * reads them).  Layout: struct mc_file below, little-endian uint64 words:
 *
 *   magic, live_bytes, live_blocks, total_allocs, total_frees, peak_bytes,
 *   then MC_CLASSES pairs (live blocks, live bytes) by usable size: class i holds
 *   blocks of usable size in (16*(i-1), 16*i] for i < MC_CLASSES-1, the last class
 *   everything larger than 16*(MC_CLASSES-2).
 *
 * Usable size is what the caller may use; glibc adds 8 bytes of chunk header to each
 * block (16-byte granularity, 32-byte minimum chunk), which the reader may add back
 * from the block counts.  Threads: counters are updated with relaxed atomics. */
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MC_MAGIC 0x31746e636c6c616dULL   /* "mallcnt1" */
#define MC_CLASSES 258

struct mc_file {
	uint64_t magic;
	uint64_t live_bytes;
	uint64_t live_blocks;
	uint64_t total_allocs;
	uint64_t total_frees;
	uint64_t peak_bytes;
	uint64_t cls[MC_CLASSES][2];
};

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);
void *memalign(size_t align, size_t n);
void *aligned_alloc(size_t align, size_t n);
int posix_memalign(void **out, size_t align, size_t n);
void *valloc(size_t n);
void *pvalloc(size_t n);

static struct mc_file boot = { .magic = MC_MAGIC };
static struct mc_file *mc = &boot;

static unsigned size_class(size_t usable)
{
	size_t i = (usable + 15) / 16;
	return i < MC_CLASSES - 1 ? (unsigned)i : MC_CLASSES - 1;
}

static void count_alloc(void *p)
{
	if (p == NULL)
		return;
	size_t n = malloc_usable_size(p);
	unsigned k = size_class(n);
	uint64_t live = __atomic_add_fetch(&mc->live_bytes, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mc->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mc->total_allocs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mc->cls[k][0], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mc->cls[k][1], n, __ATOMIC_RELAXED);
	uint64_t peak = __atomic_load_n(&mc->peak_bytes, __ATOMIC_RELAXED);
	while (live > peak &&
	       !__atomic_compare_exchange_n(&mc->peak_bytes, &peak, live, true, __ATOMIC_RELAXED,
	                                    __ATOMIC_RELAXED))
		;
}

static void count_free(void *p)
{
	if (p == NULL)
		return;
	size_t n = malloc_usable_size(p);
	unsigned k = size_class(n);
	__atomic_sub_fetch(&mc->live_bytes, n, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&mc->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mc->total_frees, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&mc->cls[k][0], 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&mc->cls[k][1], n, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void mc_init(void)
{
	const char *path = getenv("MALLOC_COUNT_FILE");
	if (path == NULL || *path == '\0')
		return;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (ftruncate(fd, sizeof(struct mc_file)) != 0) {
		close(fd);
		return;
	}
	void *m = mmap(NULL, sizeof(struct mc_file), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	/* Still one thread here: carry over what was counted before. */
	memcpy(m, &boot, sizeof(boot));
	mc = m;
}

void *malloc(size_t n)
{
	void *p = __libc_malloc(n);
	count_alloc(p);
	return p;
}

void *calloc(size_t n, size_t m)
{
	void *p = __libc_calloc(n, m);
	count_alloc(p);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	size_t old = malloc_usable_size(p);
	void *q = __libc_realloc(p, n);
	if (q == NULL)
		return NULL;
	/* p is gone; account it as a free of its old size and a new block */
	unsigned k = size_class(old);
	__atomic_sub_fetch(&mc->live_bytes, old, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&mc->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mc->total_frees, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&mc->cls[k][0], 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&mc->cls[k][1], old, __ATOMIC_RELAXED);
	count_alloc(q);
	return q;
}

void free(void *p)
{
	count_free(p);
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);
	count_alloc(p);
	return p;
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return 22;   /* EINVAL */
	void *p = memalign(align, n);
	if (p == NULL)
		return 12;   /* ENOMEM */
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

void *pvalloc(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return memalign(page, (n + page - 1) / page * page);
}
