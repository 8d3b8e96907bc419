/* pki: reading the public artifacts steps make (certificates, CRLs, CSRs, public
 * keys, in DER or PEM) back into OpenSSL objects, for the step types that look
 * inside them: fingerprint, artifact.export, chain.verify, verify.
 *
 * Ownership: pki_parse fills a caller-owned struct pki_obj; pki_obj_free releases
 * what it holds (a zeroed struct is fine to free).
 */
#ifndef CER_STEPS_PKI_H
#define CER_STEPS_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "../runner/buf.h"
#include "../runner/err.h"

enum pki_kind { PKI_UNKNOWN, PKI_CERT, PKI_CRL, PKI_CSR, PKI_PUBKEY };

struct pki_obj {
	enum pki_kind kind;
	bool was_pem;          /* the input was PEM text */
	X509 *cert;            /* one of these four, by kind */
	X509_CRL *crl;
	X509_REQ *csr;
	EVP_PKEY *pub;         /* PKI_PUBKEY: the key; PKI_CERT: the certificate's key (also set) */
	struct buf der;        /* the DER encoding exactly as it was made */
};

/* Recognises data as a certificate, CRL, CSR or SubjectPublicKeyInfo, DER or PEM (one
 * PEM block). Anything else (a raw signature) is PKI_UNKNOWN and not an error: the
 * caller decides. Fails (code "crypto") only when data says PEM but cannot be read. */
int pki_parse(const uint8_t *data, size_t len, struct pki_obj *o, struct err *e) CER_MUST_CHECK;
void pki_obj_free(struct pki_obj *o);

/* "certificate", "CRL", "certificate request", "public key", "unknown" */
const char *pki_kind_name(enum pki_kind k);
/* PEM label: "CERTIFICATE", "X509 CRL", "CERTIFICATE REQUEST", "PUBLIC KEY"; NULL for unknown. */
const char *pki_pem_label(enum pki_kind k);
/* The DER of o as PEM text (64-column base64, RFC 7468), appended to out. */
int pki_pem(const struct pki_obj *o, struct buf *out, struct err *e) CER_MUST_CHECK;

/* A key's algorithm in the names key.generate takes: "ec-p256", "ec-p384", "ec-p521",
 * "ed25519", "rsa-BITS"; otherwise OpenSSL's name of it. Returns buf. */
const char *pki_key_name(EVP_PKEY *k, char *buf, size_t len);
/* A distinguished name in RFC 4514 order and escaping ("CN=Root,O=Org"). Returns buf. */
const char *pki_name_text(const X509_NAME *n, char *buf, size_t len);
/* An algorithm identifier's name ("ecdsa-with-SHA384"), or its OID when OpenSSL has no
 * name for it. Returns buf. */
const char *pki_alg_name(const X509_ALGOR *a, char *buf, size_t len);
/* An ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ" (or "(none)"). Returns buf. */
const char *pki_time_text(const ASN1_TIME *t, char *buf, size_t len);

#endif
