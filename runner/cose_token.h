/* cose_token: a COSE signer (cose.h) whose key stays in a token: ECDSA in the token
 * (CKM_ECDSA over a digest made here), which returns r||s, the form COSE wants
 * (RFC 9053 §2.1). Used for signed sign-offs (a participant's own key) and for an
 * audit key kept in a token.
 *
 * Ownership: the signer borrows k (and k's spki and session); it must not be given
 * to cose_signer_free. */
#ifndef CER_COSE_TOKEN_H
#define CER_COSE_TOKEN_H

#include "cose.h"
#include "x509_sign.h"

/* Fills cs for the EC P-256 (ES256) or P-384 (ES384) key k; any other key is
 * refused with code "crypto". */
int cose_token_signer(struct x509_key *k, struct cose_signer *cs, struct err *e) CER_MUST_CHECK;

#endif
