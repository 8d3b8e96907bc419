/* der: a strict reader of DER (X.690 §10, §11), used to refuse any certificate,
 * request or CRL that the strictest relying parties would refuse.
 *
 * Why our own: OpenSSL parses a BOOLEAN TRUE written 0x01 and writes it back as it
 * found it, so "re-encode and compare" cannot see it; Go's crypto/x509,
 * pyca/cryptography, BoringSSL and mozilla::pkix reject the whole certificate
 * (X.690 §11.1: TRUE is 0xFF). The walk checks what DER fixes and lenient readers
 * forgive:
 *   - identifiers: low tag numbers in one byte, high ones minimal;
 *   - lengths: definite (§10.1), in the fewest bytes (§10.1);
 *   - BOOLEAN one byte, 0x00 or 0xFF (§11.1); INTEGER and ENUMERATED non-empty and
 *     minimal (§8.3.2); BIT STRING unused bits 0..7 and zero (§11.2.1); NULL empty;
 *     OBJECT IDENTIFIER subidentifiers minimal (§8.19.2);
 *   - primitive-only types never constructed (§10.2); SEQUENCE and SET constructed;
 *   - SET elements in ascending order of their encodings (§11.6);
 *   - UTCTime YYMMDDHHMMSSZ and GeneralizedTime YYYYMMDDHHMMSSZ (§11.7, §11.8,
 *     RFC 5280 §4.1.2.5);
 *   - PrintableString, IA5String and UTF8String hold what their type allows;
 *   - nothing after the outermost element.
 * DER nested inside strings is walked too, where X.509 puts it: every extension's
 * extnValue (RFC 5280 §4.1: "the DER encoding of an ASN.1 value"), whose critical
 * flag may not be an explicit FALSE (DEFAULT FALSE, X.690 §11.5); an ECDSA signature
 * value (RFC 5480 §2.2's Ecdsa-Sig-Value); an RSA public key (RFC 8017 §A.1.1).
 */
#ifndef CER_DER_H
#define CER_DER_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* 0 when data[0..len) is one DER element; otherwise -1 with code "der" and a
 * message naming the byte offset and what DER requires there. */
int der_check(const uint8_t *data, size_t len, struct err *e) CER_MUST_CHECK;

#endif
