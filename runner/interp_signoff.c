/* interp_signoff: confirmations of the Actual and sign-offs (TRANSCRIPT.md
 * signoff), signed ones made with the participant's own token key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "cose.h"
#include "cose_token.h"
#include "dcbor.h"
#include "x509_sign.h"

/* Asks role (name) to confirm q, or to refuse with a reason. Returns 1 when they
 * refused: the refusal is recorded (step-result 12) and nobody else is asked. */
static int confirm_or_refuse(struct interp *in, struct step_run *r, const char *role, const char *name, const char *key,
			     const char *q, struct err *e)
{
	struct prompt_q pq = {.step = r->step->id, .role = role, .key = key, .text = q};
	char *reason = NULL;
	switch (prompt_confirm_or_refuse(in->o->prompt, &pq, &reason, e)) {
	case ERR_ANSWER_YES:
		return 0;
	case ERR_ANSWER_ERROR:
		return -1;
	case ERR_ANSWER_NO:
		break;
	}
	int rc = rec_refusal(&r->res, role, name, reason, ts_now_ms(), e);
	prompt_show(in->o->prompt, PROMPT_WARN, "%s (%s) refused: %s", name, role, reason);
	free(reason);
	return rc ? -1 : 1;
}

/* Each confirmation is recorded (TRANSCRIPT.md step-result 10): who (the one
 * present in the role, or the one named when several are; before attendance, the
 * role alone), what they were shown and what they typed, and when. */
int interp_take_confirmations(struct interp *in, struct step_run *r, struct err *e)
{
	char q[512], statement[768];
	for (size_t i = 0; i < r->step->n_confirm; i++) {
		const char *role = r->step->confirm[i], *name = "(attendance not recorded)";
		if (step_present(r, role, NULL, 0) && interp_person(in, r, role, "confirm_by", &name, e))
			return -1;
		snprintf(q, sizeof q, "the Actual of step '%s' is as shown above; type yes to confirm (or refuse)",
			 r->step->id);
		int rc = confirm_or_refuse(in, r, role, name, "confirm", q, e);
		if (rc)
			return rc < 0 ? -1 : 0;
		snprintf(statement, sizeof statement, "%s, %s, confirmed: %s (typed 'yes')", name, role, q);
		if (rec_confirmation(&r->res, role, name, statement, ts_now_ms(), e))
			return -1;
	}
	return 0;
}

/* A signed sign-off (TRANSCRIPT.md signoff method 1): the participant types their
 * own token's PIN (no echo); their key signs ts_signoff_payload as a COSE_Sign1,
 * which is checked here before it goes into the record. Fills so->cose and so->spki. */
static int sign_signoff(struct interp *in, struct step_run *r, const struct interp_signer *sg, uint64_t begin_seq,
			const uint8_t begin_hash[32], struct rec_signoff *so, struct err *e)
{
	struct secret *pin = NULL;
	struct tok_session *sess = NULL;
	struct x509_key k = {0};
	struct cose_signer cs = {0};
	struct buf payload = {0};
	cbor_item_t *check = NULL, *role = NULL, *name = NULL, *statement = NULL;
	char q[512];
	int ret = -1;

	if (!in->o->module)
		return err_set(e, ERR_TOKEN, "step '%s': %s signs with a token key but no PKCS#11 module is loaded",
			       r->step->id, sg->name);
	snprintf(q, sizeof q, "%s: PIN of your own token, to sign this sign-off (not echoed)", sg->name);
	struct prompt_q pq = {.step = r->step->id, .role = so->role, .key = "signing_pin", .text = q};
	if (!(pin = secret_new(256, e)) || prompt_ask_secret(in->o->prompt, &pq, pin, e))
		goto out;
	if (tok_open(in->o->module, sg->slot, false, &sess, e))
		goto out;
	int lrc = tok_login(sess, false, pin, e);
	secret_free(pin);
	pin = NULL;
	if (lrc || x509_key_load(sess, sg->label, &k, e))
		goto out;
	if (cose_token_signer(&k, &cs, e)) {
		err_set(e, ERR_SIGNOFF, "%s's key '%s' is %s; a signed sign-off takes an EC P-256 or P-384 key (ES256, ES384)",
			sg->name, sg->label, k.algorithm);
		goto out;
	}
	if (!(role = dcbor_text(so->role)) || !(name = dcbor_text(so->name)) || !(statement = dcbor_text(so->statement))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (ts_signoff_payload(ts_writer_cid(in->w), begin_seq, begin_hash, r->res.outputs, role, name, statement,
			       &payload, e) ||
	    cose_sign1(&cs, payload.p, payload.len, &so->cose, e))
		goto out;
	/* What goes into the record must verify as an auditor will check it. */
	const uint8_t *pl = NULL;
	size_t pl_len = 0, used = 0;
	int alg = 0;
	if (dcbor_decode_strict(so->cose.p, so->cose.len, true, &check, &used, e) ||
	    cose_verify1(check, k.spki.p, k.spki.len, &pl, &pl_len, &alg, e))
		goto out;
	if (used != so->cose.len || pl_len != payload.len || memcmp(pl, payload.p, pl_len)) {
		err_set(e, ERR_CRYPTO, "the signed sign-off does not read back as written");
		goto out;
	}
	if (buf_append(&so->spki, k.spki.p, k.spki.len, e))
		goto out;
	ret = 0;
out:
	if (check)
		cbor_decref(&check);
	if (role)
		cbor_decref(&role);
	if (name)
		cbor_decref(&name);
	if (statement)
		cbor_decref(&statement);
	secret_free(pin);
	cose_key_free(&cs.check);
	x509_key_free(&k);
	tok_close(sess);
	buf_free(&payload);
	return ret;
}

static const struct interp_signer *signer_for(const struct interp *in, const char *name)
{
	for (size_t i = 0; i < in->o->n_signers; i++)
		if (!strcmp(in->o->signers[i].name, name))
			return &in->o->signers[i];
	return NULL;
}

int interp_take_signoffs(struct interp *in, struct step_run *r, uint64_t begin_seq, const uint8_t begin_hash[32],
			 struct err *e)
{
	for (size_t i = 0; i < r->step->n_signoff; i++) {
		const char *role = r->step->signoff[i], *name = NULL;
		char statement[768];
		if (interp_person(in, r, role, "signoff_by", &name, e))
			return -1;
		snprintf(statement, sizeof statement,
			 "I, %s, %s, attest that step '%s' was performed as read aloud and its Actual is as recorded",
			 name, role, r->step->id);
		int rc = confirm_or_refuse(in, r, role, name, "signoff", statement, e);
		if (rc)
			return rc < 0 ? -1 : 0;
		const struct interp_signer *sg = signer_for(in, name);
		struct rec_signoff so = {.role = (char *)role, .name = (char *)name, .statement = statement,
					 .time_ms = ts_now_ms(), .method = sg ? 1 : 0};
		if (sg && sign_signoff(in, r, sg, begin_seq, begin_hash, &so, e)) {
			buf_free(&so.cose);
			buf_free(&so.spki);
			return -1;
		}
		if (rec_signoff(&r->res, &so, e))   /* copies the strings, takes cose and spki */
			return -1;
	}
	return 0;
}

int interp_take_attested(struct interp *in, struct step_run *r, const char *const *roles, size_t n, const char *what,
			 struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		const char *role = roles[i], *name = NULL;
		char *typed = NULL, statement[1024], q[1200];
		/* Before attendance (a crash in the first steps) nobody is recorded: they
		 * give their name here, and it is recorded with what they attest. */
		if (step_present(r, role, NULL, 0)) {
			if (interp_person(in, r, role, "signoff_by", &name, e))
				return -1;
		} else {
			char ask[256];
			snprintf(ask, sizeof ask, "name of the %s signing off", role);
			if (step_ask(r, role, "name", ask, &typed, e))
				return -1;
			name = typed;
		}
		snprintf(statement, sizeof statement, "I, %s, %s, attest that %s", name, role, what);
		snprintf(q, sizeof q, "%s; type yes to sign off (or refuse)", statement);
		int rc = confirm_or_refuse(in, r, role, name, "signoff", q, e);
		struct rec_signoff so = {.role = (char *)role, .name = (char *)name, .statement = statement,
					 .time_ms = ts_now_ms(), .method = 0};
		if (!rc && rec_signoff(&r->res, &so, e))
			rc = -1;
		free(typed);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}
