/* failalloc: fails the nth allocation and finds leaks (TEST-ONLY). See failalloc.h. */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "failalloc.h"

/* glibc's own allocator, which these definitions forward to (exported for exactly
 * this: replacing malloc while keeping it, glibc manual "Replacing malloc"). */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

/* The interposed functions are defined here without prototypes of their own in
 * scope beyond stdlib.h/string.h; these say they are meant to be global. */
void *reallocarray(void *p, size_t n, size_t size);

/* Blocks allocated in the window: open addressing, linear probing, deletion by
 * backward shift (so no tombstones). Static: the table cannot allocate. */
enum { SLOTS = 1 << 18, MAX_LIVE = SLOTS / 2 };
struct slot {
	void *p;
	void *caller;
	size_t size;
	unsigned long seq;
};
static struct slot table[SLOTS];
static size_t live;

/* Usable sizes of the older blocks freed in the window, for `replaced`. */
enum { OLDER_MAX = 256 };
static size_t older[OLDER_MAX];

static const char *state_fns[8];
static size_t n_state_fns;

static bool armed;
static unsigned long count, fail_at;
static struct failalloc_stats cur;

static size_t slot_of(const void *p)
{
	uintptr_t h = (uintptr_t)p;
	h ^= h >> 17;
	h *= 0xed5ad4bbU;
	h ^= h >> 11;
	return (size_t)h & (SLOTS - 1);
}

static void track(void *p, size_t size, void *caller)
{
	size_t i = slot_of(p);
	if (live >= MAX_LIVE) {
		static const char msg[] = "failalloc: too many live blocks in the window\n";
		fwrite(msg, 1, sizeof msg - 1, stderr);
		abort();
	}
	while (table[i].p)
		i = (i + 1) & (SLOTS - 1);
	table[i] = (struct slot){p, caller, size, count};
	live++;
}

/* Removes p if it was allocated in the window; false if it was not. */
static bool untrack(const void *p)
{
	size_t i = slot_of(p), j;
	while (table[i].p && table[i].p != p)
		i = (i + 1) & (SLOTS - 1);
	if (!table[i].p)
		return false;
	table[i].p = NULL;
	live--;
	/* Backward shift: move later entries of the run up into the hole when their
	 * home slot does not lie (cyclically) between the hole and them. */
	j = i;
	for (;;) {
		j = (j + 1) & (SLOTS - 1);
		if (!table[j].p)
			break;
		size_t k = slot_of(table[j].p);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			table[i] = table[j];
			table[j].p = NULL;
			i = j;
		}
	}
	return true;
}

/* Counts one allocation; true when this one is to fail. */
static bool should_fail(void *caller)
{
	if (!armed)
		return false;
	count++;
	if (fail_at && count == fail_at) {
		cur.injected = true;
		cur.failed_caller = caller;
		errno = ENOMEM;
		return true;
	}
	return false;
}

/* A block from before the window given back in it (noinline: a place to break). */
__attribute__((noinline)) static void older_freed(void *p)
{
	if (cur.freed_older < OLDER_MAX)
		older[cur.freed_older] = malloc_usable_size(p);
	cur.freed_older++;
}

static void *got(void *p, size_t size, void *caller)
{
	if (p && armed)
		track(p, size, caller);
	return p;
}

void *malloc(size_t n)
{
	void *caller = __builtin_return_address(0);
	if (should_fail(caller))
		return NULL;
	return got(__libc_malloc(n), n, caller);
}

void *calloc(size_t n, size_t size)
{
	void *caller = __builtin_return_address(0);
	if (should_fail(caller))
		return NULL;
	return got(__libc_calloc(n, size), n * size, caller);
}

void *realloc(void *p, size_t n)
{
	void *caller = __builtin_return_address(0), *q;
	bool mine;
	if (p && n == 0) {
		if (armed)
			(void)untrack(p);
		return __libc_realloc(p, 0);
	}
	if (should_fail(caller))
		return NULL;
	q = __libc_realloc(p, n);
	if (!q || !armed)
		return q;
	/* A block from before the window stays outside it when it moves. */
	mine = !p || untrack(p);
	if (p && !mine && q != p)
		older_freed(p);
	if (mine)
		track(q, n, caller);
	return q;
}

void *reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}

void free(void *p)
{
	if (p && armed && !(live && untrack(p)))
		older_freed(p);
	__libc_free(p);
}

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	void *caller = __builtin_return_address(0);
	char *d;
	if (should_fail(caller))
		return NULL;
	if ((d = got(__libc_malloc(n), n, caller)))
		memcpy(d, s, n);
	return d;
}

char *strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	void *caller = __builtin_return_address(0);
	char *d;
	if (should_fail(caller))
		return NULL;
	if ((d = got(__libc_malloc(n + 1), n + 1, caller))) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

void failalloc_state(const char *function)
{
	if (n_state_fns < sizeof state_fns / sizeof state_fns[0])
		state_fns[n_state_fns++] = function;
}

static bool is_state(void *caller)
{
	Dl_info di;
	if (!n_state_fns || !caller || !dladdr(caller, &di) || !di.dli_sname)
		return false;
	for (size_t i = 0; i < n_state_fns; i++)
		if (!strcmp(di.dli_sname, state_fns[i]))
			return true;
	return false;
}

void failalloc_start(unsigned long n)
{
	/* A window a crash left open (cmocka goes on to the next test) is closed first. */
	if (armed || live)
		failalloc_stop(NULL);
	memset(&cur, 0, sizeof cur);
	count = 0;
	fail_at = n;
	armed = true;
}

void failalloc_stop(struct failalloc_stats *st)
{
	unsigned long first = 0;
	armed = false;
	cur.allocs = count;
	cur.leaks = live;
	if (live) {
		for (size_t i = 0; i < SLOTS; i++) {
			if (!table[i].p)
				continue;
			if (is_state(table[i].caller)) {
				cur.state++;
				cur.leaks--;
				table[i].p = NULL;
				continue;
			}
			size_t us = malloc_usable_size(table[i].p), k;
			for (k = 0; k < cur.freed_older && k < OLDER_MAX && older[k] != us; k++)
				;
			if (k < cur.freed_older && k < OLDER_MAX) {
				older[k] = 0;   /* used up */
				cur.replaced++;
				cur.leaks--;
				table[i].p = NULL;
				continue;
			}
			cur.leaked_bytes += table[i].size;
			if (!first || table[i].seq < first) {
				first = table[i].seq;
				cur.leak_caller = table[i].caller;
				cur.leak_size = table[i].size;
			}
			table[i].p = NULL;
		}
		live = 0;
	}
	if (st)
		*st = cur;
}

const char *failalloc_where(void *addr, char *buf, size_t cap)
{
	Dl_info di;
	if (addr && dladdr(addr, &di) && di.dli_fname) {
		const char *lib = strrchr(di.dli_fname, '/');
		lib = lib ? lib + 1 : di.dli_fname;
		if (di.dli_sname)
			snprintf(buf, cap, "%s(%s+0x%tx)", lib, di.dli_sname, (char *)addr - (char *)di.dli_saddr);
		else
			snprintf(buf, cap, "%s(+0x%tx)", lib, (char *)addr - (char *)di.dli_fbase);
	} else {
		snprintf(buf, cap, "%p", addr);
	}
	return buf;
}

/* FAILALLOC_N=n: the window is open from the start (LD_PRELOAD use). */
__attribute__((constructor)) static void failalloc_env(void)
{
	const char *n = getenv("FAILALLOC_N");
	if (n && *n)
		failalloc_start(strtoul(n, NULL, 10));
}
