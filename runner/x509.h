/* x509: certificates, certification requests and CRLs built with OpenSSL's X509
 * API and signed by a key that stays in a token (x509_sign.h), with the CA profile
 * they are built to (extensions, names, validity, serials; RFC 5280).
 *
 * How a signature is made (the private key never leaves the token):
 *   1. the object is built with OpenSSL (X509, X509_REQ, X509_CRL);
 *   2. it is signed once with a throwaway in-memory key of the same type, digest and
 *      padding, only so that OpenSSL writes both AlgorithmIdentifiers (the one in
 *      the to-be-signed part and the outer one) exactly as it encodes them, RSASSA-PSS
 *      parameters included; that signature is discarded;
 *   3. the to-be-signed DER (i2d_re_*_tbs) is signed by the token (x509_sign);
 *   4. SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING signature } is assembled
 *      (RFC 5280 §4.1, §5.1; RFC 2986 §4.2), parsed back, its re-encoding must equal
 *      it byte for byte, it must be strict DER (der.h), and its signature must verify
 *      with the signer's public key as the token exported it.
 * Nothing is returned unless step 4 holds, so nothing unverified is ever written.
 * Reading the results back is x509_read.h's; the script's parameters for them are
 * parsed in steps/x509_params.h.
 *
 * Ownership: output bufs are appended to and owned by the caller; every const char *
 * in the specs is borrowed (from the script's document) and must outlive the call.
 */
#ifndef CER_X509_H
#define CER_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "x509_sign.h"

/* --- what to build ---------------------------------------------------------- */

enum {
	X509_MAX_RDN = 16,      /* attributes in a subject */
	X509_MAX_LIST = 8,      /* URIs, policies, extended key usages */
	X509_MAX_REVOKED = 100, /* a ceremony revokes a handful; bulk CRLs are the online CA's job */
};

/* One attribute of a distinguished name, as the script writes it: "CN", "O", ... */
struct x509_rdn {
	const char *type, *value;
};

/* The tiers of seed 003's hierarchy (root -> subordinate -> issuing -> leaf). */
enum x509_profile { X509_ROOT_CA = 0, X509_SUBORDINATE_CA, X509_ISSUING_CA };

/* validity_days (from the moment of signing), or not_before/not_after (UTC). */
struct x509_validity {
	uint64_t days;            /* 0 when dates are given */
	int64_t not_before, not_after;   /* seconds since the epoch, when days == 0 */
};

struct x509_cert_spec {
	enum x509_profile profile;
	struct x509_rdn subject[X509_MAX_RDN];
	size_t n_subject;         /* cert.issue: 0 takes the CSR's subject */
	struct x509_validity validity;
	int pathlen;              /* pathLenConstraint; -1 for none */
	const char *crl_dp[X509_MAX_LIST];
	size_t n_crl_dp;
	const char *ocsp[X509_MAX_LIST];
	size_t n_ocsp;
	const char *ca_issuers[X509_MAX_LIST];
	size_t n_ca_issuers;
	const char *policies[X509_MAX_LIST];   /* dotted OIDs */
	size_t n_policies;
	const char *eku[X509_MAX_LIST];        /* OpenSSL short names (serverAuth...) or dotted OIDs */
	size_t n_eku;
	bool allow_csr_extensions;             /* cert.issue: copy the CSR's requested extensions the profile does not set */
};

/* RFC 5280 §5.3.1 reason codes. */
struct x509_revoked {
	const char *serial_hex;   /* NULL when serial is set (from a certificate made in this run) */
	uint8_t serial[20];
	size_t serial_len;
	int reason;               /* CRLReason, -1 for no reasonCode extension */
	int64_t date;             /* revocationDate; 0 for thisUpdate */
};

struct x509_crl_spec {
	int64_t this_update;      /* 0 for the moment of signing */
	uint64_t next_update_days;   /* 0 when next_update is given */
	int64_t next_update;
	uint64_t number;          /* cRLNumber (RFC 5280 §5.2.3) */
	struct x509_revoked revoked[X509_MAX_REVOKED];
	size_t n_revoked;
};

/* A self-signed CA certificate (a trust anchor): issuer = subject, signed by key.
 * now is the moment of signing (validity_days counts from it). DER appended to der. */
int x509_cert_self_signed(const struct x509_cert_spec *spec, const struct x509_key *key,
			  const struct x509_sigalg *sa, int64_t now, struct buf *der, struct err *e) CER_MUST_CHECK;
/* A CA certificate for the subject and public key of a CSR, whose signature must
 * verify first; the CSR's requested extensions are ignored unless
 * spec->allow_csr_extensions. The issuer certificate must be a CA that may issue it
 * (keyCertSign, pathLenConstraint), its public key must be issuer_key's, and the new
 * validity must lie inside the issuer's. */
int x509_cert_issue(const struct x509_cert_spec *spec, const uint8_t *csr, size_t csr_len, const uint8_t *issuer,
		    size_t issuer_len, const struct x509_key *issuer_key, const struct x509_sigalg *sa, int64_t now,
		    struct buf *der, struct err *e) CER_MUST_CHECK;
/* A PKCS#10 request (RFC 2986) for subject, signed by key; no attributes. */
int x509_csr_create(const struct x509_rdn *subject, size_t n_subject, const struct x509_key *key,
		    const struct x509_sigalg *sa, struct buf *der, struct err *e) CER_MUST_CHECK;
/* A v2 CRL (RFC 5280 §5) of issuer, signed by issuer_key: AKI, cRLNumber, and the
 * revoked serials with dates and reasons, or none (revokedCertificates absent). */
int x509_crl_create(const struct x509_crl_spec *spec, const uint8_t *issuer, size_t issuer_len,
		    const struct x509_key *issuer_key, const struct x509_sigalg *sa, int64_t now, struct buf *der,
		    struct err *e) CER_MUST_CHECK;

/* --- names and extension values, checked as they will be built --------------- */

/* A subject attribute type the script may write ("CN", "O", "givenName", ...). */
bool x509_rdn_type_known(const char *type);
/* The i-th of those types, in table order; NULL past the end. Static. */
const char *x509_rdn_type_name(size_t i);
/* Builds r alone, as x509_cert_self_signed would: the type known, a country two
 * capital letters, the length bounds of RFC 5280 Appendix A, characters the string
 * type allows. Code "x509" with the reason. */
int x509_rdn_check(const struct x509_rdn *r, struct err *e) CER_MUST_CHECK;
/* An extendedKeyUsage purpose by its OpenSSL short name: serverAuth, clientAuth,
 * codeSigning, emailProtection, timeStamping, OCSPSigning. */
bool x509_eku_name_known(const char *s);
/* A dotted OID OpenSSL can encode. */
bool x509_oid_valid(const char *dotted);

/* A certificate serial number in hex (colons and blanks allowed) as the DER INTEGER's
 * content octets: positive, not zero, at most 20 octets (RFC 5280 §4.1.2.2). */
int x509_serial_parse(const char *hex, uint8_t out[20], size_t *len) CER_MUST_CHECK;

/* --- load-time checks (no token, no file) --- */

/* The validity window when signed at now. */
void x509_validity_window(const struct x509_validity *v, int64_t now, int64_t *not_before, int64_t *not_after);
/* NULL when pathlen fits the tier, else why: issuing-ca 0 only; subordinate-ca >= 1
 * (it certifies issuing CAs); root-ca none or >= 1. */
const char *x509_pathlen_problem(enum x509_profile p, int pathlen);
/* Seed 003's validity ranges (root 10-20 y, subordinate 5-10 y, issuing 1-3 y; a
 * year is 365 to 366 days): false when seconds fits, else true with a note in buf. */
bool x509_tier_note(enum x509_profile p, int64_t seconds, char *buf, size_t len);
const char *x509_profile_name(enum x509_profile p);   /* "root-ca"... */

#endif
