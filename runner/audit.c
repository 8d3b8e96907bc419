/* audit: the transcript's signing key, in memory or in a token (see audit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit.h"
#include "cose_token.h"
#include "words.h"
#include "x509_sign.h"

struct audit_key {
	struct cose_signer *mem;     /* in memory: owns its key */
	struct cose_signer tok;      /* in a token: borrows key */
	struct tok_session *sess;
	struct x509_key key;
	char uri[512];
	bool in_token, destroyed;
};

int audit_key_memory(struct audit_key **out, struct err *e)
{
	struct audit_key *k = calloc(1, sizeof *k);
	if (!k)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!(k->mem = cose_signer_new_memory_es256(e))) {
		free(k);
		return -1;
	}
	*out = k;
	return 0;
}

/* RFC 7512 §2.3: a value is pct-encoded except for the unreserved characters. */
static void uri_value(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	}
	out[n] = 0;
}

int audit_key_token(struct tok_module *m, CK_SLOT_ID slot, const char *token_label, const struct secret *pin,
		    struct audit_key **out, struct err *e)
{
	struct audit_key *k = calloc(1, sizeof *k);
	struct tok_keypair kp;
	uint8_t rnd[8];
	char label[48], hex[20], tl[200];
	if (!k)
		return err_set(e, ERR_NOMEM, "out of memory");
	k->in_token = true;
	if (tok_open(m, slot, true, &k->sess, e) || tok_login(k->sess, false, pin, e) ||
	    tok_random(k->sess, rnd, sizeof rnd, e))
		goto fail;
	snprintf(label, sizeof label, "ceremony-audit-%s", words_hex(rnd, sizeof rnd, hex, sizeof hex));
	/* tok_generate's policy: sensitive, never extractable, signs and nothing else. */
	if (tok_generate(k->sess, "ec-p256", label, &kp, e))
		goto fail;
	if (x509_key_load(k->sess, label, &k->key, e) || cose_token_signer(&k->key, &k->tok, e)) {
		/* Best effort: the key is of no use without its signer; the error reported is
		 * the one that stopped us. */
		struct err ignored;
		bool left = tok_destroy(k->sess, kp.priv, &ignored) != 0;
		left |= tok_destroy(k->sess, kp.pub, &ignored) != 0;
		(void)left;
		goto fail;
	}
	uri_value(token_label, tl, sizeof tl);
	snprintf(k->uri, sizeof k->uri, "pkcs11:token=%s;object=%s;type=private", tl, label);
	*out = k;
	return 0;
fail:
	err_wrap(e, "making the audit key in token '%s'", token_label);
	audit_key_free(k);
	return -1;
}

int audit_key_token_find(struct tok_module *m, CK_SLOT_ID slot, const char *uri, const struct secret *pin,
			 struct audit_key **out, struct err *e)
{
	struct audit_key *k = NULL;
	char label[48];
	/* What audit_key_token wrote: ";object=ceremony-audit-" and 16 hex digits. */
	const char *o = strstr(uri, ";object=ceremony-audit-");
	size_t n = o ? strcspn(o + 8, ";") : 0;
	*out = NULL;
	if (!o || n != strlen("ceremony-audit-") + 16 || strlen(uri) >= sizeof k->uri)
		return err_set(e, ERR_TRANSCRIPT, "'%s' is not an audit key's URI as this program writes it", uri);
	memcpy(label, o + 8, n);
	label[n] = 0;
	if (!(k = calloc(1, sizeof *k)))
		return err_set(e, ERR_NOMEM, "out of memory");
	k->in_token = true;
	snprintf(k->uri, sizeof k->uri, "%s", uri);
	if (tok_open(m, slot, true, &k->sess, e) || tok_login(k->sess, false, pin, e) ||
	    x509_key_load(k->sess, label, &k->key, e) || cose_token_signer(&k->key, &k->tok, e)) {
		err_wrap(e, "finding the audit key %s", uri);
		audit_key_free(k);
		return -1;
	}
	*out = k;
	return 0;
}

struct cose_signer *audit_signer(struct audit_key *k)
{
	return k->in_token ? &k->tok : k->mem;
}

const char *audit_where(const struct audit_key *k)
{
	return k->in_token ? k->uri : "memory";
}

bool audit_in_token(const struct audit_key *k)
{
	return k->in_token;
}

int audit_key_destroy(struct audit_key *k, struct err *e)
{
	if (!k || !k->in_token || k->destroyed)
		return 0;
	if (tok_destroy(k->sess, k->key.priv, e) || tok_destroy(k->sess, k->key.pub, e))
		return err_wrap(e, "destroying the audit key %s", k->uri);
	k->destroyed = true;
	return 0;
}

void audit_key_free(struct audit_key *k)
{
	if (!k)
		return;
	cose_signer_free(k->mem);   /* wipes the in-memory key */
	cose_key_free(&k->tok.check);
	x509_key_free(&k->key);
	tok_close(k->sess);
	free(k);
}
