/* cose: COSE_Sign1 (RFC 9052 §4.2) for transcript records and signed sign-offs.
 *
 * record = #6.18([ protected bstr, {} , payload bstr, signature bstr ])
 * protected = { 1: alg, 3: "application/ceremony-entry+cbor", 4: kid }
 * Sig_structure = ["Signature1", protected, h'', payload]   (RFC 9052 §4.4)
 * ECDSA signatures are r||s, each left-padded to the curve size (RFC 9053 §2.1).
 */
#ifndef CER_COSE_H
#define CER_COSE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "err.h"
#include "dcbor.h"

enum {
	COSE_ALG_ES256 = -7,
	COSE_ALG_ES384 = -35,
	COSE_ALG_ES512 = -36,
	COSE_ALG_EDDSA = -8,
	COSE_ALG_PS256 = -37,
};

#define COSE_CONTENT_TYPE "application/ceremony-entry+cbor"

/* A signer: something that turns Sig_structure bytes into a COSE signature.
 * The in-memory audit key is one; a token key can be another later. */
/* The verifier's key of one signer, kept from record to record: a transcript's
 * records are all signed by one key (or a few, across resumes), and parsing the
 * SubjectPublicKeyInfo and hashing it for the kid again for each record costs more
 * than the signature check itself. Zero-initialise; cose_key_free when done. */
struct cose_key {
	uint8_t *spki;
	size_t spki_len;
	uint8_t kid[32];
	EVP_PKEY *key;
	int alg;               /* the alg the key was checked for */
	EVP_PKEY_CTX *vctx;    /* made at the first verification with it (prehashed algs) */
	EVP_MD *md;
};
struct cose_signer {
	int alg;
	uint8_t kid[32];          /* SHA-256 of spki */
	uint8_t *spki;            /* SubjectPublicKeyInfo DER, owned */
	size_t spki_len;
	/* Signs msg; appends the COSE-form signature to sig. */
	int (*sign)(struct cose_signer *s, const uint8_t *msg, size_t len, struct buf *sig, struct err *e);
	/* Releases impl (wiping any key material); may be NULL. cose_signer_free
	 * calls it, then frees spki and the struct itself (both malloc'ed). */
	void (*free)(struct cose_signer *s);
	void *impl;
	struct cose_key check;    /* spki parsed once, for cose_sign1's check of each signature */
};

/* Generates a fresh in-memory ES256 key (P-256). Its private scalar is held by
 * OpenSSL, on its locked secure heap once secret_process_harden() has set that up
 * (main does, first); cose_signer_free wipes it. */
struct cose_signer *cose_signer_new_memory_es256(struct err *e) CER_MUST_CHECK;
/* The same for any alg of the list (keys for tests and test vectors: P-256,
 * P-384, P-521, Ed25519, RSA-2048). */
struct cose_signer *cose_signer_new_memory(int alg, struct err *e) CER_MUST_CHECK;
void cose_signer_free(struct cose_signer *s);   /* NULL is a no-op */

/* Computes kid = SHA-256(spki). */
void cose_kid(const uint8_t *spki, size_t spki_len, uint8_t kid[32]);

/* Appends the encoded protected header map {1: alg, 3: content type, 4: kid}. */
int cose_protected(int alg, const uint8_t kid[32], struct buf *out, struct err *e) CER_MUST_CHECK;
/* Appends Sig_structure bytes for the given protected-header bytes and payload. */
int cose_sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload, size_t payload_len,
		       struct buf *out, struct err *e) CER_MUST_CHECK;
/* Signs payload and appends the complete tagged COSE_Sign1 to out. */
int cose_sign1(struct cose_signer *s, const uint8_t *payload, size_t payload_len, struct buf *out,
	       struct err *e) CER_MUST_CHECK;

/* Verifies a decoded COSE_Sign1 item (tag 18 included) against spki.
 * Checks: array of 4, protected header exactly {1,3,4} with a listed alg, kid equal to
 * SHA-256(spki), empty unprotected map, valid signature. On success *payload points
 * into the item (borrowed) and *alg receives the alg. */
int cose_verify1(const cbor_item_t *record, const uint8_t *spki, size_t spki_len,
		 const uint8_t **payload, size_t *payload_len, int *alg, struct err *e) CER_MUST_CHECK;

void cose_key_free(struct cose_key *k);
/* cose_verify1 with the key kept in *cache (NULL: none kept), which is replaced when
 * spki or the record's alg is not the one it holds. */
int cose_verify1_keyed(const cbor_item_t *record, const uint8_t *spki, size_t spki_len, struct cose_key *cache,
		       const uint8_t **payload, size_t *payload_len, int *alg, struct err *e) CER_MUST_CHECK;

/* Reads alg and kid from a record's protected header without verifying. */
int cose_peek(const cbor_item_t *record, int *alg, uint8_t kid[32], struct err *e) CER_MUST_CHECK;

#endif
