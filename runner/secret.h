/* secret: the one buffer type for secrets (PINs, shares, wrap keys, the audit key).
 *
 * Memory is mmap'ed, mlock'ed and marked MADV_DONTDUMP, so it is never swapped
 * and never lands in a core dump; secret_free wipes with OPENSSL_cleanse on every
 * path. secret_process_harden() makes the process non-dumpable (PR_SET_DUMPABLE 0)
 * and is called by main before a command that holds secrets, which does not run
 * when it fails.
 * Ownership: secret_new returns a buffer the caller frees with secret_free;
 * secret_free(NULL) is a no-op.
 */
#ifndef CER_SECRET_H
#define CER_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct secret {
	uint8_t *p;   /* cap bytes of locked memory; p[len] is kept 0 so text secrets are C strings */
	size_t len;
	size_t cap;
};

struct secret *secret_new(size_t cap, struct err *e) CER_MUST_CHECK;
void secret_free(struct secret *s);
/* Fills the buffer with len random bytes from OpenSSL's RAND_priv_bytes. */
int secret_random(struct secret *s, size_t len, struct err *e) CER_MUST_CHECK;
/* Copies text into s (fails if it does not fit). */
int secret_set(struct secret *s, const void *data, size_t len, struct err *e) CER_MUST_CHECK;
/* Wipes any plain memory that held a secret (OPENSSL_cleanse, cannot be optimised away). */
void secret_wipe(void *p, size_t len);
/* Protects the secrets the process will hold: OpenSSL's secure heap (locked, kept
 * out of core dumps), not dumpable (PR_SET_DUMPABLE 0: no core file, no ptrace by
 * the same user), no core files (RLIMIT_CORE 0). Fails, saying which and what to do,
 * when any of them cannot be had: a command that holds secrets must then not run
 * (fail closed; main refuses run and rehearse). */
int secret_process_harden(struct err *e) CER_MUST_CHECK;
/* A generated PIN: 16 random bytes (RAND_priv_bytes) as 32 lower-case hex characters,
 * made and kept only in locked memory. Caller frees with secret_free. */
struct secret *secret_new_pin(struct err *e) CER_MUST_CHECK;

#endif
