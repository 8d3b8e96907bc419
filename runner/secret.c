#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "secret.h"

enum { SECRET_HEAP_SIZE = 1 << 16 };

/* Secrets get pages of their own: mlock keeps them out of swap and
 * MADV_DONTDUMP out of core files, which malloc'ed memory cannot promise. */
static size_t page_round(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t p = pg > 0 ? (size_t)pg : 4096;
	return (n + p - 1) / p * p;
}

struct secret *secret_new(size_t cap, struct err *e)
{
	struct secret *s = calloc(1, sizeof *s);
	if (!s) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	size_t map = page_round(cap + 1);
	void *p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(s);
		err_errno(e, "cannot map memory for a secret");
		return NULL;
	}
	if (mlock(p, map) != 0) {
		err_errno(e, "cannot lock memory for a secret (raise RLIMIT_MEMLOCK)");
		munmap(p, map);
		free(s);
		return NULL;
	}
	(void)madvise(p, map, MADV_DONTDUMP);
	s->p = p;
	s->cap = cap;
	s->len = 0;
	return s;
}

void secret_free(struct secret *s)
{
	if (!s)
		return;
	size_t map = page_round(s->cap + 1);
	OPENSSL_cleanse(s->p, map);
	munlock(s->p, map);
	munmap(s->p, map);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

int secret_random(struct secret *s, size_t len, struct err *e)
{
	if (len > s->cap)
		return err_set(e, ERR_INTERNAL, "secret buffer too small (%zu > %zu)", len, s->cap);
	if (RAND_priv_bytes(s->p, (int)len) != 1)
		return err_openssl(e, "cannot draw random bytes");
	s->len = len;
	s->p[len] = 0;
	return 0;
}

int secret_set(struct secret *s, const void *data, size_t len, struct err *e)
{
	if (len > s->cap)
		return err_set(e, ERR_INPUT, "secret too long (%zu bytes, at most %zu)", len, s->cap);
	memcpy(s->p, data, len);
	OPENSSL_cleanse(s->p + len, s->cap - len);
	s->len = len;
	s->p[len] = 0;
	return 0;
}

struct secret *secret_new_pin(struct err *e)
{
	static const char hex[] = "0123456789abcdef";
	struct secret *raw = secret_new(16, e), *pin = NULL;
	if (!raw || secret_random(raw, 16, e))
		goto out;
	if (!(pin = secret_new(64, e)))
		goto out;
	for (size_t i = 0; i < raw->len; i++) {
		pin->p[2 * i] = (uint8_t)hex[raw->p[i] >> 4];
		pin->p[2 * i + 1] = (uint8_t)hex[raw->p[i] & 15];
	}
	pin->len = 2 * raw->len;
	pin->p[pin->len] = 0;
out:
	secret_free(raw);
	return pin;
}

void secret_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

int secret_process_harden(struct err *e)
{
	struct rlimit rl = {0, 0};
	/* OpenSSL's secure heap is mlock'ed and excluded from core dumps; private keys
	 * OpenSSL holds (the in-memory audit key) are allocated there once it exists.
	 * CRYPTO_secure_malloc_init returns 2 when the heap was made but could not be
	 * locked or kept out of core dumps: that is a failure here, and the half-made
	 * heap is undone so a later call does not take it for a working one. */
	if (!CRYPTO_secure_malloc_initialized()) {
		int rc = CRYPTO_secure_malloc_init(SECRET_HEAP_SIZE, 32);
		if (rc != 1) {
			if (rc == 2)
				(void)CRYPTO_secure_malloc_done();
			return err_set(e, ERR_CRYPTO,
				       "OpenSSL's secure heap (%d KiB) could not be %s (raise the locked-memory limit, "
				       "ulimit -l, to at least %d KiB)",
				       SECRET_HEAP_SIZE / 1024, rc == 2 ? "locked in memory" : "made",
				       2 * SECRET_HEAP_SIZE / 1024);
		}
	}
	/* No core dumps and no ptrace by other users' tools: secrets in memory stay there. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return err_errno(e, "cannot make the process non-dumpable (prctl PR_SET_DUMPABLE)");
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return err_errno(e, "cannot turn core dumps off (setrlimit RLIMIT_CORE)");
	return 0;
}
