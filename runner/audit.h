/* audit: the key that signs every record of one transcript (TRANSCRIPT.md "The audit
 * key"). By default it is made in memory at genesis, on OpenSSL's locked secure heap,
 * and wiped after the seal, so not even the token holders can later re-sign a forged
 * transcript. A script may keep it in a token instead (`audit: {token: NAME}`): a
 * never-extractable EC P-256 key made there at genesis on a session of its own,
 * destroyed once the seal is written, so that a ceremony resumed after a crash finds
 * the same signer. Genesis records where the key lives: "memory", or its PKCS#11 URI
 * (RFC 7512, never a PIN).
 *
 * Ownership: audit_key_free releases everything (wiping the in-memory key) but never
 * destroys a token key: only audit_key_destroy does, on purpose. */
#ifndef CER_AUDIT_H
#define CER_AUDIT_H

#include "cose.h"
#include "secret.h"
#include "token.h"

struct audit_key;

int audit_key_memory(struct audit_key **out, struct err *e) CER_MUST_CHECK;
/* Opens a session of its own on slot (token_label is the token's CKA_LABEL, for the
 * URI), logs the user in with pin (borrowed; the caller wipes it) and generates the
 * key pair, labelled "ceremony-audit-" and 16 random hex digits. */
int audit_key_token(struct tok_module *m, CK_SLOT_ID slot, const char *token_label, const struct secret *pin,
		    struct audit_key **out, struct err *e) CER_MUST_CHECK;
/* The token key audit_key_token made, found again by the URI genesis recorded (a
 * resume after a crash: the same signer goes on). */
int audit_key_token_find(struct tok_module *m, CK_SLOT_ID slot, const char *uri, const struct secret *pin,
			 struct audit_key **out, struct err *e) CER_MUST_CHECK;
struct cose_signer *audit_signer(struct audit_key *k);   /* borrowed from k */
const char *audit_where(const struct audit_key *k);      /* "memory" or the key's URI */
bool audit_in_token(const struct audit_key *k);
/* Destroys a token key's private and public objects (a no-op in memory). */
int audit_key_destroy(struct audit_key *k, struct err *e) CER_MUST_CHECK;
void audit_key_free(struct audit_key *k);   /* NULL is a no-op */

#endif
