#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "binding.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Splits "pkcs11:token=W;object=wendy" into the token part (object= and type= left
 * out, for tok_find_uri) and the object label (percent-decoded, RFC 7512 §2.3). */
static int split_signer_uri(const char *uri, struct binding_signer *s, struct err *e)
{
	const char *path = uri + 7, *q = strchr(path, '?');
	size_t plen = q ? (size_t)(q - path) : strlen(path);
	bool token = false;
	char *t = malloc(strlen(uri) + 1);
	if (!t)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->token_uri = t;
	t += sprintf(t, "pkcs11:");
	for (size_t i = 0; i < plen;) {
		size_t n = strcspn(path + i, ";?");
		if (n > plen - i)
			n = plen - i;
		const char *a = path + i;
		if (n > 7 && !strncmp(a, "object=", 7)) {
			if (s->label)
				return err_set(e, ERR_BINDING, "'%s' names object= twice", uri);
			if (!(s->label = malloc(n)))
				return err_set(e, ERR_NOMEM, "out of memory");
			size_t k = 0;
			for (size_t j = 7; j < n; j++) {
				if (a[j] == '%') {
					int hi = j + 2 < n ? hexval(a[j + 1]) : -1, lo = hi >= 0 ? hexval(a[j + 2]) : -1;
					if (lo < 0)
						return err_set(e, ERR_BINDING, "'%s': a bad percent escape in object=", uri);
					s->label[k++] = (char)(hi * 16 + lo);
					j += 2;
				} else
					s->label[k++] = a[j];
			}
			s->label[k] = 0;
		} else if (!(n >= 5 && !strncmp(a, "type=", 5)) && n) {
			if (t[-1] != ':')
				*t++ = ';';
			memcpy(t, a, n);
			t += n;
			if (n > 6 && !strncmp(a, "token=", 6))
				token = true;
		}
		i += n + 1;
	}
	if (q)
		t += sprintf(t, "%s", q);
	*t = 0;
	if (!token || !s->label || !*s->label)
		return err_set(e, ERR_BINDING, "a signer's URI names the token and the key's label: pkcs11:token=...;object=LABEL");
	return 0;
}

static int load_signers(struct binding *b, const struct ynode *sig, struct err *e)
{
	const struct ydoc *d = b->doc;
	if (ynode_want_map(d, sig, "'signers' (a map of participant name to the PKCS#11 URI of their own key)", e))
		return -1;
	if (!(b->signers = calloc(sig->n ? sig->n : 1, sizeof *b->signers)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < sig->n; i++) {
		struct binding_signer *s = &b->signers[b->n_signers++];
		struct err se;
		s->name = sig->keys[i]->str;
		if (!*s->name)
			return ydoc_err(d, sig->keys[i], e, "a signer needs a participant's name");
		if (ynode_want_str(d, sig->vals[i], "a PKCS#11 URI (pkcs11:token=...;object=LABEL)", &s->uri, e))
			return -1;
		if (strncmp(s->uri, "pkcs11:", 7))
			return ydoc_err(d, sig->vals[i], e, "expected a PKCS#11 URI starting with 'pkcs11:', found '%s'", s->uri);
		if (strstr(s->uri, "pin-value") || strstr(s->uri, "pin-source"))
			return ydoc_err(d, sig->vals[i], e,
					"a PIN never comes from a file: remove pin-value/pin-source; the PIN is typed when needed");
		if (split_signer_uri(s->uri, s, &se)) {
			if (se.kind == ERR_NOMEM) {
				*e = se;
				return -1;
			}
			return ydoc_err(d, sig->vals[i], e, "%s", se.msg);
		}
	}
	return 0;
}

static int load(struct binding *b, const struct ceremony *c, struct err *e)
{
	static const char *const top[] = {"binding", "module", "tokens", "signers", NULL};
	const struct ydoc *d = b->doc;
	const struct ynode *root = d->root, *toks, *mod, *sig;
	uint64_t version;

	if (ynode_want_map(d, root, "a binding file (a map with 'binding', 'module' and 'tokens')", e) ||
	    ynode_only_keys(d, root, top, "the binding file", e))
		return -1;
	if (!ynode_get(root, "binding"))
		return ydoc_err(d, root, e, "missing 'binding: 1' (the binding file format version)");
	if (ynode_want_uint(d, ynode_get(root, "binding"), "'binding' (format version)", 1, 1, &version, e))
		return -1;
	if ((mod = ynode_get(root, "module")) && ynode_want_str(d, mod, "'module' (a PKCS#11 module path)", &b->module, e))
		return -1;
	if (!(toks = ynode_get(root, "tokens")))
		return ydoc_err(d, root, e, "missing 'tokens' (a map of the script's token names to PKCS#11 URIs)");
	if (ynode_want_map(d, toks, "'tokens' (a map of token name to PKCS#11 URI)", e))
		return -1;
	if (!(b->tokens = calloc(toks->n ? toks->n : 1, sizeof *b->tokens)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < toks->n; i++) {
		const char *uri;
		if (!script_token(c, toks->keys[i]->str))
			return ydoc_err(d, toks->keys[i], e, "the script declares no token '%s'", toks->keys[i]->str);
		if (ynode_want_str(d, toks->vals[i], "a PKCS#11 URI (pkcs11:token=...)", &uri, e))
			return -1;
		if (strncmp(uri, "pkcs11:", 7))
			return ydoc_err(d, toks->vals[i], e, "expected a PKCS#11 URI starting with 'pkcs11:', found '%s'", uri);
		if (strstr(uri, "pin-value") || strstr(uri, "pin-source"))
			return ydoc_err(d, toks->vals[i], e,
					"a PIN never comes from a file: remove pin-value/pin-source; the PIN is typed when needed");
		b->tokens[b->n++] = (struct binding_entry){.name = toks->keys[i]->str, .uri = uri};
	}
	for (size_t i = 0; i < c->n_tokens; i++)
		if (!ynode_get(toks, c->tokens[i].name))
			return ydoc_err(d, toks, e, "token '%s' of the script is not bound", c->tokens[i].name);
	if ((sig = ynode_get(root, "signers")) && load_signers(b, sig, e))
		return -1;
	return 0;
}

int binding_load(const char *path, const struct ceremony *c, struct binding **out, struct err *e)
{
	struct binding *b = calloc(1, sizeof *b);
	*out = NULL;
	if (!b)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (ydoc_load(path, NULL, ERR_BINDING, &b->doc, e) || load(b, c, e)) {
		binding_free(b);
		return -1;
	}
	*out = b;
	return 0;
}

void binding_free(struct binding *b)
{
	if (!b)
		return;
	ydoc_free(b->doc);
	free(b->tokens);
	for (size_t i = 0; i < b->n_signers; i++) {
		free(b->signers[i].token_uri);
		free(b->signers[i].label);
	}
	free(b->signers);
	free(b);
}
