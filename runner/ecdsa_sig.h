/* ecdsa_sig: the one conversion between the two forms of an ECDSA signature.
 *
 *   r||s  the two integers as unsigned big-endian strings of the curve's size each:
 *         what a PKCS#11 token returns for CKM_ECDSA (PKCS#11 3.0 Mechanisms §2.3.1)
 *         and what COSE carries (RFC 9053 §2.1);
 *   DER   Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3,
 *         RFC 5480 §2.2): what X.509 carries and OpenSSL signs and verifies.
 *
 * half is the size of r and of s in bytes: (bits of the group order + 7) / 8, e.g. 32
 * for P-256, 48 for P-384, 66 for P-521. Both functions append to out (owned by the
 * caller) and leave it as it was on failure.
 */
#ifndef CER_ECDSA_SIG_H
#define CER_ECDSA_SIG_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

/* r||s (len must be 2 * half, else code "signature") to DER. */
int ecdsa_sig_to_der(const uint8_t *rs, size_t len, size_t half, struct buf *out, struct err *e) CER_MUST_CHECK;
/* DER to r||s, each left-padded to half bytes; code "crypto" when der is not an
 * Ecdsa-Sig-Value or an integer is longer than half. */
int ecdsa_sig_from_der(const uint8_t *der, size_t len, size_t half, struct buf *out, struct err *e) CER_MUST_CHECK;

#endif
