/* x509_read: certificates, requests, CRLs and public keys read back, in DER or PEM
 * (pem.h), into OpenSSL objects and into the text the room and the transcript see:
 * names in one line, times in ISO 8601, serials, key identifiers and fingerprints.
 * What the PKI steps make is read back with it before it is written, and what the
 * steps that look inside artifacts (fingerprint, artifact.export, chain.verify,
 * verify, key.restore) are given is recognised with it.
 *
 * Ownership: x509_obj_parse fills a caller-owned struct x509_obj and x509_obj_free
 * releases what it holds (a zeroed one is fine to free); x509_read_cert and
 * x509_read_req return objects the caller frees (X509_free, X509_REQ_free); text
 * goes into caller buffers, which are returned.
 */
#ifndef CER_X509_READ_H
#define CER_X509_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "buf.h"
#include "err.h"

/* --- one object of a known kind ------------------------------------------- */

/* The DER certificate der (exactly; nothing after it), or NULL with code "crypto"
 * ("not a DER certificate") wrapped in what ("the issuer certificate"). */
X509 *x509_read_cert(const uint8_t *der, size_t len, const char *what, struct err *e);
/* A DER or PEM PKCS#10 request, or NULL (code "crypto", or "x509" for another PEM label). */
X509_REQ *x509_read_req(const uint8_t *data, size_t len, struct err *e);
/* RFC 2986 §3: the request's signature verifies with the key it carries (proof of
 * possession); code "x509" when it does not. */
int x509_req_verify(X509_REQ *r, struct err *e) CER_MUST_CHECK;
/* x509_read_req, then x509_req_verify. */
int x509_csr_verify(const uint8_t *data, size_t len, struct err *e) CER_MUST_CHECK;

/* What the PKI steps output of what they made. */
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

/* --- an object of any kind -------------------------------------------------- */

enum x509_obj_kind { X509_OBJ_UNKNOWN, X509_OBJ_CERT, X509_OBJ_CRL, X509_OBJ_CSR, X509_OBJ_PUBKEY };

struct x509_obj {
	enum x509_obj_kind kind;
	bool was_pem;          /* the input was PEM text */
	X509 *cert;            /* one of these four, by kind */
	X509_CRL *crl;
	X509_REQ *csr;
	EVP_PKEY *pub;         /* X509_OBJ_PUBKEY: the key; X509_OBJ_CERT: the certificate's key (also set) */
	struct buf der;        /* the DER encoding exactly as it was made */
};

/* Recognises data as a certificate, CRL, CSR or SubjectPublicKeyInfo, DER or PEM (one
 * PEM block). Anything else (a raw signature) is X509_OBJ_UNKNOWN and not an error:
 * the caller decides. Fails (code "crypto") only when data says PEM but cannot be read. */
int x509_obj_parse(const uint8_t *data, size_t len, struct x509_obj *o, struct err *e) CER_MUST_CHECK;
void x509_obj_free(struct x509_obj *o);
/* "certificate", "CRL", "certificate request", "public key", "unknown" */
const char *x509_obj_kind_name(enum x509_obj_kind k);
/* PEM label: "CERTIFICATE", "X509 CRL", "CERTIFICATE REQUEST", "PUBLIC KEY"; NULL for unknown. */
const char *x509_obj_pem_label(enum x509_obj_kind k);
/* The DER of o as PEM text (pem_write), appended to out. */
int x509_obj_pem(const struct x509_obj *o, struct buf *out, struct err *e) CER_MUST_CHECK;
/* Whether o's signature verifies with key: a certificate's or CRL's issuer key; for a
 * CSR, NULL (its own key). YES, NO, or ERROR (e set: no key, an algorithm this
 * OpenSSL cannot verify). */
enum err_answer x509_obj_signed_by(const struct x509_obj *o, EVP_PKEY *key, struct err *e);
/* o's issuer (a certificate, a CRL) and subject (a certificate, a CSR) as x509_name_text
 * writes them; "" where o has none. */
void x509_obj_names(const struct x509_obj *o, char *issuer, size_t icap, char *subject, size_t scap);

/* --- text ------------------------------------------------------------------- */

/* A name as one line, RFC 2253 order and escaping (CN first), UTF-8 shown as is: the
 * one way names are written to the room and the transcript ("(unreadable name)" for
 * NULL). Returns out. */
const char *x509_name_text(const X509_NAME *n, char *out, size_t cap);
/* A key's algorithm in the names key.generate takes: "ec-p256", "ec-p384", "ec-p521",
 * "ed25519", "rsa-BITS"; otherwise OpenSSL's name of it; "(none)" for NULL. Returns buf. */
const char *x509_pubkey_name(EVP_PKEY *k, char *buf, size_t len);
/* An algorithm identifier's name ("ecdsa-with-SHA384"), or its OID when OpenSSL has no
 * name for it. Returns buf. */
const char *x509_alg_name(const X509_ALGOR *a, char *buf, size_t len);
/* An ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ" (or "(none)"). Returns buf. */
const char *x509_asn1_time_text(const ASN1_TIME *t, char *buf, size_t len);
/* An ASN1_TIME as seconds since the epoch; 0 for NULL or unreadable. */
int64_t x509_asn1_time(const ASN1_TIME *t);

/* "2026-11-22T00:00:00Z" (exactly this form: UTC, seconds, Z). */
int x509_time_parse(const char *s, int64_t *t) CER_MUST_CHECK;
void x509_time_format(int64_t t, char out[24]);

#endif
