/* cose_token: COSE signatures made by a key in a token (see cose_token.h). */
#include <string.h>
#include <openssl/sha.h>
#include "cose_token.h"
#include "hash.h"

static int token_sign(struct cose_signer *cs, const uint8_t *msg, size_t len, struct buf *sig, struct err *e)
{
	const struct x509_key *k = cs->impl;
	uint8_t md[SHA384_DIGEST_LENGTH];
	size_t mdlen = cs->alg == COSE_ALG_ES384 ? SHA384_DIGEST_LENGTH : SHA256_DIGEST_LENGTH, before = sig->len;
	if (cs->alg == COSE_ALG_ES384)
		hash_sha384(msg, len, md);
	else
		hash_sha256(msg, len, md);
	if (tok_sign(k->sess, k->priv, CKM_ECDSA, md, mdlen, sig, e))
		return -1;
	if (sig->len - before != 2 * mdlen)
		return err_set(e, ERR_CRYPTO, "the token's ECDSA signature is %zu bytes, not r||s of %zu", sig->len - before,
			       2 * mdlen);
	return 0;
}

int cose_token_signer(struct x509_key *k, struct cose_signer *cs, struct err *e)
{
	memset(cs, 0, sizeof *cs);
	if (!strcmp(k->algorithm, "ec-p256"))
		cs->alg = COSE_ALG_ES256;
	else if (!strcmp(k->algorithm, "ec-p384"))
		cs->alg = COSE_ALG_ES384;
	else
		return err_set(e, ERR_CRYPTO, "a COSE signature in the token takes an EC P-256 or P-384 key (ES256, ES384), "
					    "not %s", k->algorithm);
	cs->spki = k->spki.p;
	cs->spki_len = k->spki.len;
	cose_kid(k->spki.p, k->spki.len, cs->kid);
	cs->sign = token_sign;
	cs->impl = k;
	return 0;
}
