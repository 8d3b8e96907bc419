/* x509: certificates, certification requests and CRLs built with OpenSSL's X509
 * API and signed by a key that stays in a token; and the script parameters that
 * describe them (profiles, subject, validity, extensions, signature algorithm).
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
 *      it byte for byte, and its signature must verify with the signer's public key
 *      as the token exported it.
 * Nothing is returned unless step 4 holds, so nothing unverified is ever written.
 *
 * Ownership: struct x509_key owns its spki and pkey (x509_key_free); output bufs are
 * appended to and owned by the caller; every const char * in the specs is borrowed
 * (from the script's document) and must outlive the call.
 */
#ifndef CER_X509_H
#define CER_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "buf.h"
#include "err.h"
#include "token.h"
#include "ynode.h"

/* --- signature algorithms ------------------------------------------------- */

enum x509_hash { X509_HASH_DEFAULT = 0, X509_HASH_NONE, X509_HASH_SHA256, X509_HASH_SHA384, X509_HASH_SHA512 };
enum x509_padding { X509_PAD_DEFAULT = 0, X509_PAD_PKCS1, X509_PAD_PSS };

/* What the script's `signature: {hash: sha384, padding: pss}` says; DEFAULT fields
 * are filled by x509_sigalg_resolve from the key's algorithm. */
struct x509_sigalg {
	enum x509_hash hash;
	enum x509_padding padding;   /* RSA only */
};

/* Fills sa's defaults for a key algorithm as tok_key_find names it ("ec-p256",
 * "ec-p384", "ec-p521", "ed25519", "rsa-3072", "rsa-BITS") and refuses a choice that
 * does not fit it: each EC curve takes its own hash (P-256 SHA-256, P-384 SHA-384,
 * P-521 SHA-512), Ed25519 takes none, RSA takes SHA-256/384/512 with PKCS#1 v1.5
 * (default) or PSS. Code "x509"; the message names the algorithm and the fix. */
int x509_sigalg_resolve(const char *key_algorithm, struct x509_sigalg *sa, struct err *e) CER_MUST_CHECK;
/* The mechanism x509_sign uses for a resolved choice: CKM_ECDSA, CKM_EDDSA,
 * CKM_RSA_PKCS or CKM_RSA_PKCS_PSS; 0 for an unknown key algorithm. */
CK_MECHANISM_TYPE x509_sigalg_mech(const char *key_algorithm, const struct x509_sigalg *sa);
/* "ecdsa-with-SHA384", "Ed25519", "sha256WithRSAEncryption", "RSASSA-PSS-SHA256"... */
const char *x509_sigalg_label(const char *key_algorithm, const struct x509_sigalg *sa);
const char *x509_hash_name(enum x509_hash h);   /* "sha384"; "none"; "default" */

/* --- a signing key in a token ---------------------------------------------- */

struct x509_key {
	struct tok_session *sess;     /* borrowed: logged in, for C_Sign and C_GenerateRandom */
	CK_OBJECT_HANDLE priv, pub;
	char algorithm[32];           /* as tok_key_find names it */
	struct buf spki;              /* SubjectPublicKeyInfo DER, from the token's public key */
	EVP_PKEY *pkey;               /* spki parsed: what every signature is verified with */
};

/* Finds the key pair labelled label (tok_key_find), exports its public key
 * (tok_public_spki) and checks the two agree on the algorithm. Zero-initialise k. */
int x509_key_load(struct tok_session *s, const char *label, struct x509_key *k, struct err *e) CER_MUST_CHECK;
void x509_key_free(struct x509_key *k);   /* leaves k zeroed; safe on a zeroed key */
/* x509_key_load, then: the key must be of the algorithm the script says (script_alg;
 * NULL when the script cannot know, e.g. a key from an earlier ceremony), and sa is
 * resolved for the key's real algorithm, so a token key is held to the same rules
 * at run time as a generated one is at load time. */
int x509_key_open(struct tok_session *s, const char *label, const char *script_alg, struct x509_sigalg *sa,
		  struct x509_key *k, struct err *e) CER_MUST_CHECK;

/* Signs data in the token as X.509 wants the signature value: ECDSA over a software
 * digest (CKM_ECDSA), r||s re-encoded as DER Ecdsa-Sig-Value (RFC 5480 §2.2 / RFC 3279
 * §2.2.3); Ed25519 over the whole data (CKM_EDDSA, RFC 8410 §6); RSA-PSS over the
 * digest with matching CK_RSA_PKCS_PSS_PARAMS and salt = hash length (RFC 4055 §3.1);
 * RSA PKCS#1 v1.5 over DigestInfo (CKM_RSA_PKCS, RFC 8017 §9.2). sa must be resolved.
 * The signature is appended to sig. */
int x509_sign(const struct x509_key *k, const struct x509_sigalg *sa, const uint8_t *data, size_t len,
	      struct buf *sig, struct err *e) CER_MUST_CHECK;
/* Checks a signature in software with OpenSSL, as a relying party would: 1 valid,
 * 0 not valid (a malformed signature too), -1 when the check could not be made. */
/* A name as one line, RFC 2253 order and escaping (CN first), UTF-8 shown as is: the
 * one way names are written to the room and the transcript. Returns out. */
const char *x509_name_text(const X509_NAME *n, char *out, size_t cap);
int x509_verify_data(EVP_PKEY *pub, const struct x509_sigalg *sa, const uint8_t *sig, size_t sig_len,
		     const uint8_t *data, size_t len, struct err *e);

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
/* Parses a DER (or PEM) request and verifies its signature with its own key
 * (proof of possession, RFC 2986 §3). */
int x509_csr_verify(const uint8_t *data, size_t len, struct err *e) CER_MUST_CHECK;
/* A v2 CRL (RFC 5280 §5) of issuer, signed by issuer_key: AKI, cRLNumber, and the
 * revoked serials with dates and reasons, or none (revokedCertificates absent). */
int x509_crl_create(const struct x509_crl_spec *spec, const uint8_t *issuer, size_t issuer_len,
		    const struct x509_key *issuer_key, const struct x509_sigalg *sa, int64_t now, struct buf *der,
		    struct err *e) CER_MUST_CHECK;

/* --- reading back ---------------------------------------------------------- */

struct x509_info {
	char serial[2 * 20 + 1];          /* certificate: upper-case hex */
	char subject[512], issuer[512];   /* one line, RFC 2253 order, UTF-8 kept */
	char not_before[24], not_after[24];   /* certificate: ISO 8601 UTC; CRL: this/next update */
	int64_t t_not_before, t_not_after;
	char ski[2 * 64 + 1], aki[2 * 64 + 1];   /* hex; "" when absent */
	int pathlen;                      /* -1 when absent or not a CA */
	bool ca;
	char number[2 * 20 + 1];          /* CRL: cRLNumber, decimal */
	size_t n_revoked;                 /* CRL */
	char sha256[65];                  /* of the DER */
	char public_key_sha256[65];       /* certificate, CSR: of the SubjectPublicKeyInfo DER */
};
int x509_cert_info(const uint8_t *der, size_t len, struct x509_info *out, struct err *e) CER_MUST_CHECK;
int x509_csr_info(const uint8_t *der, size_t len, struct x509_info *out, struct err *e) CER_MUST_CHECK;
int x509_crl_info(const uint8_t *der, size_t len, struct x509_info *out, struct err *e) CER_MUST_CHECK;
/* PEM of DER with the label type ("CERTIFICATE", "CERTIFICATE REQUEST", "X509 CRL"). */
int x509_pem(const char *type, const uint8_t *der, size_t len, struct buf *out, struct err *e) CER_MUST_CHECK;
/* Accepts DER or PEM of label type; *der is data itself or a malloc'ed copy (*owned). */
int x509_der_of(const char *type, const uint8_t *data, size_t len, uint8_t **der, size_t *der_len, bool *owned,
		struct err *e) CER_MUST_CHECK;

/* A certificate serial number in hex (colons and blanks allowed) as the DER INTEGER's
 * content octets: positive, not zero, at most 20 octets (RFC 5280 §4.1.2.2). */
int x509_serial_parse(const char *hex, uint8_t out[20], size_t *len) CER_MUST_CHECK;

/* --- time --- */

/* "2026-11-22T00:00:00Z" (exactly this form: UTC, seconds, Z). */
int x509_time_parse(const char *s, int64_t *t) CER_MUST_CHECK;
void x509_time_format(int64_t t, char out[24]);

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

/* --- script parameters (errors are positioned, code of the document) --- */

/* subject: {CN: Example Root CA, O: Example Inc., C: US} in the order written; a list
 * value gives several attributes of one type (OU: [A, B]). Each is checked by
 * building it (country two letters, lengths of RFC 5280 Appendix A...). */
int x509_parse_subject(const struct ydoc *d, const struct ynode *n, struct x509_rdn *out, size_t *n_out,
		       struct err *e) CER_MUST_CHECK;
/* signature: {hash: sha256|sha384|sha512, padding: pkcs1|pss}; n may be NULL (defaults). */
int x509_parse_sigalg(const struct ydoc *d, const struct ynode *n, struct x509_sigalg *sa, struct err *e) CER_MUST_CHECK;
/* The certificate keys of a step map: profile, subject, validity_days | not_before +
 * not_after, pathlen, crl_distribution_points, authority_info_access {ocsp,
 * ca_issuers}, certificate_policies, extended_key_usage, allow_csr_extensions.
 * self_signed (cert.self_signed): subject required, profile defaults to root-ca, no
 * allow_csr_extensions. Otherwise (cert.issue): profile required (an issued CA's tier
 * is a deliberate choice), subject optional (the CSR's). pathlen defaults per tier
 * (root none, subordinate 1, issuing 0) and must fit it (x509_pathlen_problem). */
int x509_parse_cert_spec(const struct ydoc *d, const struct ynode *step, const char *step_id, bool self_signed,
			 struct x509_cert_spec *spec, struct err *e) CER_MUST_CHECK;

/* What the PKI step types (steps/cert_self_signed.c, csr_create.c, cert_issue.c,
 * crl_create.c) keep as their step->priv (one allocation, freed with free()), so that a
 * later step can check itself against an earlier one at load time. */
struct x509_step {
	/* the key that signs: the subject's (csr.create, cert.self_signed) or the issuer's */
	const char *key_token, *key_label;
	const char *key_algorithm;     /* NULL when only the token knows (a key from an earlier ceremony) */
	struct x509_sigalg sigalg;     /* resolved when key_algorithm is known */
	/* the key a certificate or request certifies, when the script says which */
	const char *subject_token, *subject_label;
	const char *subject_algorithm;   /* NULL when not known from the script */
	/* cert.issue, crl.create */
	const char *issuer_step;       /* the step whose `certificate` is the issuer's */
	/* cert.issue */
	const char *csr_step;          /* the step whose `csr` is the request, or NULL */
	const char *csr_file;          /* or a request file (absolute, or relative to the script) */
	struct x509_cert_spec cert;    /* cert.self_signed, cert.issue; csr.create uses the subject */
	struct x509_crl_spec crl;      /* crl.create */
	/* crl.create: revoked[i] names a certificate made in this run (its serial is read then) */
	const char *revoked_cert_step[X509_MAX_REVOKED];
};

#endif
