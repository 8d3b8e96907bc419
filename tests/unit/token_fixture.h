/* token_fixture: the throwaway SoftHSM token store the unit tests that need real
 * tokens share (TEST-ONLY; included by those tests, a static copy each). */
#ifndef CER_TEST_TOKEN_FIXTURE_H
#define CER_TEST_TOKEN_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include "runner/err.h"
#include "runner/secret.h"
#include "runner/softhsm.h"
#include "runner/token.h"

/* Fails the test with the err's code and message, which say more than "-1 != 0". */
#define OK(call, e) do { \
	if ((call) != 0) fail_msg("%s failed: [%s] %s", #call, (e).code, (e).msg); \
} while (0)

struct token_fixture {
	struct softhsm_store *store;
	struct tok_module *m;
	struct secret *so, *user;
};

/* A store of its own (SoftHSM reads SOFTHSM2_CONF in C_Initialize, so the store
 * comes first), the module, and a token for each label of the NULL-terminated list,
 * all with so_pin and user_pin; *first (may be NULL) gets the first token's slot. */
static int token_fixture_open(struct token_fixture *f, const char *const *labels, const char *so_pin,
			      const char *user_pin, CK_SLOT_ID *first, struct err *e)
{
	CK_SLOT_ID slot;
	memset(f, 0, sizeof *f);
	if (softhsm_store_new(NULL, &f->store, e) || tok_module_load(tok_default_module(), &f->m, e) ||
	    !(f->so = secret_new(64, e)) || !(f->user = secret_new(64, e)) ||
	    secret_set(f->so, so_pin, strlen(so_pin), e) || secret_set(f->user, user_pin, strlen(user_pin), e))
		goto fail;
	for (size_t i = 0; labels[i]; i++) {
		/* SoftHSM moves an initialised token to a new slot id: look it up by label. */
		if (tok_find_free(f->m, &slot, e) || tok_init_token(f->m, slot, labels[i], f->so, f->user, e) ||
		    tok_find_label(f->m, labels[i], &slot, e))
			goto fail;
		if (i == 0 && first)
			*first = slot;
	}
	return 0;
fail:
	fprintf(stderr, "# token fixture: [%s] %s\n", e->code, e->msg);
	return -1;
}

static void token_fixture_close(struct token_fixture *f)
{
	tok_module_free(f->m);
	secret_free(f->so);
	secret_free(f->user);
	softhsm_store_free(f->store, false);
	memset(f, 0, sizeof *f);
}

#endif
