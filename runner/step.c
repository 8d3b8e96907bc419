/* step: the step handle (runner/step.h) a running step speaks through: what it
 * shows and asks, its outputs, checks and artifacts, secrets held for the run;
 * and looking a type up in a step table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "dcbor.h"
#include "files.h"
#include "fold.h"
#include "keepsafe.h"

const struct step_type *step_table_find(const struct step_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (!strcmp(t->types[i]->name, name))
			return t->types[i];
	return NULL;
}

void step_warn(struct step_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	prompt_vshow(r->in->o->prompt, PROMPT_WARN, fmt, ap);
	va_end(ap);
}

void step_show(struct step_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	prompt_vshow(r->in->o->prompt, PROMPT_PLAIN, fmt, ap);
	va_end(ap);
}

/* The step a question is asked under: a resume's own questions (an `interrupted`
 * hook's) are the resume's, so one answers file serves a rehearsal and its resume. */
static const char *q_step(const struct step_run *r)
{
	return r->resuming ? SCRIPT_RESUME : r->step->id;
}

int step_ask(struct step_run *r, const char *role, const char *key, const char *question, char **answer,
	     struct err *e)
{
	struct prompt_q q = {.step = q_step(r), .role = role, .key = key, .text = question};
	return prompt_ask(r->in->o->prompt, &q, answer, e);
}

int step_ask_readback(struct step_run *r, const char *role, const char *key, const char *question, const char *shown,
		      char **answer, struct err *e)
{
	struct prompt_q q = {.step = q_step(r), .role = role, .key = key, .text = question, .shown = shown};
	return prompt_ask(r->in->o->prompt, &q, answer, e);
}

bool step_slip(struct step_run *r, const char *role, const char *key, unsigned attempt, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	struct prompt *p = r->in->o->prompt;
	prompt_show(p, PROMPT_WARN, "%s (attempt %u of %d)", text, attempt, PROMPT_ATTEMPTS);
	struct prompt_q q = {.step = q_step(r), .role = role, .key = key};
	/* Recorded (step-result 11); an attempt that cannot be recorded is not asked again. */
	struct err ignored;
	if (rec_attempt(&r->res, role ? role : "-", key, text, ts_now_ms(), &ignored))
		return false;
	return attempt < PROMPT_ATTEMPTS && prompt_can_ask_again(p, &q);
}

unsigned step_attempts(const struct step_run *r, const char *step_id)
{
	const struct step *s = script_step(r->in->c, step_id);
	return s ? r->in->step_runs[s->index] : 0;
}

const char *step_out_dir(const struct step_run *r)
{
	return r->in->o->out_dir;
}

int step_confirm(struct step_run *r, const char *role, const char *key, const char *question, struct err *e)
{
	struct prompt_q q = {.step = q_step(r), .role = role, .key = key, .text = question};
	return prompt_confirm(r->in->o->prompt, &q, e);
}

int step_output(struct step_run *r, const char *name, cbor_item_t *value, struct err *e)
{
	return rec_output(&r->res, r->step->id, name, value, e);
}

int step_check(struct step_run *r, const char *what, cbor_item_t *expected, cbor_item_t *actual, bool held,
	       struct err *e)
{
	return rec_check(&r->res, what, expected, actual, held, e);
}

int step_decide(struct step_run *r, const char *question, const char *choice, const char *next, struct err *e)
{
	if (rec_decide(&r->res, question, choice, next, e))
		return -1;
	r->next = next;
	r->halt = next == NULL;
	return 0;
}

int step_artifact(struct step_run *r, const char *name, const char *file, const char *media_type,
		  const uint8_t *data, size_t len, struct err *e)
{
	struct interp *in = r->in;
	char path[PATH_MAX];

	if (strchr(file, '/') || file[0] == '.')
		return err_set(e, ERR_INTERNAL, "artifact file name '%s' must be a plain name", file);
	/* A step run again (a retry, a decision going back) makes its files again: they get
	 * the run's number, because an earlier run's files are never overwritten. */
	unsigned run = in->step_runs[r->step->index];
	size_t stem = strcspn(file, ".");
	int n = run > 1 ? snprintf(path, sizeof path, "%s/%.*s-run%u%s", in->art_dir, (int)stem, file, run, file + stem)
			: snprintf(path, sizeof path, "%s/%s", in->art_dir, file);
	if (n < 0 || n >= (int)sizeof path)
		return err_set(e, ERR_IO, "path too long for artifact '%s'", file);
	if (files_write_new(path, data, len, e))
		return -1;

	/* The run keeps a copy (later steps use it); the record embeds that copy. */
	const uint8_t *kept;
	if (interp_keep_artifact(in, r->step, name, data, len, &kept, e))
		return -1;
	if (rec_artifact(&r->res, name, media_type, kept, len, e))
		return -1;
	step_show(r, "artifact %s written to %s (%zu bytes)", name, path, len);
	return 0;
}

int interp_keep_artifact(struct interp *in, const struct step *step, const char *name, const uint8_t *data, size_t len,
			 const uint8_t **kept, struct err *e)
{
	struct made_artifact *na = realloc(in->arts, (in->n_arts + 1) * sizeof *na);
	if (!na)
		return err_set(e, ERR_NOMEM, "out of memory");
	in->arts = na;
	struct made_artifact *m = &in->arts[in->n_arts];
	m->step_id = step->id;
	m->name = strdup(name);
	m->data = malloc(len ? len : 1);
	if (!m->name || !m->data) {
		free(m->name);
		free(m->data);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	memcpy(m->data, data, len);
	m->len = len;
	m->outside = false;
	in->n_arts++;
	if (kept)
		*kept = m->data;
	return 0;
}

static int embed_input(struct step_run *r, const struct made_artifact *m, struct err *e)
{
	static const struct {
		const char *kind, *type;
	} types[] = {{"certificate", "application/pkix-cert"}, {"csr", "application/pkcs10"},
		     {"crl", "application/pkix-crl"}, {"public_key", "application/pkix-spki"}};
	const char *type = "application/octet-stream";
	for (size_t i = 0; i < r->res.n_artifacts; i++)
		if (!strcmp(r->res.artifacts[i].name, m->step_id))
			return 0;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(types[i].kind, m->name))
			type = types[i].type;
	return rec_artifact(&r->res, m->step_id, type, m->data, m->len, e);
}

bool step_is_rehearsal(const struct step_run *r)
{
	return r->in->o->rehearsal;
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
			/* A file from outside the script is embedded in the step that uses it, so the
			 * transcript holds it as it holds what its steps made (genesis has its hash). */
			return m->outside ? embed_input(r, m, e) : 0;
		}
	}
	return err_set(e, ERR_MISSING_ARTIFACT, "step '%s' has not produced artifact '%s' in this run", step_id,
		       name ? name : "(any)");
}

int step_secret_keep(struct step_run *r, const char *name, struct secret *sec, struct err *e)
{
	return interp_keep_secret(r->in, r->step, name, sec, true, e);
}

int interp_keep_secret(struct interp *in, const struct step *step, const char *name, struct secret *sec, bool persist,
		       struct err *e)
{
	struct run_secret *n = realloc(in->secrets, (in->n_secrets + 1) * sizeof *n);
	char *nm = n ? strdup(name) : NULL;
	if (n)
		in->secrets = n;
	if (!nm) {
		secret_free(sec);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	in->secrets[in->n_secrets++] = (struct run_secret){step->id, nm, sec};
	/* A rehearsal keeps it beside its tokens so that a resume still has it. */
	if (persist && in->o->keepsafe)
		return keepsafe_put(in->o->keepsafe, KEEPSAFE_SECRET, step->id, name, sec->p, sec->len, e);
	return 0;
}

const struct secret *step_secret_find(struct step_run *r, const char *step_id, const char *name)
{
	for (size_t i = r->in->n_secrets; i-- > 0;)
		if (!strcmp(r->in->secrets[i].step_id, step_id) && !strcmp(r->in->secrets[i].name, name))
			return r->in->secrets[i].s;
	return NULL;
}

void step_clear_screen(struct step_run *r)
{
	prompt_show(r->in->o->prompt, PROMPT_CLEAR, "%s", "");
}

int step_show_secret(struct step_run *r, const char *to, const char *what, const struct secret *text, struct err *e)
{
	return prompt_show_secret(r->in->o->prompt, to, what, text, e);
}

int step_ask_secret(struct step_run *r, const char *role, const char *key, const char *question, const char *split,
		    struct secret *out, struct err *e)
{
	struct prompt_q q = {.step = q_step(r), .role = role, .key = key, .text = question, .split = split};
	return prompt_ask_secret(r->in->o->prompt, &q, out, e);
}

const char *const step_asks_resume[] = {"signoff", "signoff_by", "refusal_reason", "name",
				       "open_step", "open_key", "open_objects", NULL};

const char *const step_asks_always[] = {"confirm", "confirm_by", "signoff", "signoff_by", "refusal_reason",
					 "signing_pin", "pin", "so_pin", NULL};

bool step_asks(const struct step *s, const char *key)
{
	for (size_t i = 0; step_asks_always[i]; i++)
		if (!strcmp(step_asks_always[i], key))
			return true;
	for (size_t i = 0; s->type->asks && s->type->asks[i]; i++)
		if (!strcmp(s->type->asks[i], key))
			return true;
	for (size_t i = 0; i < s->n_record; i++)
		if (!strcmp(s->record[i].name, key))
			return true;
	return false;
}

bool step_adopting(const struct step_run *r)
{
	return r->in->adopt == r->step;
}

void step_adopt(struct step_run *r)
{
	r->in->adopt = r->step;
}

void step_resume_said(struct step_run *r, const char *fmt, ...)
{
	struct interp *in = r->in;
	char line[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	size_t used = strlen(in->resume_note);
	snprintf(in->resume_note + used, sizeof in->resume_note - used, "%s%s", used ? "; " : "", line);
	prompt_show(in->o->prompt, PROMPT_PLAIN, "%s", line);
}

int step_choose(struct step_run *r, const char *role, const char *key, const char *question,
		const char *const *choices, size_t *choice, struct err *e)
{
	char prompt[1024], list[768];
	size_t used = 0;
	list[0] = 0;
	for (size_t i = 0; choices[i] && used < sizeof list; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? " / " : "", choices[i]);
	snprintf(prompt, sizeof prompt, "%s [%s]", question, list);
	for (unsigned attempt = 1;; attempt++) {
		char *answer = NULL;
		if (step_ask(r, role, key, prompt, &answer, e))
			return -1;
		for (size_t i = 0; choices[i]; i++)
			if (fold_same(answer, choices[i])) {
				*choice = i;
				free(answer);
				return 0;
			}
		if (!step_slip(r, role, key, attempt, "'%s' is not one of the choices: %s", answer, list)) {
			err_set(e, ERR_DECISION, "'%s' is not one of the choices of step '%s'", answer, r->step->id);
			free(answer);
			return -1;
		}
		free(answer);
	}
}
