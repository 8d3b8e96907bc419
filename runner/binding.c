#include <stdlib.h>
#include <string.h>
#include "binding.h"

static int load(struct binding *b, const struct ceremony *c, struct err *e)
{
	static const char *const top[] = {"binding", "module", "tokens", NULL};
	const struct ydoc *d = b->doc;
	const struct ynode *root = d->root, *toks, *mod;
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
		return err_set(e, "nomem", "out of memory");
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
	return 0;
}

int binding_load(const char *path, const struct ceremony *c, struct binding **out, struct err *e)
{
	struct binding *b = calloc(1, sizeof *b);
	*out = NULL;
	if (!b)
		return err_set(e, "nomem", "out of memory");
	if (ydoc_load(path, NULL, "binding", &b->doc, e) || load(b, c, e)) {
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
	free(b);
}
