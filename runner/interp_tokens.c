/* interp_tokens: one session per bound token for the run, PINs (from the binding
 * or typed without echo), login, token.init, and the preflight of mechanisms. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "keepsafe.h"
#include "dcbor.h"

struct tokstate *interp_tokstate(struct interp *in, const char *name)
{
	for (size_t i = 0; i < in->n_toks; i++)
		if (!strcmp(in->toks[i].decl->name, name))
			return &in->toks[i];
	return NULL;
}

int step_token_slot(struct step_run *r, struct tok_module **m, CK_SLOT_ID *slot, struct err *e)
{
	struct tokstate *t = r->step->token ? interp_tokstate(r->in, r->step->token) : NULL;
	if (!t || !r->in->o->module)
		return err_set(e, ERR_TOKEN, "step '%s': no token is bound to '%s'", r->step->id,
			       r->step->token ? r->step->token : "(none)");
	*m = r->in->o->module;
	*slot = t->b->slot;
	return 0;
}

/* A live ceremony: a PIN is typed without echo, never read from argv or the script.
 * A wrong one is asked again (recorded as an attempt, never the PIN) while the
 * token's counter allows: never when the token says the next try is its last, so
 * our retries never lock it. so: the security officer's PIN, else the user's; buf
 * (locked memory) holds it while it is used and is wiped after each try. */
static int login_typed(struct step_run *r, struct tokstate *t, bool so, struct tok_session *s, struct secret *buf,
		       struct err *e)
{
	struct interp *in = r->in;
	char text[256];
	snprintf(text, sizeof text, "%s PIN of token '%s' (label %s), not echoed", so ? "security officer" : "user",
		 t->decl->name, t->decl->label);
	const char *key = so ? "so_pin" : "pin";
	struct prompt_q q = {.step = r->step->id, .role = r->step->performed_by, .key = key, .text = text};
	for (unsigned attempt = 1;; attempt++) {
		if (prompt_ask_secret(in->o->prompt, &q, buf, e))
			return -1;
		int rc = tok_login(s, so, buf, e);
		secret_wipe(buf->p, buf->cap);
		if (rc == 0)
			return 0;
		if (e->kind != ERR_P11 || strcmp(e->code, "CKR_PIN_INCORRECT"))
			return -1;
		/* The token's own word on its PIN counters (PKCS#11 3.0 §5.5 token flags); a
		 * token that cannot say is not tried again. */
		struct tok_info ti;
		struct err fe;
		if (tok_slot_info(in->o->module, t->b->slot, &ti, &fe))
			return err_wrap(e, "token '%s' does not say how many tries are left (%s); not asked again",
					t->decl->name, fe.msg);
		CK_FLAGS f = ti.token_flags;
		CK_FLAGS final = so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY;
		CK_FLAGS locked = so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED;
		CK_FLAGS low = so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW;
		if (f & (final | locked)) {
			err_wrap(e, "token '%s' says %s; not asked again", t->decl->name,
				 f & locked ? "the PIN is locked" : "the next try is its last");
			return -1;
		}
		if (!step_slip(r, r->step->performed_by, key, attempt, "the %sPIN for token '%s' is wrong%s",
			       so ? "security officer " : "", t->decl->name,
			       f & low ? " and the token says few tries are left" : ""))
			return -1;
	}
}

/* One session per token for the whole ceremony, logged in once when first needed. */
int interp_session(struct step_run *r, const char *token, bool login, struct tok_session **s, struct err *e)
{
	struct interp *in = r->in;
	struct tokstate *t = token ? interp_tokstate(in, token) : NULL;
	if (!t || !in->o->module)
		return err_set(e, ERR_TOKEN, "step '%s': no token is bound to '%s'", r->step->id, token ? token : "(none)");
	if (!t->sess && tok_open(in->o->module, t->b->slot, true, &t->sess, e))
		return -1;
	if (login && !t->logged_in && (t->decl->quorum || t->initialised))
		return err_set(e, ERR_QUORUM,
			       "step '%s': token '%s' is activated by a quorum of %u %s; a token.activate step must "
			       "log in first",
			       r->step->id, t->decl->name, t->decl->quorum, t->decl->quorum_role ? t->decl->quorum_role : "custodians");
	if (login && !t->logged_in) {
		if (t->b->user_pin) {
			if (tok_login(t->sess, false, t->b->user_pin, e))
				return -1;
		} else if ((!t->asked_pin && !(t->asked_pin = secret_new(256, e))) ||
			   login_typed(r, t, false, t->sess, t->asked_pin, e)) {
			return -1;
		}
		t->logged_in = true;
	}
	*s = t->sess;
	return 0;
}

int step_module_info(struct step_run *r, const char **path, struct tok_module_info *info, struct err *e)
{
	const struct interp_opts *o = r->in->o;
	if (!o->module)
		return 1;
	*path = o->module_path ? o->module_path : tok_module_path(o->module);
	return tok_module_info(o->module, info, e);
}

int step_session(struct step_run *r, struct tok_session **s, struct err *e)
{
	return interp_session(r, r->step->token, (r->step->type->flags & STEP_NEEDS_LOGIN) != 0, s, e);
}

int step_session_on(struct step_run *r, const char *token, struct tok_session **s, struct err *e)
{
	return interp_session(r, token, true, s, e);
}

int step_session_so(struct step_run *r, const char *token, struct tok_session **s, struct err *e)
{
	struct interp *in = r->in;
	struct tokstate *t = token ? interp_tokstate(in, token) : NULL;
	struct secret *asked = NULL;
	const struct secret *pin;
	int ret = -1;

	*s = NULL;
	if (!t || !in->o->module)
		return err_set(e, ERR_TOKEN, "step '%s': no token is bound to '%s'", r->step->id, token ? token : "(none)");
	/* PKCS#11 3.0 §5.1: login state belongs to the application, one user type at a
	 * time; the user's session is closed (logged out) and opened again when a later
	 * step needs it. */
	tok_close(t->sess);
	t->sess = NULL;
	t->logged_in = false;
	/* The binding's (a rehearsal's), else the one token.init generated in this run
	 * and holds in locked memory (live = rehearsal); asked only when neither is. */
	pin = t->b->so_pin ? t->b->so_pin : t->so_pin;
	if (tok_open(in->o->module, t->b->slot, true, s, e) ||
	    (pin ? tok_login(*s, true, pin, e)
		 : (!(asked = secret_new(256, e)) || login_typed(r, t, true, *s, asked, e)))) {
		tok_close(*s);
		*s = NULL;
		goto out;
	}
	ret = 0;
out:
	secret_free(asked);
	return ret;
}

int step_login_with(struct step_run *r, const char *token, const struct secret *pin, struct err *e)
{
	struct tokstate *t = token ? interp_tokstate(r->in, token) : NULL;
	struct tok_session *s;
	if (!t)
		return err_set(e, ERR_TOKEN, "step '%s': no token is bound to '%s'", r->step->id, token ? token : "(none)");
	if (t->logged_in)
		return err_set(e, ERR_QUORUM, "step '%s': token '%s' is logged in already", r->step->id, token);
	if (interp_session(r, token, false, &s, e) || tok_login(s, false, pin, e))
		return -1;
	t->logged_in = true;
	return 0;
}

int step_init_token(struct step_run *r, const struct secret *user_pin, bool *was_initialised, struct err *e)
{
	struct interp *in = r->in;
	struct tokstate *t = r->step->token ? interp_tokstate(in, r->step->token) : NULL;
	struct tok_info ti;
	const struct secret *so;
	CK_SLOT_ID after;
	int ret = -1;

	if (!t || !in->o->module)
		return err_set(e, ERR_TOKEN, "step '%s': no token is bound to '%s'", r->step->id,
			       r->step->token ? r->step->token : "(none)");
	if (tok_slot_info(in->o->module, t->b->slot, &ti, e))
		return -1;
	*was_initialised = ti.token_present && (ti.token_flags & CKF_TOKEN_INITIALIZED) != 0;
	/* A rehearsal's token was made by `rehearse` with an SO PIN it holds: it is
	 * initialised again (C_InitToken erases it). A live ceremony initialises only a
	 * blank token, never one that may hold keys. */
	if (*was_initialised && !(in->o->rehearsal && t->b->so_pin))
		return err_set(e, ERR_TOKEN,
			       "step '%s': token '%s' (slot %lu) is initialised already; token.init only initialises a "
			       "blank token in a live ceremony",
			       r->step->id, t->decl->name, (unsigned long)t->b->slot);
	so = t->b->so_pin;
	if (!so) {
		/* Held for the run (a later security-officer step), wiped at the end. */
		if (!t->so_pin && !(t->so_pin = secret_new_pin(e)))
			return -1;
		so = t->so_pin;
	}
	tok_close(t->sess);
	t->sess = NULL;
	t->logged_in = false;
	t->initialised = true;
	/* A rehearsal keeps the PINs the token is about to get, before it gets them, so a
	 * resume after a crash anywhere in this step can open it. */
	if (in->o->keepsafe && (keepsafe_put(in->o->keepsafe, KEEPSAFE_PIN, t->decl->name, "so", so->p, so->len, e) ||
				keepsafe_put(in->o->keepsafe, KEEPSAFE_PIN, t->decl->name, "user", user_pin->p,
					     user_pin->len, e)))
		goto out;
	if (tok_init_token(in->o->module, t->b->slot, t->decl->label, so, user_pin, e))
		goto out;
	if (tok_find_label(in->o->module, t->decl->label, &after, e))
		goto out;
	if (after != t->b->slot) {
		err_set(e, ERR_TOKEN, "token '%s' moved from slot %lu to slot %lu when initialised; bind it by label",
			t->decl->name, (unsigned long)t->b->slot, (unsigned long)after);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/* What the preflight found: every problem, said at once, so the room fixes them all
 * before a second try instead of meeting them one by one. */
struct problems {
	enum err_code first;   /* the code of the first problem */
	size_t n, used;
	char all[ERR_MSG_MAX];
};

static void problem(struct problems *p, enum err_code code, const char *fmt, ...) CER_PRINTF(3, 4);
static void problem(struct problems *p, enum err_code code, const char *fmt, ...)
{
	if (!p->n++)
		p->first = code;
	if (p->used + 8 >= sizeof p->all)
		return;   /* the message is full; the count goes on */
	va_list ap;
	va_start(ap, fmt);
	p->used += (size_t)snprintf(p->all + p->used, sizeof p->all - p->used, "%s%zu) ", p->n > 1 ? "; " : "", p->n);
	if (p->used < sizeof p->all)
		p->used += (size_t)vsnprintf(p->all + p->used, sizeof p->all - p->used, fmt, ap);
	va_end(ap);
	if (p->used > sizeof p->all)
		p->used = sizeof p->all;
}

/* A token that token.init will label must be the only one with that label once it
 * is initialised (steps and bindings find tokens by label): another slot holding
 * the label already is refused now, before a share is shown or a token touched. */
static int labels_free(const struct interp *in, struct problems *p, struct err *e)
{
	struct tok_info *v = NULL;
	size_t n = 0;
	if (!in->o->module || !in->n_toks)
		return 0;
	if (tok_list(in->o->module, &v, &n, e))
		return -1;
	for (size_t i = 0; i < in->n_toks; i++) {
		const struct tokstate *t = &in->toks[i];
		bool inits = false;
		for (size_t k = 0; k < in->c->n_steps; k++)
			if (in->c->steps[k].token && !strcmp(in->c->steps[k].token, t->decl->name) &&
			    step_is(&in->c->steps[k], STEP_INITS_TOKEN))
				inits = true;
		if (!inits)
			continue;
		for (size_t k = 0; k < n; k++)
			if (v[k].token_present && v[k].slot != t->b->slot && !strcmp(v[k].label, t->decl->label))
				problem(p, ERR_TOKEN,
					"token.init is to label token '%s' %s, but slot %lu holds a token labelled %s already: "
					"remove or relabel it first",
					t->decl->name, t->decl->label, (unsigned long)v[k].slot, v[k].label);
	}
	free(v);
	return 0;
}

/* Every mechanism a step will need against its bound token. */
static int mechanisms_offered(const struct interp *in, const struct step *s, struct problems *p, struct err *e)
{
	enum { MAX_NEEDS = 8 };
	struct step_need need[MAX_NEEDS];
	size_t n = s->type->needs ? s->type->needs(in->c, s, need, MAX_NEEDS) : 0;
	for (size_t k = 0; k < n && k < MAX_NEEDS; k++) {
		const struct tokstate *t = NULL;
		for (size_t j = 0; j < in->n_toks; j++)
			if (!strcmp(in->toks[j].decl->name, need[k].token))
				t = &in->toks[j];
		if (!t || !in->o->module) {
			problem(p, ERR_BINDING, "step '%s' needs token '%s', which is not bound", s->id, need[k].token);
			continue;
		}
		CK_MECHANISM_TYPE *mechs = NULL;
		size_t nm = 0;
		bool found = false;
		if (tok_mechanisms(in->o->module, t->b->slot, &mechs, &nm, e))
			return -1;
		for (size_t j = 0; j < nm; j++)
			found |= mechs[j] == need[k].mech;
		free(mechs);
		if (!found) {
			const char *name = tok_mech_name(need[k].mech);
			problem(p, ERR_MECHANISM, "step '%s' needs %s for %s, which token '%s' (label %s) does not offer", s->id,
				name ? name : "an unknown mechanism", need[k].algorithm, need[k].token, t->decl->label);
		}
	}
	return 0;
}

/* Before the transcript is opened and any token touched: the labels token.init will
 * give are free, every mechanism a step needs is offered, and what steps check on
 * the day outside the tokens holds (export media mounted). All problems in one error. */
int interp_preflight(const struct interp *in, struct err *e)
{
	struct problems p = {.n = 0};
	if (labels_free(in, &p, e))
		return -1;
	for (size_t i = 0; i < in->c->n_steps; i++) {
		const struct step *s = &in->c->steps[i];
		char why[ERR_MSG_MAX];
		if (mechanisms_offered(in, s, &p, e))
			return -1;
		if (s->type->preflight && !s->type->preflight(s, why, sizeof why))
			problem(&p, ERR_EXPORT, "step '%s': %s", s->id, why);
	}
	if (p.n == 1)
		return err_set(e, p.first, "%s; nothing was done", p.all + 3);
	if (p.n)
		return err_set(e, p.first, "%zu problems, found before anything was done: %s", p.n, p.all);
	return 0;
}

int interp_token_facts(const struct interp *in, cbor_item_t **out, struct err *e)
{
	struct tok_info ti;
	cbor_item_t *all = NULL;
	char num[64];
	int ret = -1;

	*out = NULL;
	if (!in->n_toks || !in->o->module)
		return 0;
	if (!(all = dcbor_map())) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < in->n_toks; i++) {
		const struct tokstate *t = &in->toks[i];
		if (tok_slot_info(in->o->module, t->b->slot, &ti, e))
			goto out;
		cbor_item_t *m = dcbor_map();
		if (!m) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		int rc = (in->o->module_path && dcbor_put(m, "module", dcbor_text(in->o->module_path), e));
		snprintf(num, sizeof num, "%lu", (unsigned long)t->b->slot);
		rc = rc || dcbor_put(m, "slot", dcbor_text(num), e);
		if (!rc && ti.token_present) {
			char hw[32], fw[32];
			snprintf(hw, sizeof hw, "%u.%u", ti.hw_major, ti.hw_minor);
			snprintf(fw, sizeof fw, "%u.%u", ti.fw_major, ti.fw_minor);
			rc = dcbor_put(m, "label", dcbor_text(ti.label), e) ||
			     dcbor_put(m, "manufacturer", dcbor_text(ti.manufacturer), e) ||
			     dcbor_put(m, "model", dcbor_text(ti.model), e) || dcbor_put(m, "serial", dcbor_text(ti.serial), e) ||
			     dcbor_put(m, "hardware", dcbor_text(hw), e) || dcbor_put(m, "firmware", dcbor_text(fw), e) ||
			     dcbor_put(m, "initialised",
				       dcbor_text(ti.token_flags & CKF_TOKEN_INITIALIZED ? "yes" : "no"), e);
		}
		if (rc) {
			cbor_decref(&m);
			goto out;
		}
		if (dcbor_put(all, t->decl->name, m, e))   /* takes m, failing or not */
			goto out;
	}
	*out = all;
	all = NULL;
	ret = 0;
out:
	if (all)
		cbor_decref(&all);
	return ret;
}
