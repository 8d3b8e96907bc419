/* failalloc: allocation-failure injection for tests (TEST-ONLY; never linked into
 * or installed with ceremony).
 *
 * tests/tools/failalloc.c defines malloc, calloc, realloc, reallocarray, free,
 * strdup and strndup. Linked into a test program (or LD_PRELOADed) those
 * definitions come first in symbol lookup, so every allocation of the program goes
 * through them: the runner's own, libcbor's, libyaml's (it allocates with malloc,
 * realloc and strdup), libgfshare's and OpenSSL's (CRYPTO_malloc calls malloc).
 * Debian's libcbor is built without CBOR_CUSTOM_ALLOC, so this is the only way to
 * reach its allocations. Everything is forwarded to glibc's __libc_* functions.
 *
 * Between failalloc_start(n) and failalloc_stop() allocations are counted from 1;
 * the nth fails (returns NULL, errno ENOMEM) and the others pass, so the code after
 * a failure runs with a working allocator, as after a transient failure. Blocks
 * allocated in that window and not freed in it are leaks: failalloc_stop counts
 * them and names the first one's caller. One exception: a library's cache that
 * replaces an entry (OpenSSL's method store does, when a fetch missed its cache
 * because an allocation failed) frees an older block and keeps a new one of the
 * same size; such a pair is counted as `replaced`, not as a leak. Nor is a block
 * allocated directly by a function named with failalloc_state (a library's state
 * kept across calls, such as the text buffer of an OpenSSL error-queue slot). Not thread-safe (the unit tests are not
 * threaded) and not for ASan builds, whose allocator must own every block.
 *
 * FAILALLOC_N=n in the environment arms the window from the program's start
 * (for an LD_PRELOADed run of the ceremony binary: does it fail cleanly?).
 */
#ifndef CER_FAILALLOC_H
#define CER_FAILALLOC_H

#include <stdbool.h>
#include <stddef.h>

struct failalloc_stats {
	unsigned long allocs;    /* allocations counted in the window, the failed one included */
	bool injected;           /* the nth allocation was reached and failed */
	void *failed_caller;     /* return address of the call that failed */
	size_t leaks;            /* blocks allocated in the window and still live, less replaced */
	size_t leaked_bytes;
	void *leak_caller;       /* return address of the first leaked block's allocation */
	size_t leak_size;
	size_t freed_older;      /* blocks from before the window freed (or moved by realloc) in it */
	size_t replaced;         /* live blocks matched by an older block of the same size freed */
	size_t state;            /* live blocks from a failalloc_state function */
};

/* Blocks that function (its exported name, e.g. "ERR_add_error_vdata") allocates
 * are its library's lasting state, not leaks. Up to 8 names. */
void failalloc_state(const char *function);

/* Opens the window: counting starts at 0 and allocation n fails (n == 0: none). */
void failalloc_start(unsigned long n);
/* Closes the window and reports it. Leak tracking ends with it. */
void failalloc_stop(struct failalloc_stats *st);
/* "libcbor.so.0.8(cbor_load+0x1c)" for a caller address, into buf. Returns buf. */
const char *failalloc_where(void *addr, char *buf, size_t cap);

#endif
