/* ossl: the one guard for OpenSSL's "1 is success" convention.
 *
 * Most OpenSSL setters and checks return 1 on success and 0 or -1 on failure, with
 * the reason left on OpenSSL's thread-local error queue. ossl_rc converts such a
 * return value into the runner's convention once, so no call site writes `!= 1`
 * followed by err_openssl:
 *
 *     if (ossl_rc(X509_set_version(x, X509_VERSION_3), e, "building the certificate"))
 *             goto out;
 *
 * ossl_ptr does the same for a constructor that returns NULL on failure. Calls with
 * other conventions (a length > 0, a verdict such as X509_verify's where "not valid"
 * is an answer and not a failure) are not for them.
 */
#ifndef CER_OSSL_H
#define CER_OSSL_H

#include <openssl/opensslv.h>
#include "err.h"

/* ML-DSA (FIPS 204) in OpenSSL's default provider: 3.5 and later (Debian 13). An
 * older build refuses ML-DSA certificates before any step acts. */
#define CER_HAVE_MLDSA (OPENSSL_VERSION_NUMBER >= 0x30500000L)

/* 0 when rc is 1; otherwise -1 with OpenSSL's queue drained into e (err_openssl:
 * code ERR_CRYPTO, "what: OpenSSL's reasons"). */
static inline CER_MUST_CHECK int ossl_rc(int rc, struct err *e, const char *what)
{
	return rc == 1 ? 0 : err_openssl(e, what);
}

/* The same for OpenSSL's other convention, a constructor or parser that returns NULL
 * on failure: 0 when p is not NULL, else -1 with the queue drained into e. */
static inline CER_MUST_CHECK int ossl_ptr(const void *p, struct err *e, const char *what)
{
	return p ? 0 : err_openssl(e, what);
}

#endif
