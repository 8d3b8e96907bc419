/* spki: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) DER built from what a PKCS#11
 * token says of a public key: the one place where a token's key attributes become
 * an OpenSSL public key. The token layer (token.h) reads the attributes; this module
 * checks them (the point on its curve, a usable RSA modulus, the FIPS 204 length)
 * and encodes them, so that every signature is checked with exactly this key.
 *
 * Ownership: every function appends to out, owned by the caller. Code "crypto" for
 * values that make no public key, "token" for an object that is no public key.
 */
#ifndef CER_SPKI_H
#define CER_SPKI_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "token.h"

/* An EC key from CKA_EC_PARAMS (a named curve's DER OID) and CKA_EC_POINT (raw or
 * DER-wrapped in an OCTET STRING); the point must lie on the curve. */
int spki_ec(const uint8_t *params, size_t params_len, const uint8_t *point, size_t point_len, struct buf *out,
	    struct err *e) CER_MUST_CHECK;
/* An Ed25519 key from CKA_EC_PARAMS (OID 1.3.101.112 or the PrintableString
 * "edwards25519") and CKA_EC_POINT (32 bytes, bare or in a DER OCTET STRING). */
int spki_ed25519(const uint8_t *params, size_t params_len, const uint8_t *point, size_t point_len,
		 struct buf *out, struct err *e) CER_MUST_CHECK;
/* An RSA key from CKA_MODULUS and CKA_PUBLIC_EXPONENT (big-endian); a modulus under
 * 1024 bits or an even one, or an even or one-bit exponent, is refused. */
int spki_rsa(const uint8_t *n, size_t n_len, const uint8_t *ex, size_t ex_len, struct buf *out,
	     struct err *e) CER_MUST_CHECK;
/* An ML-DSA public key (FIPS 204 pkEncode, e.g. 1952 bytes for CKP_ML_DSA_65) under
 * its id-ml-dsa OID, parameters absent (RFC 9881); another parameter set or length
 * is refused. */
int spki_mldsa(CK_ULONG parameter_set, const uint8_t *pk, size_t pk_len, struct buf *out,
	       struct err *e) CER_MUST_CHECK;
/* The public key object pub of session s, chosen by CKA_KEY_TYPE: EC (CKA_EC_PARAMS
 * + CKA_EC_POINT), Ed25519 (the same attributes), RSA (CKA_MODULUS +
 * CKA_PUBLIC_EXPONENT) and ML-DSA (CKA_PUBLIC_KEY_INFO when the token gives it, and
 * then it must name the key's parameter set; else CKA_VALUE). An object of another
 * class (a private key) is refused. */
int spki_from_token(struct tok_session *s, CK_OBJECT_HANDLE pub, struct buf *out, struct err *e) CER_MUST_CHECK;

#endif
