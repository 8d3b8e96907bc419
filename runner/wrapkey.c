/* wrapkey: the trusted AES wrap key of the backup steps on a token (design in
 * steps/backup.h): its attributes read back as checks, found or rebuilt by the
 * security officer from the value the run holds, and removed at the end. A runner
 * service, so wrapkey.create, key.backup and key.restore share it without calling
 * each other. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "step.h"
#include "dcbor.h"

/* What a wrap key must be (PKCS#11 3.0 §4.9, §4.10): trusted, so only it may wrap a
 * key marked CKA_WRAP_WITH_TRUSTED; never extractable; wrap and unwrap only. */
static const struct {
	CK_ATTRIBUTE_TYPE type;
	const char *name, *output;
	bool want;
} policy[] = {
	{CKA_TRUSTED, "CKA_TRUSTED", "trusted", true},
	{CKA_SENSITIVE, "CKA_SENSITIVE", "sensitive", true},
	{CKA_EXTRACTABLE, "CKA_EXTRACTABLE", "extractable", false},
	{CKA_WRAP, "CKA_WRAP", "wrap", true},
	{CKA_UNWRAP, "CKA_UNWRAP", "unwrap", true},
	{CKA_ENCRYPT, "CKA_ENCRYPT", "encrypt", false},
	{CKA_DECRYPT, "CKA_DECRYPT", "decrypt", false},
};

int step_wrapkey_checks(struct step_run *r, struct tok_session *s, CK_OBJECT_HANDLE h, const char *prefix, bool *all,
			struct err *e)
{
	char what[96], out[96];
	*all = true;
	for (size_t i = 0; i < sizeof policy / sizeof policy[0]; i++) {
		bool v;
		if (tok_attr_bool(s, h, policy[i].type, &v, e))
			return -1;
		*all = *all && v == policy[i].want;
		snprintf(what, sizeof what, "%s%s", prefix, policy[i].name);
		snprintf(out, sizeof out, "%s%s", prefix, policy[i].output);
		if (step_check(r, what, dcbor_bool(policy[i].want), dcbor_bool(v), v == policy[i].want, e) ||
		    step_output(r, out, dcbor_bool(v), e))
			return -1;
	}
	return 0;
}

int step_wrapkey_remove(struct step_run *r, const char *label, const char *token, int ret, struct err *e)
{
	struct tok_session *s;
	CK_OBJECT_HANDLE h;
	struct err mine = {.kind = ERR_NONE};
	/* A failure here is the step's error only when it had none of its own; either
	 * way the room is told, since a trusted wrap key left on a token unwraps the
	 * backup. A token that cannot be searched fails the step: the key may be on it. */
	struct err *to = ret ? &mine : e;
	if (step_session_on(r, token, &s, to))
		goto left;
	switch (tok_secret_key_present(s, label, &h, to)) {
	case ERR_ANSWER_ERROR:
		goto left;
	case ERR_ANSWER_NO:
		return ret;
	case ERR_ANSWER_YES:
		break;
	}
	if (tok_destroy(s, h, to))
		goto left;
	step_show(r, "the wrap key '%s' removed from token '%s'", label, token);
	return ret;
left:
	step_warn(r, "the wrap key '%s' may still be on token '%s' (%s): remove it by hand", label, token, to->msg);
	return -1;
}

int step_wrapkey_on(struct step_run *r, const char *wk_step, const char *label, const char *token,
		    const struct secret *value, const char *prefix, CK_OBJECT_HANDLE *h,
		    struct err *e)
{
	const bool given = value != NULL;
	struct tok_session *so = NULL, *s;
	bool all;
	int ret = -1;

	if (!given)
		value = step_secret_find(r, wk_step, "wrap_key");
	if (step_session_on(r, token, &s, e))
		return -1;
	enum err_answer there = tok_secret_key_present(s, label, h, e);
	if (there == ERR_ANSWER_ERROR)
		return -1;
	if (there == ERR_ANSWER_YES) {
		if (!given)
			return 0;
		return err_set(e, ERR_WRAP_KEY, "the wrap key '%s' is on token '%s' already: a restore from the custodians' "
					      "shares rebuilds it in a token that does not hold it", label, token);
	}
	if (!value)
		return err_set(e, ERR_WRAP_KEY, "the wrap key '%s' is not on token '%s' and this run does not hold its "
					      "value; it must be rebuilt from the custodians' shares", label, token);
	if (step_session_so(r, token, &so, e) || tok_wrapkey_create(so, label, value, true, h, e) ||
	    step_wrapkey_checks(r, so, *h, prefix, &all, e))
		goto out;
	if (!all) {
		err_set(e, ERR_KEY_ATTRIBUTES, "the wrap key '%s' on token '%s' lacks the attributes it must have", label, token);
		goto out;
	}
	tok_close(so);
	so = NULL;
	/* The SO session closed the user's; log in again and find it there. */
	if (step_session_on(r, token, &s, e) || tok_secret_key_find(s, label, h, e))
		goto out;
	ret = 0;
out:
	tok_close(so);
	return ret;
}
