/* rfc5280: a CA certificate chain and its CRLs checked as a relying party would and
 * against the CA profile the ceremony builds (seed 004 §7): OpenSSL's own path
 * validation in strict mode (RFC 5280 §6), then, certificate by certificate, strict
 * DER, version, issuer/subject linkage, signature, validity nesting,
 * basicConstraints and pathlen, keyUsage exactly keyCertSign + cRLSign, key
 * identifiers, signature algorithm, and the URIs of cRLDistributionPoints and
 * authorityInfoAccess; then each CRL's issuer, signature, version, AKI, cRLNumber,
 * currency, algorithm and entries.
 *
 * Every check is reported as it is made, with its Expected and Actual, through the
 * caller's report function (the chain.verify step records them); a check that does
 * not hold is counted, not an error. An error is only what stops the checking (the
 * report function's, or OpenSSL failing to set up).
 *
 * Ownership: everything given is borrowed for the call.
 */
#ifndef CER_RFC5280_H
#define CER_RFC5280_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "x509.h"
#include "x509_read.h"

enum {
	RFC5280_MAX_CHAIN = 8,
	RFC5280_MAX_CRLS = 8,
	RFC5280_MAX_URIS = X509_MAX_LIST,
	RFC5280_ISSUER_BY_NAME = RFC5280_MAX_CHAIN,   /* a CRL's issuer: the chain's certificate of its name */
};
/* pathlen expectations besides a number */
enum { RFC5280_PATHLEN_ABSENT = -1, RFC5280_PATHLEN_ANY = -2 };

/* What one certificate of the chain must say. */
struct rfc5280_cert_want {
	long pathlen;             /* >= 0, RFC5280_PATHLEN_ABSENT or RFC5280_PATHLEN_ANY */
	/* URIs the certificate must carry, exactly these (none given: not checked) */
	const char *crl_dp[RFC5280_MAX_URIS], *ocsp[RFC5280_MAX_URIS], *ca_issuers[RFC5280_MAX_URIS];
	size_t n_crl_dp, n_ocsp, n_ca_issuers;
};

/* What one CRL must say. */
struct rfc5280_crl_want {
	size_t issuer;            /* index into the chain, or RFC5280_ISSUER_BY_NAME */
	long revoked;             /* entries expected, or -1: not checked */
};

struct rfc5280_chain {
	struct {
		const char *id;                        /* names it in the checks (the step that made it) */
		const struct x509_obj *obj;            /* X509_OBJ_CERT */
		const struct rfc5280_cert_want *want;
	} certs[RFC5280_MAX_CHAIN];                    /* root first */
	size_t n;                                      /* 1 to RFC5280_MAX_CHAIN */
	struct {
		const char *id;
		const struct x509_obj *obj;            /* X509_OBJ_CRL */
		const struct rfc5280_crl_want *want;
	} crls[RFC5280_MAX_CRLS];
	size_t n_crls;
	/* every certificate's key ("ec-p384", x509_pubkey_name) and every signature's
	 * algorithm ("ecdsa-with-SHA384", x509_alg_name); NULL: not checked */
	const char *key_algorithm, *signature_algorithm;
};

/* One check as it is made: subject names what is checked (an id), what the check;
 * non-zero stops the checking with e set. */
typedef int (*rfc5280_report_fn)(void *ctx, const char *subject, const char *what, const char *expected,
				 const char *actual, bool held, struct err *e);

struct rfc5280_result {
	bool valid;               /* OpenSSL validated the chain and built exactly the one given */
	unsigned failed;          /* checks that did not hold (0: the profile holds too) */
	long crl_entries[RFC5280_MAX_CRLS];   /* revoked entries of each CRL */
};

/* Checks chain, reporting every check; 0 when all checks were made (held or not). */
int rfc5280_check(const struct rfc5280_chain *chain, rfc5280_report_fn report, void *ctx,
		  struct rfc5280_result *out, struct err *e) CER_MUST_CHECK;

#endif
