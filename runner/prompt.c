#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "fold.h"
#include "prompt.h"
#include "signals.h"
#include "ynode.h"

enum { LINE_MAX_LEN = 4096 };

/* ---- the terminal ------------------------------------------------------- */

enum { READ_EOF = -1, READ_INTERRUPTED = -2 };

/* Reads one line from fd 0 byte by byte, so no stdio buffer ever holds a secret
 * and nothing is read past the line. Returns the length, READ_EOF at end of input,
 * READ_INTERRUPTED when a signal came (signals.h; the terminal drops a half-typed
 * line on Ctrl-C itself). */
static long read_line(uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (;;) {
		uint8_t c;
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR) {
			secret_wipe(out, n);
			return READ_INTERRUPTED;
		}
		if (r <= 0)
			return n ? (long)n : READ_EOF;
		if (c == '\n')
			break;
		if (c == '\r')
			continue;
		if (n + 1 < cap)
			out[n++] = c;
	}
	out[n] = 0;
	return (long)n;
}

static void show_question(struct prompt *p, const struct prompt_q *q)
{
	if (q->role)
		fprintf(p->out, "  [%s] %s: ", q->role, q->text);
	else
		fprintf(p->out, "  %s: ", q->text);
	fflush(p->out);
}

static const char *abort_now(struct prompt *p, const char *why)
{
	p->aborting = true;
	snprintf(p->abort_why, sizeof p->abort_why, "%s", why);
	return p->abort_why;
}

static int ans_ask(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e);

const char *prompt_interrupted(struct prompt *p)
{
	char why[sizeof p->abort_why];
	if (p->aborting)
		return p->abort_why;
	if (signals_terminate(why, sizeof why))
		return abort_now(p, why);
	if (!signals_take_interrupt())
		return NULL;
	if (p->ask == ans_ask || !isatty(0))
		return abort_now(p, "Ctrl-C (nobody at a terminal to ask)");
	for (;;) {
		char line[64];
		fprintf(p->out, "\n  ! Ctrl-C: abort the ceremony? type abort to seal it as aborted, or press Enter to go on: ");
		fflush(p->out);
		long n = read_line((uint8_t *)line, sizeof line);
		if (signals_terminate(why, sizeof why))
			return abort_now(p, why);
		if (n == READ_INTERRUPTED && signals_take_interrupt())
			return abort_now(p, "Ctrl-C pressed twice");
		if (n == READ_INTERRUPTED)
			continue;
		if (n == READ_EOF)
			return abort_now(p, "Ctrl-C, then the terminal's input ended");
		if (fold_same(line, "abort"))
			return abort_now(p, "Ctrl-C, and 'abort' typed");
		fprintf(p->out, "  going on\n");
		return NULL;
	}
}

static int aborted(struct prompt *p, const struct prompt_q *q, struct err *e)
{
	return err_set(e, ERR_ABORTED, "step '%s': the ceremony is aborted: %s", q->step, p->abort_why);
}

static int term_ask(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e)
{
	char line[LINE_MAX_LEN];
	long n;
	if (p->aborting)
		return aborted(p, q, e);
	do {
		show_question(p, q);
		n = read_line((uint8_t *)line, sizeof line);
		if (n < 0 && prompt_interrupted(p))
			return aborted(p, q, e);
	} while (n == READ_INTERRUPTED);
	/* Typed on a terminal the answer is already on screen; piped in, show it so the
	 * log reads as the room heard it. */
	if (n >= 0 && !isatty(0))
		fprintf(p->out, "%s\n", line);
	if (n < 0)
		return err_set(e, ERR_INPUT, "no answer for step '%s', role '%s', '%s' (end of input)", q->step,
			       q->role ? q->role : "-", q->key);
	*answer = strdup(line);
	if (!*answer)
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

static int term_ask_secret(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e)
{
	struct termios old, quiet;
	int have_tty = tcgetattr(0, &old) == 0;
	long n;
	int ret = -1;
	if (p->aborting)
		return aborted(p, q, e);
	do {
		show_question(p, q);
		if (have_tty) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
			quiet.c_lflag |= ICANON;
			if (tcsetattr(0, TCSAFLUSH, &quiet) != 0)
				return err_errno(e, "cannot turn echo off");
		}
		n = read_line(out->p, out->cap + 1);
		/* Echo back on before anything else: a signal, the abort question, the end. */
		if (have_tty)
			(void)tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', p->out);
		if (n < 0 && prompt_interrupted(p)) {
			aborted(p, q, e);
			goto out;
		}
	} while (n == READ_INTERRUPTED);
	if (n < 0) {
		err_set(e, ERR_INPUT, "no answer for step '%s', role '%s', '%s' (end of input)", q->step,
			q->role ? q->role : "-", q->key);
		goto out;
	}
	out->len = (size_t)n;
	ret = 0;
out:
	if (ret)
		secret_wipe(out->p, out->cap);
	return ret;
}

static void term_free(struct prompt *p)
{
	free(p);
}

struct prompt *prompt_terminal_new(FILE *out, struct err *e)
{
	struct prompt *p = calloc(1, sizeof *p);
	if (!p) {
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	p->ask = term_ask;
	p->ask_secret = term_ask_secret;
	p->free = term_free;
	p->out = out;
	p->color = isatty(fileno(out)) && getenv("NO_COLOR") == NULL;
	return p;
}

/* ---- the answers file --------------------------------------------------- */

struct answer_slot {
	const char *step, *role, *key;
	const struct ynode *node;   /* scalar, or seq of scalars */
	size_t used;
	bool passed;                /* its step passed (prompt_step_passed) */
};

struct remembered_share {
	char *step;
	unsigned index;
	struct secret *text;
};

struct answers {
	struct ydoc *doc;
	struct answer_slot *slots;
	size_t n;
	struct remembered_share *shares;
	size_t n_shares;
};

/* "(share K)", "(share K of STEP)", "(share K typo G)": share K of a split the run
 * made, typed from memory (see prompt_q.split). Returns 1 when n is not such an
 * answer, 0 when out got the share, -1 on error. */
static int share_answer(struct answers *a, const struct prompt_q *q, const struct ynode *n, struct secret *out,
			struct err *e)
{
	char step[128] = "", rest[160];
	unsigned k = 0, typo = 0;
	int used = 0;
	if (n->len < 8 || n->len >= sizeof rest || strncmp(n->str, "(share ", 7) || n->str[n->len - 1] != ')')
		return 1;
	if (sscanf(n->str, "(share %u%n", &k, &used) != 1)
		return 1;
	snprintf(rest, sizeof rest, "%.*s", (int)(n->len - (size_t)used - 1), n->str + used);
	char *p = rest;
	if (!strncmp(p, " of ", 4)) {
		p += 4;
		size_t l = strcspn(p, " ");
		snprintf(step, sizeof step, "%.*s", (int)l, p);
		p += l;
	}
	if (!strncmp(p, " typo ", 6)) {
		typo = (unsigned)strtoul(p + 6, &p, 10);
		if (!typo)
			return err_set(e, ERR_ANSWERS, "%s:%u:%u: expected '(share K typo G)' with a group G from 1", a->doc->name,
				       n->line, n->col);
	}
	if (*p)
		return err_set(e, ERR_ANSWERS, "%s:%u:%u: expected '(share K)', '(share K of STEP)' or '(share K typo G)', found '%s'",
			       a->doc->name, n->line, n->col, n->str);
	if (!step[0] && q->split)
		snprintf(step, sizeof step, "%s", q->split);
	const struct remembered_share *found = NULL;
	for (size_t i = a->n_shares; i-- > 0 && !found;)
		if (!strcmp(a->shares[i].step, step) && a->shares[i].index == k)
			found = &a->shares[i];
	if (!found)
		return err_set(e, ERR_ANSWERS, "%s:%u:%u: '%s': step '%s' made no share %u in this run", a->doc->name,
			       n->line, n->col, n->str, step[0] ? step : "(none)", k);
	if (secret_set(out, found->text->p, found->text->len, e))
		return -1;
	if (typo) {
		/* Group G: after the four header fields, groups are separated by '-'. */
		char *t = (char *)out->p;
		for (int f = 0; f < 4 && t; f++)
			t = strchr(t, ' ') ? strchr(t, ' ') + 1 : NULL;
		for (unsigned g = 1; t && g < typo; g++)
			t = strchr(t, '-') ? strchr(t, '-') + 1 : NULL;
		if (!t || !*t)
			return err_set(e, ERR_ANSWERS, "%s:%u:%u: the share has no group %u", a->doc->name, n->line, n->col,
				       typo);
		t[1] = t[1] == '2' ? '3' : '2';
	}
	return 0;
}

static struct answer_slot *find_slot(struct answers *a, const struct prompt_q *q)
{
	for (size_t i = 0; i < a->n; i++) {
		struct answer_slot *s = &a->slots[i];
		if (!strcmp(s->step, q->step) && !strcmp(s->role, q->role ? q->role : "-") &&
		    !strcmp(s->key, q->key))
			return s;
	}
	return NULL;
}

/* The next unused answer for q, or an error that names what is missing. */
static int next_answer(struct prompt *p, const struct prompt_q *q, const struct ynode **out, struct err *e)
{
	struct answers *a = p->impl;
	struct answer_slot *s = find_slot(a, q);
	const char *role = q->role ? q->role : "-";
	if (!s)
		return err_set(e, ERR_ANSWERS, "%s: no answer for step '%s', role '%s', '%s' (%s)", a->doc->name,
			       q->step, role, q->key, q->text);
	if (s->node->kind == YN_SCALAR) {
		if (s->used > 0)
			return err_set(e, ERR_ANSWERS,
				       "%s:%u:%u: step '%s', role '%s', '%s' is asked again; give a list of answers",
				       a->doc->name, s->node->line, s->node->col, q->step, role, q->key);
		*out = s->node;
	} else {
		if (s->used >= s->node->n)
			return err_set(e, ERR_ANSWERS, "%s:%u:%u: no more answers for step '%s', role '%s', '%s' (%zu given)",
				       a->doc->name, s->node->line, s->node->col, q->step, role, q->key, s->node->n);
		*out = s->node->vals[s->used];
	}
	s->used++;
	return 0;
}

static int ans_ask(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e)
{
	const struct ynode *n;
	if (next_answer(p, q, &n, e))
		return -1;
	show_question(p, q);
	/* A rehearsal cannot know a fingerprint in advance: "(as shown)" types back what
	 * the step showed. Without a shown value it is just text (and will not match). */
	const char *text = q->shown && !strcmp(n->str, PROMPT_AS_SHOWN) ? q->shown : n->str;
	fprintf(p->out, "%s%s\n", text, text != n->str ? " " PROMPT_AS_SHOWN : "");
	*answer = strdup(text);
	if (!*answer)
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

static int ans_ask_secret(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e)
{
	const struct ynode *n;
	if (next_answer(p, q, &n, e))
		return -1;
	show_question(p, q);
	int rc = share_answer(p->impl, q, n, out, e);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		fprintf(p->out, "(share from the rehearsal's memory: %s)\n", n->str);
		return 0;
	}
	fprintf(p->out, "(secret from the answers file)\n");
	return secret_set(out, n->str, n->len, e);
}

static void ans_free(struct prompt *p)
{
	struct answers *a = p->impl;
	if (a) {
		/* An answers file for a dry run on a test token may hold its PIN: wipe every
		 * answer and the file's bytes before freeing them. */
		for (size_t i = 0; i < a->n; i++) {
			const struct ynode *v = a->slots[i].node;
			if (v->kind == YN_SCALAR)
				secret_wipe(v->str, v->len);
			for (size_t k = 0; v->kind == YN_SEQ && k < v->n; k++)
				secret_wipe(v->vals[k]->str, v->vals[k]->len);
		}
		for (size_t i = 0; i < a->n_shares; i++) {
			free(a->shares[i].step);
			secret_free(a->shares[i].text);
		}
		free(a->shares);
		if (a->doc)
			secret_wipe(a->doc->bytes, a->doc->len);
		ydoc_free(a->doc);
		free(a->slots);
		free(a);
	}
	free(p);
}

static int ans_load(struct answers *a, struct err *e)
{
	static const char *const top_keys[] = {"answers", "steps", NULL};
	const struct ydoc *d = a->doc;
	const struct ynode *root = d->root, *steps;
	uint64_t version;
	size_t cap = 0;

	if (ynode_want_map(d, root, "an answers file (a map with 'answers' and 'steps')", e) ||
	    ynode_only_keys(d, root, top_keys, "the answers file", e))
		return -1;
	if (!ynode_get(root, "answers"))
		return ydoc_err(d, root, e, "missing 'answers: 1' (the answers file format version)");
	if (ynode_want_uint(d, ynode_get(root, "answers"), "'answers' (format version)", 1, 1, &version, e))
		return -1;
	steps = ynode_get(root, "steps");
	if (!steps)
		return ydoc_err(d, root, e, "missing 'steps' (a map of step id to role to answers)");
	if (ynode_want_map(d, steps, "'steps' (a map of step id to role to answers)", e))
		return -1;
	for (size_t i = 0; i < steps->n; i++) {
		const struct ynode *roles = steps->vals[i];
		if (ynode_want_map(d, roles, "a map of role to answers", e))
			return -1;
		for (size_t j = 0; j < roles->n; j++) {
			const struct ynode *keys = roles->vals[j];
			if (ynode_want_map(d, keys, "a map of question key to answer", e))
				return -1;
			for (size_t k = 0; k < keys->n; k++) {
				const struct ynode *v = keys->vals[k];
				if (v->kind == YN_MAP)
					return ydoc_err(d, v, e, "expected an answer (text) or a list of answers, found a map");
				if (v->kind == YN_SEQ) {
					if (v->n == 0)
						return ydoc_err(d, v, e, "expected at least one answer, found an empty list");
					for (size_t m = 0; m < v->n; m++)
						if (v->vals[m]->kind != YN_SCALAR)
							return ydoc_err(d, v->vals[m], e, "expected an answer (text)");
				}
				if (a->n == cap) {
					cap = cap ? cap * 2 : 32;
					struct answer_slot *ns = realloc(a->slots, cap * sizeof *ns);
					if (!ns)
						return err_set(e, ERR_NOMEM, "out of memory");
					a->slots = ns;
				}
				a->slots[a->n++] = (struct answer_slot){
					.step = steps->keys[i]->str,
					.role = roles->keys[j]->str,
					.key = keys->keys[k]->str,
					.node = v,
				};
			}
		}
	}
	return 0;
}

struct prompt *prompt_answers_new(const char *path, FILE *out, struct err *e)
{
	struct prompt *p = calloc(1, sizeof *p);
	struct answers *a = calloc(1, sizeof *a);
	if (!p || !a) {
		free(p);
		free(a);
		err_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	p->ask = ans_ask;
	p->ask_secret = ans_ask_secret;
	p->free = ans_free;
	p->out = out;
	p->color = isatty(fileno(out)) && getenv("NO_COLOR") == NULL;
	p->impl = a;
	if (ydoc_load(path, NULL, ERR_ANSWERS, &a->doc, e) || ans_load(a, e)) {
		ans_free(p);
		return NULL;
	}
	return p;
}

int prompt_answers_check(struct prompt *p,
			 int (*known)(const void *ctx, const char *step, const char *role, const char *key),
			 const void *ctx, struct err *e)
{
	struct answers *a = p->impl;
	if (p->ask != ans_ask)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct answer_slot *s = &a->slots[i];
		int k = known(ctx, s->step, s->role, s->key);
		if (k == PROMPT_UNKNOWN_STEP)
			return err_set(e, ERR_ANSWERS, "%s:%u:%u: no step '%s' in the script", a->doc->name,
				       s->node->line, s->node->col, s->step);
		if (k == PROMPT_UNKNOWN_ROLE)
			return err_set(e, ERR_ANSWERS, "%s:%u:%u: no role '%s' in the script", a->doc->name,
				       s->node->line, s->node->col, s->role);
		if (k == PROMPT_UNKNOWN_KEY)
			return err_set(e, ERR_ANSWERS,
				       "%s:%u:%u: step '%s' never asks '%s'; expected one of the questions its type "
				       "asks, a record field of the step, or a question every step may ask "
				       "(schemas/answers.schema.json lists them)",
				       a->doc->name, s->node->line, s->node->col, s->step, s->key);
	}
	return 0;
}

void prompt_step_passed(struct prompt *p, const char *step)
{
	if (p->ask != ans_ask)
		return;
	struct answers *a = p->impl;
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->slots[i].step, step))
			a->slots[i].passed = true;
}

int prompt_answers_unused(struct prompt *p, struct err *e)
{
	if (p->ask != ans_ask)
		return 0;
	struct answers *a = p->impl;
	char all[ERR_MSG_MAX] = "";
	size_t used = 0, n = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct answer_slot *s = &a->slots[i];
		size_t have = s->node->kind == YN_SEQ ? s->node->n : 1;
		for (size_t k = s->used; s->passed && k < have; k++) {
			const struct ynode *v = s->node->kind == YN_SEQ ? s->node->vals[k] : s->node;
			n++;
			if (used < sizeof all)
				used += (size_t)snprintf(all + used, sizeof all - used, "%s%s:%u:%u: step '%s', role '%s', "
							 "'%s'%s", used ? "; " : "", a->doc->name, v->line, v->col,
							 s->step, s->role, s->key,
							 s->node->kind == YN_SEQ ? " (more answers than times asked)" : "");
		}
	}
	if (n)
		return err_set(e, ERR_ANSWERS, "%zu answer%s never asked for: %s", n, n == 1 ? " was" : "s were", all);
	return 0;
}

/* ---- the interface ------------------------------------------------------ */

void prompt_free(struct prompt *p)
{
	if (p)
		p->free(p);
}

/* A signal that came while no question was asked (a key being generated) is
 * handled before the next question, whatever the backend. */
int prompt_ask(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e)
{
	*answer = NULL;
	if (prompt_interrupted(p))
		return aborted(p, q, e);
	return p->ask(p, q, answer, e);
}

int prompt_ask_secret(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e)
{
	if (prompt_interrupted(p))
		return aborted(p, q, e);
	return p->ask_secret(p, q, out, e);
}

bool prompt_can_ask_again(struct prompt *p, const struct prompt_q *q)
{
	if (p->ask != ans_ask)
		return true;
	const struct answer_slot *s = find_slot(p->impl, q);
	if (!s)
		return false;
	return s->node->kind == YN_SCALAR ? s->used == 0 : s->used < s->node->n;
}

/* The one confirmation loop: the exact word yes, or (when reason is not NULL) the
 * word refuse followed by a reason that is not blank. */
static enum err_answer confirm(struct prompt *p, const struct prompt_q *q, char **reason, struct err *e)
{
	/* Only the exact word: "y", "Yes" or "yes " are refused, because a reflex
	 * keystroke must not pass for a considered confirmation. */
	for (int attempt = 1; attempt <= PROMPT_ATTEMPTS; attempt++) {
		char *a = NULL;
		if (prompt_ask(p, q, &a, e))
			return ERR_ANSWER_ERROR;
		int yes = strcmp(a, "yes") == 0, refuse = reason && strcmp(a, "refuse") == 0;
		if (!yes && !refuse)
			prompt_show(p, PROMPT_WARN, "'%s' is not a confirmation: type the word yes%s (attempt %d of %d)", a,
				    reason ? " (or the word refuse, to refuse with a reason)" : "", attempt, PROMPT_ATTEMPTS);
		free(a);
		if (yes)
			return ERR_ANSWER_YES;
		if (refuse) {
			/* The reason goes into the transcript: a refusal without one is asked again. */
			struct prompt_q rq = *q;
			rq.key = "refusal_reason";
			rq.text = "the reason for refusing (recorded in the transcript)";
			rq.shown = NULL;
			for (int k = 1; k <= PROMPT_ATTEMPTS; k++) {
				char *r = NULL;
				if (prompt_ask(p, &rq, &r, e))
					return ERR_ANSWER_ERROR;
				if (r[strspn(r, " \t")]) {
					*reason = r;
					return ERR_ANSWER_NO;
				}
				free(r);
				prompt_show(p, PROMPT_WARN, "a refusal needs its reason (attempt %d of %d)", k, PROMPT_ATTEMPTS);
			}
			err_set(e, ERR_NOT_CONFIRMED, "step '%s': %s refused without giving a reason", q->step,
				q->role ? q->role : "nobody");
			return ERR_ANSWER_ERROR;
		}
		/* An answers file's "no" is a refusal written on purpose (a test of it), not
		 * a slip: only the room is asked again. */
		if (p->ask != term_ask)
			break;
	}
	err_set(e, ERR_NOT_CONFIRMED, "step '%s': %s did not confirm '%s'", q->step, q->role ? q->role : "nobody", q->text);
	return ERR_ANSWER_ERROR;
}

int prompt_confirm(struct prompt *p, const struct prompt_q *q, struct err *e)
{
	return confirm(p, q, NULL, e) == ERR_ANSWER_YES ? 0 : -1;
}

enum err_answer prompt_confirm_or_refuse(struct prompt *p, const struct prompt_q *q, char **reason, struct err *e)
{
	*reason = NULL;
	return confirm(p, q, reason, e);
}

/* The terminal's width, or 0 when the output is not a terminal (a log keeps whole
 * lines for grep). */
static size_t term_width(const struct prompt *p)
{
	struct winsize ws;
	if (!isatty(fileno(p->out)) || ioctl(fileno(p->out), TIOCGWINSZ, &ws) != 0 || ws.ws_col < 20)
		return 0;
	return ws.ws_col;
}

/* A line read aloud must not break inside a hex group or a word: it is wrapped at
 * spaces to the terminal's width, continuation lines aligned after the label
 * ("name  Actual: ") when there is one near the start. A word longer than the line
 * stays whole. */
static void put_wrapped(struct prompt *p, const char *lead, const char *text, const char *on, const char *off)
{
	size_t width = term_width(p), lead_len = strlen(lead), len = strlen(text);
	if (!width || lead_len + len <= width) {
		fprintf(p->out, "%s%s%s%s\n", on, lead, text, off);
		return;
	}
	const char *colon = strstr(text, ": ");
	size_t indent = lead_len + 4;
	if (colon && (size_t)(colon - text) + 2 + lead_len < width / 2)
		indent = lead_len + (size_t)(colon - text) + 2;
	size_t col = lead_len, start = 0;
	bool empty = true;   /* nothing written on this line yet */
	fputs(on, p->out);
	fputs(lead, p->out);
	size_t gap = 0;   /* spaces before the next word, written only if it stays on this line */
	while (start < len) {
		size_t wl = strcspn(text + start, " ");
		if (!empty && col + gap + wl > width) {
			fprintf(p->out, "%s\n%s%*s", off, on, (int)indent, "");
			col = indent;
			gap = 0;
		}
		fprintf(p->out, "%*s", (int)gap, "");
		fwrite(text + start, 1, wl, p->out);
		col += gap + wl;
		start += wl;
		empty = false;
		gap = strspn(text + start, " ");
		start += gap;
	}
	fprintf(p->out, "%s\n", off);
}

void prompt_show(struct prompt *p, enum prompt_style style, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	prompt_vshow(p, style, fmt, ap);
	va_end(ap);
}

void prompt_vshow(struct prompt *p, enum prompt_style style, const char *fmt, va_list ap)
{
	char text[8192];
	vsnprintf(text, sizeof text, fmt, ap);
	const char *bold = p->color ? "\033[1m" : "", *off = p->color ? "\033[0m" : "";
	const char *warn = p->color ? "\033[1;31m" : "";
	switch (style) {
	case PROMPT_HEADING:
		fprintf(p->out, "\n%s==== %s ====%s\n", bold, text, off);
		break;
	case PROMPT_SAY: {
		/* The read-aloud text stands apart: every line behind a bar. */
		fprintf(p->out, "%s  | READ ALOUD%s\n", bold, off);
		char *line = text, *nl;
		for (;;) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			fprintf(p->out, "%s  | %s%s\n", bold, line, off);
			if (!nl || !nl[1])
				break;
			line = nl + 1;
		}
		break;
	}
	case PROMPT_CLEAR: {
		/* Clear the screen and its scroll-back; a log (not a terminal) gets a marker.
		 * Shares are shown on /dev/tty even when standard output is a log, so the
		 * terminal itself is cleared too: the next custodian must not see them. */
		static const char clear[] = "\033[H\033[2J\033[3J";
		if (isatty(fileno(p->out))) {
			fputs(clear, p->out);
		} else {
			fputs("  ---- screen cleared ----\n", p->out);
			int fd = p->ask == ans_ask ? -1 : open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
			if (fd >= 0) {
				(void)!write(fd, clear, sizeof clear - 1);
				close(fd);
			}
		}
		break;
	}
	case PROMPT_WARN:
		put_wrapped(p, "  ! ", text, warn, off);
		break;
	case PROMPT_PLAIN:
	default:
		put_wrapped(p, "  ", text, "", "");
		break;
	}
	fflush(p->out);
}

int prompt_show_secret(struct prompt *p, const char *to, const char *what, const struct secret *text, struct err *e)
{
	if (p->ask == ans_ask) {
		fprintf(p->out, "  [%s for %s: shown on the terminal only; an unattended rehearsal does not show it]\n", what,
			to);
		fflush(p->out);
		return 0;
	}
	/* The controlling terminal only: standard output may be a log file. */
	int fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, ERR_TERMINAL, "no terminal to show %s to %s on (a share is never written to standard "
					      "output or a file)", what, to);
	char head[256];
	int n = snprintf(head, sizeof head, "\n  %s for %s only:\n\n      ", what, to);
	int ok = write(fd, head, (size_t)n) == n;
	/* Line by line, each indented like the first: the share's header, then its rows. */
	for (size_t at = 0; ok && at < text->len;) {
		const uint8_t *nl = memchr(text->p + at, '\n', text->len - at);
		size_t end = nl ? (size_t)(nl - text->p) : text->len;
		ok = write(fd, text->p + at, end - at) == (ssize_t)(end - at) &&
		     (!nl || write(fd, "\n      ", 7) == 7);
		at = nl ? end + 1 : end;
	}
	ok = ok && write(fd, "\n\n", 2) == 2;
	close(fd);
	return ok ? 0 : err_errno(e, "cannot show %s on the terminal", what);
}

int prompt_remember_share(struct prompt *p, const char *step, unsigned index, const struct secret *text, struct err *e)
{
	if (p->ask != ans_ask)
		return 0;
	struct answers *a = p->impl;
	struct remembered_share *ns = realloc(a->shares, (a->n_shares + 1) * sizeof *ns);
	if (!ns)
		return err_set(e, ERR_NOMEM, "out of memory");
	a->shares = ns;
	struct remembered_share *r = &a->shares[a->n_shares];
	r->index = index;
	r->step = strdup(step);
	r->text = secret_new(text->len, e);
	if (!r->step || !r->text || secret_set(r->text, text->p, text->len, e)) {
		free(r->step);
		secret_free(r->text);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	a->n_shares++;
	return 0;
}
