#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "interp.h"
#include "cose.h"
#include "dcbor.h"
#include "files.h"
#include "transcript.h"
#include "words.h"
#include "steps/steps.h"

/* A step can be re-entered by decisions; this bounds a script that loops forever. */
enum { MAX_STEP_RUNS = 10000 };

struct participant {
	char *name;
	const char *role;
	const char *step_id;   /* the attendance step that recorded them */
};

struct made_artifact {
	const char *step_id;
	char *name;
	uint8_t *data;
	size_t len;
};

struct tokstate {
	const struct interp_binding *b;
	const struct token_decl *decl;
	struct tok_session *sess;
	bool logged_in;
	struct secret *asked_pin;   /* PIN typed at the terminal when the binding had none */
};

struct interp {
	const struct ceremony *c;
	const struct interp_opts *o;
	struct ts_writer *w;
	struct cose_signer *signer;
	struct participant *people;
	size_t n_people;
	struct made_artifact *arts;
	size_t n_arts;
	struct tokstate *toks;
	size_t n_toks;
	char art_dir[PATH_MAX];
	unsigned passed, failed, runs;
	unsigned *step_runs;   /* per step: how many attempts have begun (retries, decisions going back) */
};

const char *interp_runner_version(void)
{
	return "ceremony " CER_VERSION " (" CER_REVISION ")";
}

static int person_for(struct interp *in, struct step_run *r, const char *role, const char *key, const char **name,
		      struct err *e);

/* ---- services for step types (steps/steps.h) ------------------------------ */

void step_show(struct step_run *r, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	prompt_show(r->in->o->prompt, PROMPT_PLAIN, "%s", text);
}

int step_ask(struct step_run *r, const char *role, const char *key, const char *question, char **answer,
	     struct err *e)
{
	struct prompt_q q = {.step = r->step->id, .role = role, .key = key, .text = question};
	return prompt_ask(r->in->o->prompt, &q, answer, e);
}

int step_ask_readback(struct step_run *r, const char *role, const char *key, const char *question, const char *shown,
		      char **answer, struct err *e)
{
	struct prompt_q q = {.step = r->step->id, .role = role, .key = key, .text = question, .shown = shown};
	return prompt_ask(r->in->o->prompt, &q, answer, e);
}

const char *step_out_dir(const struct step_run *r)
{
	return r->in->o->out_dir;
}

int step_confirm(struct step_run *r, const char *role, const char *key, const char *question, struct err *e)
{
	struct prompt_q q = {.step = r->step->id, .role = role, .key = key, .text = question};
	return prompt_confirm(r->in->o->prompt, &q, e);
}

int step_output(struct step_run *r, const char *name, cbor_item_t *value, struct err *e)
{
	if (dcbor_get(r->outputs, name)) {
		cbor_decref(&value);
		return err_set(e, "internal", "step '%s' produced output '%s' twice", r->step->id, name);
	}
	return dcbor_put(r->outputs, name, value, e);
}

int step_check(struct step_run *r, const char *what, cbor_item_t *expected, cbor_item_t *actual, bool held,
	       struct err *e)
{
	cbor_item_t *c = dcbor_map();
	/* Each put takes its value even when it fails, so every value is handed over. */
	int rc = !c;
	rc |= c ? dcbor_put_u(c, 1, expected, e) : (cbor_decref(&expected), -1);
	rc |= c ? dcbor_put_u(c, 2, actual, e) : (cbor_decref(&actual), -1);
	if (rc || dcbor_put_u(c, 0, dcbor_text(what), e) || dcbor_put_u(c, 3, dcbor_bool(held), e)) {
		if (c)
			cbor_decref(&c);
		return err_set(e, "nomem", "out of memory");
	}
	return dcbor_push(r->checks, c, e);
}

int step_artifact(struct step_run *r, const char *name, const char *file, const char *media_type,
		  const uint8_t *data, size_t len, struct err *e)
{
	struct interp *in = r->in;
	char path[PATH_MAX];
	uint8_t sha[32];
	cbor_item_t *a = NULL;

	if (strchr(file, '/') || file[0] == '.')
		return err_set(e, "internal", "artifact file name '%s' must be a plain name", file);
	/* A step run again (a retry, a decision going back) makes its files again: they get
	 * the run's number, because an earlier run's files are never overwritten. */
	unsigned run = in->step_runs[r->step->index];
	size_t stem = strcspn(file, ".");
	int n = run > 1 ? snprintf(path, sizeof path, "%s/%.*s-run%u%s", in->art_dir, (int)stem, file, run, file + stem)
			: snprintf(path, sizeof path, "%s/%s", in->art_dir, file);
	if (n < 0 || n >= (int)sizeof path)
		return err_set(e, "io", "path too long for artifact '%s'", file);
	if (files_write_new(path, data, len, e))
		return -1;
	SHA256(data, len, sha);
	a = dcbor_map();
	if (!a)
		return err_set(e, "nomem", "out of memory");
	if (dcbor_put_u(a, 0, dcbor_text(name), e) || dcbor_put_u(a, 1, dcbor_bytes(sha, sizeof sha), e) ||
	    dcbor_put_u(a, 2, dcbor_uint(len), e) || dcbor_put_u(a, 3, dcbor_text(media_type), e) ||
	    dcbor_put_u(a, 4, dcbor_bytes(data, len), e)) {
		cbor_decref(&a);
		return -1;
	}
	if (dcbor_push(r->artifacts, a, e))
		return -1;

	struct made_artifact *na = realloc(in->arts, (in->n_arts + 1) * sizeof *na);
	if (!na)
		return err_set(e, "nomem", "out of memory");
	in->arts = na;
	struct made_artifact *m = &in->arts[in->n_arts];
	m->step_id = r->step->id;
	m->name = strdup(name);
	m->data = malloc(len ? len : 1);
	if (!m->name || !m->data) {
		free(m->name);
		free(m->data);
		return err_set(e, "nomem", "out of memory");
	}
	memcpy(m->data, data, len);
	m->len = len;
	in->n_arts++;
	step_show(r, "artifact %s written to %s (%zu bytes)", name, path, len);
	return 0;
}

int step_find_artifact(struct step_run *r, const char *step_id, const char *name, const uint8_t **data,
		       size_t *len, struct err *e)
{
	/* The latest wins: a step that was retried made its artifact again. */
	for (size_t i = r->in->n_arts; i-- > 0;) {
		const struct made_artifact *m = &r->in->arts[i];
		if (!strcmp(m->step_id, step_id) && (!name || !strcmp(m->name, name))) {
			*data = m->data;
			*len = m->len;
			return 0;
		}
	}
	return err_set(e, "missing-artifact", "step '%s' has not produced artifact '%s' in this run", step_id,
		       name ? name : "(any)");
}

static struct tokstate *tokstate_of(struct interp *in, const char *name)
{
	for (size_t i = 0; i < in->n_toks; i++)
		if (!strcmp(in->toks[i].decl->name, name))
			return &in->toks[i];
	return NULL;
}

int step_token_slot(struct step_run *r, struct tok_module **m, CK_SLOT_ID *slot, struct err *e)
{
	struct tokstate *t = r->step->token ? tokstate_of(r->in, r->step->token) : NULL;
	if (!t || !r->in->o->module)
		return err_set(e, "token", "step '%s': no token is bound to '%s'", r->step->id,
			       r->step->token ? r->step->token : "(none)");
	*m = r->in->o->module;
	*slot = t->b->slot;
	return 0;
}

/* One session per token for the whole ceremony, logged in once when first needed. */
static int session_on(struct step_run *r, const char *token, bool login, struct tok_session **s, struct err *e)
{
	struct interp *in = r->in;
	struct tokstate *t = token ? tokstate_of(in, token) : NULL;
	if (!t || !in->o->module)
		return err_set(e, "token", "step '%s': no token is bound to '%s'", r->step->id, token ? token : "(none)");
	if (!t->sess && tok_open(in->o->module, t->b->slot, true, &t->sess, e))
		return -1;
	if (login && !t->logged_in) {
		const struct secret *pin = t->b->user_pin;
		if (!pin) {
			/* A live ceremony: the PIN is typed without echo, never read from argv or the script. */
			if (!t->asked_pin && !(t->asked_pin = secret_new(256, e)))
				return -1;
			struct prompt_q q = {.step = r->step->id, .role = r->step->performed_by, .key = "pin",
					     .text = "user PIN of the token (not echoed)"};
			if (prompt_ask_secret(in->o->prompt, &q, t->asked_pin, e))
				return -1;
			pin = t->asked_pin;
		}
		int rc = tok_login(t->sess, false, pin, e);
		if (t->asked_pin)
			secret_wipe(t->asked_pin->p, t->asked_pin->cap);
		if (rc)
			return -1;
		t->logged_in = true;
	}
	*s = t->sess;
	return 0;
}

int step_session(struct step_run *r, struct tok_session **s, struct err *e)
{
	return session_on(r, r->step->token, (r->step->type->flags & STEP_NEEDS_LOGIN) != 0, s, e);
}

int step_session_on(struct step_run *r, const char *token, struct tok_session **s, struct err *e)
{
	return session_on(r, token, true, s, e);
}

int step_attend(struct step_run *r, const char *name, const char *role, struct err *e)
{
	struct interp *in = r->in;
	const struct role *ro = script_role(in->c, role);
	if (!ro)
		return err_set(e, "attendance", "no role '%s' in the script", role);
	for (size_t i = 0; i < in->n_people; i++) {
		if (strcmp(in->people[i].name, name))
			continue;
		if (!strcmp(in->people[i].role, role))
			return err_set(e, "attendance", "'%s' is already present as %s", name, role);
		if (in->c->separation_strict)
			return err_set(e, "separation",
				       "'%s' is already present as %s and cannot also be %s: the script requires "
				       "separation of duties (nobody in two roles)",
				       name, in->people[i].role, role);
	}
	struct participant *np = realloc(in->people, (in->n_people + 1) * sizeof *np);
	if (!np)
		return err_set(e, "nomem", "out of memory");
	in->people = np;
	in->people[in->n_people].name = strdup(name);
	if (!in->people[in->n_people].name)
		return err_set(e, "nomem", "out of memory");
	in->people[in->n_people].role = ro->name;
	in->people[in->n_people].step_id = r->step->id;
	in->n_people++;
	return 0;
}

/* Shows an anchor for the paper log in the form `ceremony verify --anchor SEQ:HEX`
 * takes: the head before record seq. */
static void show_anchor(struct interp *in, const char *what, uint64_t seq, const uint8_t head[32])
{
	char hex[100], words[600];
	prompt_show(in->o->prompt, PROMPT_PLAIN, "%s: anchor %llu:%s", what, (unsigned long long)seq,
		    words_hex(head, 32, hex, sizeof hex));
	prompt_show(in->o->prompt, PROMPT_PLAIN, "  in groups: %s", words_hex_groups(head, 32, 2, hex, sizeof hex));
	prompt_show(in->o->prompt, PROMPT_PLAIN, "  in words:  %s", words_pgp_line(head, 32, words, sizeof words));
}

int step_write_checkpoint(struct step_run *r, const char *label, struct err *e)
{
	struct interp *in = r->in;
	uint8_t head[32];
	uint64_t seq;
	cbor_item_t *body = dcbor_map();
	if (!body)
		return err_set(e, "nomem", "out of memory");
	ts_writer_head(in->w, head);   /* the head before the checkpoint is its prev */
	int rc = dcbor_put_u(body, 0, dcbor_text(label), e) || ts_append(in->w, TS_CHECKPOINT, body, &seq, e);
	cbor_decref(&body);
	if (rc)
		return -1;
	show_anchor(in, "checkpoint for the paper log", seq, head);
	char hex[100];
	return step_output(r, "checkpoint_seq", dcbor_uint(seq), e) ||
	       step_output(r, "checkpoint_prev", dcbor_text(words_hex(head, 32, hex, sizeof hex)), e);
}

/* ---- the interpreter ------------------------------------------------------ */

static bool is_common(const char *k)
{
	for (size_t i = 0; script_common_keys[i]; i++)
		if (!strcmp(script_common_keys[i], k))
			return true;
	return false;
}

/* YAML as written to a transcript value: plain decimal -> uint, plain true/false -> bool. */
static cbor_item_t *yaml_value(const struct ynode *n, struct err *e)
{
	cbor_item_t *v = NULL;
	if (n->kind == YN_SCALAR) {
		if (n->plain && (!strcmp(n->str, "true") || !strcmp(n->str, "false")))
			return dcbor_bool(n->str[0] == 't');
		if (n->plain && n->len > 0 && n->len < 20 && strspn(n->str, "0123456789") == n->len &&
		    (n->str[0] != '0' || n->len == 1))
			return dcbor_uint(strtoull(n->str, NULL, 10));
		return dcbor_text(n->str);
	}
	v = n->kind == YN_MAP ? dcbor_map() : dcbor_array();
	if (!v)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		cbor_item_t *c = yaml_value(n->vals[i], e);
		if (!c || (n->kind == YN_MAP ? dcbor_put(v, n->keys[i]->str, c, e) : dcbor_push(v, c, e))) {
			cbor_decref(&v);
			return NULL;
		}
	}
	return v;
}

static cbor_item_t *step_params(struct interp *in, const struct step *s, struct err *e)
{
	cbor_item_t *p = dcbor_map();
	if (!p)
		goto oom;
	for (size_t i = 0; i < s->node->n; i++) {
		const char *k = s->node->keys[i]->str;
		if (is_common(k))
			continue;
		cbor_item_t *v = yaml_value(s->node->vals[i], e);
		if (!v || dcbor_put(p, k, v, e))
			goto oom;
	}
	if (s->token) {
		struct tokstate *t = tokstate_of(in, s->token);
		if (t && dcbor_put(p, "token_label", dcbor_text(t->decl->label), e))
			goto oom;
	}
	return p;
oom:
	if (p)
		cbor_decref(&p);
	err_set(e, "nomem", "out of memory");
	return NULL;
}

/* The role that answers for a step when the script names none. */
static const char *acting_role(const struct interp *in, const struct step *s)
{
	if (s->performed_by)
		return s->performed_by;
	if (script_role(in->c, "administrator"))
		return "administrator";
	return in->c->n_roles ? in->c->roles[0].name : NULL;
}

const char *step_role(const struct step_run *r)
{
	return acting_role(r->in, r->step);
}

int step_person(struct step_run *r, const char *role, const char *key, const char **name, struct err *e)
{
	return person_for(r->in, r, role, key, name, e);
}

/* Text form of an output value, for Expected vs Actual. */
static void value_text(const cbor_item_t *v, char *out, size_t cap)
{
	if (!v) {
		snprintf(out, cap, "(none)");
	} else if (cbor_isa_string(v)) {
		snprintf(out, cap, "%.*s", (int)cbor_string_length(v), (const char *)cbor_string_handle(v));
	} else if (cbor_isa_uint(v)) {
		snprintf(out, cap, "%llu", (unsigned long long)cbor_get_int(v));
	} else if (cbor_isa_negint(v)) {
		snprintf(out, cap, "-%llu", (unsigned long long)cbor_get_int(v) + 1);
	} else if (cbor_is_bool(v)) {
		snprintf(out, cap, "%s", cbor_get_bool(v) ? "true" : "false");
	} else if (cbor_isa_bytestring(v)) {
		words_hex(cbor_bytestring_handle(v), cbor_bytestring_length(v), out, cap);
	} else if (cbor_isa_array(v)) {
		size_t used = 0;
		out[0] = 0;
		for (size_t i = 0; i < cbor_array_size(v) && used + 1 < cap; i++) {
			cbor_item_t *it = cbor_array_get(v, i);
			char one[256];
			value_text(it, one, sizeof one);
			cbor_decref(&it);
			used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", one);
		}
	} else if (cbor_isa_map(v)) {
		struct cbor_pair *pairs = cbor_map_handle(v);
		size_t used = (size_t)snprintf(out, cap, "{");
		for (size_t i = 0; i < cbor_map_size(v) && used + 1 < cap; i++) {
			char k[128], one[256];
			value_text(pairs[i].key, k, sizeof k);
			value_text(pairs[i].value, one, sizeof one);
			used += (size_t)snprintf(out + used, cap - used, "%s%s: %s", i ? ", " : "", k, one);
		}
		if (used + 1 < cap)
			snprintf(out + used, cap - used, "}");
	} else {
		snprintf(out, cap, "(null)");
	}
}

/* Evaluates `expect` against the outputs: each is a recorded check. */
static int evaluate_expect(struct step_run *r, bool *all_held, struct err *e)
{
	const struct ynode *ex = r->step->expect;
	*all_held = true;
	if (!ex)
		return 0;
	for (size_t i = 0; i < ex->n; i++) {
		const char *key = ex->keys[i]->str, *want = ex->vals[i]->str;
		char got[1024];
		value_text(dcbor_get(r->outputs, key), got, sizeof got);
		bool held = dcbor_get(r->outputs, key) && !strcmp(got, want);
		if (!held)
			*all_held = false;
		if (step_check(r, key, dcbor_text(want), dcbor_text(got), held, e))
			return -1;
	}
	return 0;
}

static void show_actual(struct interp *in, struct step_run *r)
{
	struct prompt *p = in->o->prompt;
	size_t n = cbor_map_size(r->outputs);
	struct cbor_pair *pairs = cbor_map_handle(r->outputs);
	const struct ynode *ex = r->step->expect;
	for (size_t i = 0; ex && i < ex->n; i++) {
		char got[1024];
		value_text(dcbor_get(r->outputs, ex->keys[i]->str), got, sizeof got);
		bool held = dcbor_get(r->outputs, ex->keys[i]->str) && !strcmp(got, ex->vals[i]->str);
		prompt_show(p, held ? PROMPT_PLAIN : PROMPT_WARN, "%-22s Expected: %-20s Actual: %s  %s",
			    ex->keys[i]->str, ex->vals[i]->str, got, held ? "[matches]" : "[MISMATCH]");
	}
	for (size_t i = 0; i < n; i++) {
		char key[128], val[1024];
		value_text(pairs[i].key, key, sizeof key);
		if (ex && ynode_get(ex, key))
			continue;
		value_text(pairs[i].value, val, sizeof val);
		prompt_show(p, PROMPT_PLAIN, "%-22s Actual: %s", key, val);
	}
}

/* Typed values the script asks to record (a seal number, a safe location). */
static int take_records(struct interp *in, struct step_run *r, struct err *e)
{
	const char *role = acting_role(in, r->step);
	for (size_t i = 0; i < r->step->n_record; i++) {
		const struct record_field *f = &r->step->record[i];
		char *answer = NULL;
		if (step_ask(r, role, f->name, f->prompt ? f->prompt : f->name, &answer, e))
			return -1;
		int rc = step_output(r, f->name, dcbor_text(answer), e);
		free(answer);
		if (rc)
			return -1;
	}
	return 0;
}

static int take_confirmations(struct step_run *r, struct err *e)
{
	char q[512];
	for (size_t i = 0; i < r->step->n_confirm; i++) {
		snprintf(q, sizeof q, "the Actual of step '%s' is as shown above; type yes to confirm", r->step->id);
		if (step_confirm(r, r->step->confirm[i], "confirm", q, e))
			return -1;
	}
	return 0;
}

/* A new attempt of an attendance step starts from nobody it recorded before. */
static void forget_attendance(struct interp *in, const char *step_id)
{
	size_t k = 0;
	for (size_t i = 0; i < in->n_people; i++) {
		if (!strcmp(in->people[i].step_id, step_id))
			free(in->people[i].name);
		else
			in->people[k++] = in->people[i];
	}
	in->n_people = k;
}

/* Picks who acts for role: the one present, or asks which one (under key) when several are. */
static int person_for(struct interp *in, struct step_run *r, const char *role, const char *key, const char **name,
		      struct err *e)
{
	size_t count = 0, last = 0;
	for (size_t i = 0; i < in->n_people; i++)
		if (!strcmp(in->people[i].role, role)) {
			count++;
			last = i;
		}
	if (count == 0)
		return err_set(e, "not-present", "step '%s': nobody is present as %s (attendance must record a %s first)",
			       r->step->id, role, role);
	if (count == 1) {
		*name = in->people[last].name;
		return 0;
	}
	char *who = NULL;
	char q[256];
	snprintf(q, sizeof q, "name of the %s (%s)", role, key);
	if (step_ask(r, role, key, q, &who, e))
		return -1;
	for (size_t i = 0; i < in->n_people; i++)
		if (!strcmp(in->people[i].role, role) && !strcmp(in->people[i].name, who)) {
			*name = in->people[i].name;
			free(who);
			return 0;
		}
	err_set(e, "not-present", "step '%s': '%s' is not present as %s and cannot act for that role", r->step->id,
		who, role);
	free(who);
	return -1;
}

static int take_signoffs(struct interp *in, struct step_run *r, cbor_item_t *signoffs, struct err *e)
{
	for (size_t i = 0; i < r->step->n_signoff; i++) {
		const char *role = r->step->signoff[i], *name = NULL;
		char statement[768];
		if (person_for(in, r, role, "signoff_by", &name, e))
			return -1;
		snprintf(statement, sizeof statement,
			 "I, %s, %s, attest that step '%s' was performed as read aloud and its Actual is as recorded",
			 name, role, r->step->id);
		if (step_confirm(r, role, "signoff", statement, e))
			return -1;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		cbor_item_t *s = dcbor_map();
		if (!s)
			return err_set(e, "nomem", "out of memory");
		if (dcbor_put_u(s, 0, dcbor_text(role), e) || dcbor_put_u(s, 1, dcbor_text(name), e) ||
		    dcbor_put_u(s, 2, dcbor_text(statement), e) ||
		    dcbor_put_u(s, 3, dcbor_uint((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000), e) ||
		    dcbor_put_u(s, 4, dcbor_uint(0), e)) {
			cbor_decref(&s);
			return -1;
		}
		if (dcbor_push(signoffs, s, e))
			return -1;
	}
	return 0;
}

static int begin_record(struct interp *in, const struct step *s, uint64_t *seq, struct err *e)
{
	cbor_item_t *body = dcbor_map(), *params;
	int rc = -1;
	if (!body)
		return err_set(e, "nomem", "out of memory");
	if (!(params = step_params(in, s, e)) || dcbor_put_u(body, 3, params, e))
		goto out;
	if (dcbor_put_u(body, 0, dcbor_text(s->id), e) || dcbor_put_u(body, 1, dcbor_uint(s->index), e) ||
	    dcbor_put_u(body, 2, dcbor_text(s->type->name), e))
		goto out;
	if (s->performed_by && dcbor_put_u(body, 4, dcbor_text(s->performed_by), e))
		goto out;
	rc = ts_append(in->w, TS_STEP_BEGIN, body, seq, e);
out:
	cbor_decref(&body);
	return rc;
}

static int result_record(struct interp *in, struct step_run *r, uint64_t begin_seq, enum ts_outcome outcome,
			 cbor_item_t *signoffs, const struct err *step_err, struct err *e)
{
	cbor_item_t *body = dcbor_map();
	int rc = -1;
	if (!body)
		return err_set(e, "nomem", "out of memory");
	if (dcbor_put_u(body, 0, dcbor_text(r->step->id), e) || dcbor_put_u(body, 1, dcbor_uint(begin_seq), e) ||
	    dcbor_put_u(body, 2, dcbor_uint(outcome), e) || dcbor_put_u(body, 3, cbor_incref(r->outputs), e))
		goto out;
	if (cbor_array_size(r->checks) && dcbor_put_u(body, 4, cbor_incref(r->checks), e))
		goto out;
	if (cbor_array_size(signoffs) && dcbor_put_u(body, 5, cbor_incref(signoffs), e))
		goto out;
	if (cbor_array_size(r->artifacts) && dcbor_put_u(body, 6, cbor_incref(r->artifacts), e))
		goto out;
	if (r->decision && dcbor_put_u(body, 7, cbor_incref(r->decision), e))
		goto out;
	if (step_err) {
		cbor_item_t *er = dcbor_map();
		if (!er || dcbor_put_u(er, 0, dcbor_text(step_err->code), e) ||
		    dcbor_put_u(er, 1, dcbor_text(step_err->msg), e) || dcbor_put_u(body, 9, er, e))
			goto out;
	}
	rc = ts_append(in->w, TS_STEP_RESULT, body, NULL, e);
out:
	cbor_decref(&body);
	return rc;
}

static void run_free(struct step_run *r)
{
	if (r->outputs)
		cbor_decref(&r->outputs);
	if (r->checks)
		cbor_decref(&r->checks);
	if (r->artifacts)
		cbor_decref(&r->artifacts);
	if (r->decision)
		cbor_decref(&r->decision);
}

/* Runs one attempt of a step: begin record, act, expectations, Actual, confirmations,
 * sign-offs, result record. *outcome is the step's; the return value is -1 only when
 * the transcript could not be written (the ceremony must stop). */
static int run_attempt(struct interp *in, struct step_run *r, enum ts_outcome *outcome, struct err *e)
{
	const struct step *s = r->step;
	struct err se = {{0}, {0}};
	bool held = true, failed = false;
	uint64_t begin_seq;
	cbor_item_t *signoffs = dcbor_array();
	int rc = -1;

	r->outputs = dcbor_map();
	r->checks = dcbor_array();
	r->artifacts = dcbor_array();
	if (!signoffs || !r->outputs || !r->checks || !r->artifacts) {
		err_set(e, "nomem", "out of memory");
		goto out;
	}
	in->step_runs[s->index]++;
	if (begin_record(in, s, &begin_seq, e))
		goto out;
	forget_attendance(in, s->id);
	if (s->type->execute(r, &se) || take_records(in, r, &se)) {
		failed = true;
	} else {
		if (evaluate_expect(r, &held, &se))
			failed = true;
	}
	show_actual(in, r);
	if (failed)
		prompt_show(in->o->prompt, PROMPT_WARN, "step '%s' failed: %s", s->id, se.msg);
	else if (!held)
		prompt_show(in->o->prompt, PROMPT_WARN, "step '%s': the Actual does not match the Expected", s->id);
	if (!failed && held) {
		if (take_confirmations(r, &se) || take_signoffs(in, r, signoffs, &se)) {
			failed = true;
			prompt_show(in->o->prompt, PROMPT_WARN, "step '%s' failed: %s", s->id, se.msg);
		}
	}
	if (!failed && !held)
		err_set(&se, "expectation", "the Actual of step '%s' does not match the Expected", s->id);
	*outcome = (!failed && held) ? TS_PASSED : TS_FAILED;
	if (result_record(in, r, begin_seq, *outcome, signoffs, *outcome == TS_PASSED ? NULL : &se, e))
		goto out;
	rc = 0;
out:
	if (signoffs)
		cbor_decref(&signoffs);
	return rc;
}

static size_t step_index(const struct ceremony *c, const char *id)
{
	const struct step *s = script_step(c, id);
	return s ? s->index : c->n_steps;
}

static int host_facts(const struct interp_opts *o, cbor_item_t **out, struct err *e)
{
	cbor_item_t *h = dcbor_map();
	struct utsname u;
	char name[256] = "";
	if (!h)
		return err_set(e, "nomem", "out of memory");
	if (gethostname(name, sizeof name - 1) == 0 && dcbor_put(h, "hostname", dcbor_text(name), e))
		goto fail;
	if (uname(&u) == 0 && (dcbor_put(h, "kernel", dcbor_text(u.release), e) ||
			       dcbor_put(h, "machine", dcbor_text(u.machine), e)))
		goto fail;
	FILE *f = fopen("/etc/os-release", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "PRETTY_NAME=", 12))
				continue;
			char *v = line + 12;
			v[strcspn(v, "\n")] = 0;
			if (*v == '"') {
				v++;
				v[strcspn(v, "\"")] = 0;
			}
			if (dcbor_put(h, "os", dcbor_text(v), e)) {
				fclose(f);
				goto fail;
			}
		}
		fclose(f);
	}
	if (dcbor_put(h, "openssl", dcbor_text(OpenSSL_version(OPENSSL_VERSION)), e))
		goto fail;
	/* An auditor must see whether people answered in the room or a file did. */
	char prompts[1024];
	snprintf(prompts, sizeof prompts, "%s%s", o->answers_path ? "answers file " : "terminal",
		 o->answers_path ? o->answers_path : "");
	if (dcbor_put(h, "prompts", dcbor_text(prompts), e) ||
	    (o->module_path && dcbor_put(h, "pkcs11_module", dcbor_text(o->module_path), e)))
		goto fail;
	*out = h;
	return 0;
fail:
	cbor_decref(&h);
	return -1;
}

static void interp_cleanup(struct interp *in)
{
	for (size_t i = 0; i < in->n_toks; i++) {
		tok_close(in->toks[i].sess);
		secret_free(in->toks[i].asked_pin);
	}
	free(in->toks);
	free(in->step_runs);
	for (size_t i = 0; i < in->n_people; i++)
		free(in->people[i].name);
	free(in->people);
	for (size_t i = 0; i < in->n_arts; i++) {
		free(in->arts[i].name);
		free(in->arts[i].data);
	}
	free(in->arts);
	ts_writer_close(in->w);
	/* The audit key is wiped once the seal is written: nobody can sign this transcript again. */
	cose_signer_free(in->signer);
}

static int seal(struct interp *in, int status, const char *last_step, const char *reason, struct err *e)
{
	cbor_item_t *body = dcbor_map(), *sum = dcbor_map();
	uint64_t seq;
	uint8_t head[32], before[32];
	int rc = -1;
	if (!body || !sum) {
		if (sum)
			cbor_decref(&sum);
		err_set(e, "nomem", "out of memory");
		goto out;
	}
	if (dcbor_put_u(body, 1, sum, e) || dcbor_put_u(body, 0, dcbor_uint((uint64_t)status), e))
		goto out;
	if (dcbor_put(sum, "steps_run", dcbor_uint(in->runs), e) || dcbor_put(sum, "passed", dcbor_uint(in->passed), e) ||
	    dcbor_put(sum, "failed", dcbor_uint(in->failed), e) ||
	    (last_step && dcbor_put(sum, "last_step", dcbor_text(last_step), e)) ||
	    (reason && dcbor_put(sum, "reason", dcbor_text(reason), e)))
		goto out;
	ts_writer_head(in->w, before);
	if (ts_append(in->w, TS_SEAL, body, &seq, e))
		goto out;
	ts_writer_head(in->w, head);
	static const char *const names[] = {"completed", "aborted", "halted"};
	prompt_show(in->o->prompt, PROMPT_HEADING, "Transcript sealed: %s", names[status]);
	/* The anchor pins every record up to the seal; the seal itself is signed by an
	 * audit key that is wiped now, so nobody can write another one. */
	show_anchor(in, "seal for the paper log", seq, before);
	char hex[100];
	prompt_show(in->o->prompt, PROMPT_PLAIN, "head of the file (SHA-256 of the seal record): %s",
		    words_hex(head, 32, hex, sizeof hex));
	rc = 0;
out:
	if (body)
		cbor_decref(&body);
	return rc;
}

/* Every mechanism a step will need, checked against its bound token before the
 * transcript is opened: a missing one is found now, not halfway through the room. */
static int preflight(const struct interp *in, struct err *e)
{
	enum { MAX_NEEDS = 8 };
	for (size_t i = 0; i < in->c->n_steps; i++) {
		const struct step *s = &in->c->steps[i];
		struct step_need need[MAX_NEEDS];
		size_t n = s->type->needs ? s->type->needs(in->c, s, need, MAX_NEEDS) : 0;
		for (size_t k = 0; k < n && k < MAX_NEEDS; k++) {
			const struct tokstate *t = NULL;
			for (size_t j = 0; j < in->n_toks; j++)
				if (!strcmp(in->toks[j].decl->name, need[k].token))
					t = &in->toks[j];
			if (!t || !in->o->module)
				return err_set(e, "binding", "step '%s' needs token '%s', which is not bound", s->id, need[k].token);
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
				return err_set(e, "mechanism",
					       "step '%s' needs %s for %s, which token '%s' (label %s) does not offer; "
					       "nothing was done",
					       s->id, name ? name : "an unknown mechanism", need[k].algorithm, need[k].token,
					       t->decl->label);
			}
		}
	}
	return 0;
}

int interp_check_out(const char *out_dir, struct err *e)
{
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof path, "%s/transcript.cts", out_dir) >= (int)sizeof path)
		return err_set(e, "io", "output path too long: '%s'", out_dir);
	if (access(path, F_OK) == 0)
		return err_set(e, "io", "'%s' exists already: choose a new --out folder (transcripts are never overwritten)",
			       path);
	if (stat(out_dir, &st) == 0 && (!S_ISDIR(st.st_mode) || access(out_dir, W_OK | X_OK) != 0))
		return err_set(e, "io", "'%s' is not a folder this program can write to", out_dir);
	return 0;
}

int interp_run(const struct ceremony *c, const struct interp_opts *o, int *status, struct err *e)
{
	struct interp in = {.c = c, .o = o};
	char path[PATH_MAX];
	cbor_item_t *host = NULL;
	int rc = -1;
	const char *last_step = NULL;
	*status = 1;

	if (snprintf(path, sizeof path, "%s/transcript.cts", o->out_dir) >= (int)sizeof path ||
	    snprintf(in.art_dir, sizeof in.art_dir, "%s/artifacts", o->out_dir) >= (int)sizeof in.art_dir)
		return err_set(e, "io", "output path too long: '%s'", o->out_dir);
	if (interp_check_out(o->out_dir, e))
		return -1;
	in.toks = calloc(c->n_tokens ? c->n_tokens : 1, sizeof *in.toks);
	in.step_runs = calloc(c->n_steps, sizeof *in.step_runs);
	if (!in.toks || !in.step_runs)
		return err_set(e, "nomem", "out of memory");
	for (size_t i = 0; i < c->n_tokens; i++) {
		in.toks[in.n_toks].decl = &c->tokens[i];
		for (size_t j = 0; j < o->n_bindings; j++)
			if (!strcmp(o->bindings[j].name, c->tokens[i].name))
				in.toks[in.n_toks].b = &o->bindings[j];
		if (!in.toks[in.n_toks].b) {
			err_set(e, "binding", "token '%s' of the script is not bound to a slot", c->tokens[i].name);
			goto out;
		}
		in.n_toks++;
	}
	if (preflight(&in, e) || files_mkdirs(o->out_dir, e) || files_mkdirs(in.art_dir, e))
		goto out;
	if (!(in.signer = cose_signer_new_memory_es256(e)) || host_facts(o, &host, e))
		goto out;
	struct ts_genesis g = {
		.title = c->title,
		.script = c->doc->bytes,
		.script_len = c->doc->len,
		.rehearsal = o->rehearsal,
		.runner = interp_runner_version(),
		.signer_where = "memory",
		.host = host,
	};
	if (ts_writer_open(path, in.signer, &g, &in.w, e))
		goto out;

	struct prompt *p = o->prompt;
	char hex[100], words[600];
	prompt_show(p, PROMPT_HEADING, "%s%s", c->title, o->rehearsal ? " (REHEARSAL)" : "");
	prompt_show(p, PROMPT_PLAIN, "transcript: %s", path);
	prompt_show(p, PROMPT_PLAIN, "audit key id: %s", words_hex_groups(in.signer->kid, 32, 2, hex, sizeof hex));
	prompt_show(p, PROMPT_PLAIN, "  in words: %s", words_pgp_line(in.signer->kid, 32, words, sizeof words));

	int final = 0; /* 0 completed, 1 aborted, 2 halted */
	char reason[ERR_MSG_MAX] = "";
	size_t i = 0;
	while (i < c->n_steps) {
		const struct step *s = &c->steps[i];
		struct step_run r = {.in = &in, .cer = c, .step = s};
		enum ts_outcome outcome = TS_FAILED;
		unsigned attempts = 1 + (s->on_fail == ON_FAIL_RETRY ? s->retries : 0);
		if (++in.runs > MAX_STEP_RUNS) {
			snprintf(reason, sizeof reason, "more than %d steps run: the script's decisions loop", MAX_STEP_RUNS);
			prompt_show(p, PROMPT_WARN, "%s", reason);
			final = 1;
			break;
		}
		last_step = s->id;
		for (r.attempt = 1; r.attempt <= attempts; r.attempt++) {
			prompt_show(p, PROMPT_HEADING, "Step %zu of %zu: %s - %s%s", s->index + 1, c->n_steps, s->id,
				    s->title, r.attempt > 1 ? " (again)" : "");
			if (s->say)
				prompt_show(p, PROMPT_SAY, "%s", s->say);
			if (s->performed_by)
				prompt_show(p, PROMPT_PLAIN, "performed by: %s", s->performed_by);
			run_free(&r);
			r.outputs = r.checks = r.artifacts = r.decision = NULL;
			r.next = NULL;
			r.halt = false;
			if (run_attempt(&in, &r, &outcome, e)) {
				run_free(&r);
				goto out; /* the transcript cannot be written: fail closed, no seal */
			}
			if (outcome == TS_PASSED)
				break;
			if (r.attempt < attempts)
				prompt_show(p, PROMPT_WARN, "retrying step '%s' (%u of %u attempts used)", s->id, r.attempt,
					    attempts);
		}
		const char *next = r.next;
		bool halt = r.halt;
		run_free(&r);
		if (outcome == TS_PASSED) {
			in.passed++;
		} else {
			in.failed++;
			if (s->on_fail == ON_FAIL_DECISION) {
				i = step_index(c, s->on_fail_decision);
				continue;
			}
			snprintf(reason, sizeof reason, "step '%s' failed", s->id);
			final = 1;
			break;
		}
		if (halt) {
			final = 2;
			break;
		}
		i = next ? step_index(c, next) : i + 1;
	}
	if (seal(&in, final, last_step, reason[0] ? reason : NULL, e))
		goto out;
	*status = final;
	rc = 0;
out:
	if (host)
		cbor_decref(&host);
	interp_cleanup(&in);
	return rc;
}
