#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "prompt.h"
#include "ynode.h"

enum { LINE_MAX_LEN = 4096 };

/* ---- the terminal ------------------------------------------------------- */

/* Reads one line from fd 0 byte by byte, so no stdio buffer ever holds a secret
 * and nothing is read past the line. Returns the length, -1 at end of input. */
static long read_line(uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (;;) {
		uint8_t c;
		ssize_t r = read(0, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n ? (long)n : -1;
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

static int term_ask(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e)
{
	char line[LINE_MAX_LEN];
	show_question(p, q);
	long n = read_line((uint8_t *)line, sizeof line);
	/* Typed on a terminal the answer is already on screen; piped in, show it so the
	 * log reads as the room heard it. */
	if (n >= 0 && !isatty(0))
		fprintf(p->out, "%s\n", line);
	if (n < 0)
		return err_set(e, "input", "no answer for step '%s', role '%s', '%s' (end of input)", q->step,
			       q->role ? q->role : "-", q->key);
	*answer = strdup(line);
	if (!*answer)
		return err_set(e, "nomem", "out of memory");
	return 0;
}

static int term_ask_secret(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e)
{
	struct termios old, quiet;
	int have_tty = tcgetattr(0, &old) == 0;
	int ret = -1;
	show_question(p, q);
	if (have_tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(0, TCSAFLUSH, &quiet) != 0)
			return err_errno(e, "cannot turn echo off");
	}
	long n = read_line(out->p, out->cap + 1);
	if (have_tty)
		(void)tcsetattr(0, TCSAFLUSH, &old);
	fputc('\n', p->out);
	if (n < 0) {
		err_set(e, "input", "no answer for step '%s', role '%s', '%s' (end of input)", q->step,
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
		err_set(e, "nomem", "out of memory");
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
};

struct answers {
	struct ydoc *doc;
	struct answer_slot *slots;
	size_t n;
};

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
		return err_set(e, "answers", "%s: no answer for step '%s', role '%s', '%s' (%s)", a->doc->name,
			       q->step, role, q->key, q->text);
	if (s->node->kind == YN_SCALAR) {
		if (s->used > 0)
			return err_set(e, "answers",
				       "%s:%u:%u: step '%s', role '%s', '%s' is asked again; give a list of answers",
				       a->doc->name, s->node->line, s->node->col, q->step, role, q->key);
		*out = s->node;
	} else {
		if (s->used >= s->node->n)
			return err_set(e, "answers", "%s:%u:%u: no more answers for step '%s', role '%s', '%s' (%zu given)",
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
		return err_set(e, "nomem", "out of memory");
	return 0;
}

static int ans_ask_secret(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e)
{
	const struct ynode *n;
	if (next_answer(p, q, &n, e))
		return -1;
	show_question(p, q);
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
						return err_set(e, "nomem", "out of memory");
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
		err_set(e, "nomem", "out of memory");
		return NULL;
	}
	p->ask = ans_ask;
	p->ask_secret = ans_ask_secret;
	p->free = ans_free;
	p->out = out;
	p->color = isatty(fileno(out)) && getenv("NO_COLOR") == NULL;
	p->impl = a;
	if (ydoc_load(path, NULL, "answers", &a->doc, e) || ans_load(a, e)) {
		ans_free(p);
		return NULL;
	}
	return p;
}

int prompt_answers_check(struct prompt *p, int (*known)(const void *ctx, const char *step, const char *role),
			 const void *ctx, struct err *e)
{
	struct answers *a = p->impl;
	if (p->ask != ans_ask)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct answer_slot *s = &a->slots[i];
		int k = known(ctx, s->step, s->role);
		if (k == 1)
			return err_set(e, "answers", "%s:%u:%u: no step '%s' in the script", a->doc->name,
				       s->node->line, s->node->col, s->step);
		if (k == 2)
			return err_set(e, "answers", "%s:%u:%u: no role '%s' in the script", a->doc->name,
				       s->node->line, s->node->col, s->role);
	}
	return 0;
}

/* ---- the interface ------------------------------------------------------ */

void prompt_free(struct prompt *p)
{
	if (p)
		p->free(p);
}

int prompt_ask(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e)
{
	*answer = NULL;
	return p->ask(p, q, answer, e);
}

int prompt_ask_secret(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e)
{
	return p->ask_secret(p, q, out, e);
}

int prompt_confirm(struct prompt *p, const struct prompt_q *q, struct err *e)
{
	/* Only the exact word: "y", "Yes" or "yes " are refused, because a reflex
	 * keystroke must not pass for a considered confirmation. */
	for (int attempt = 0; attempt < 3; attempt++) {
		char *a = NULL;
		if (prompt_ask(p, q, &a, e))
			return -1;
		int yes = strcmp(a, "yes") == 0;
		if (!yes)
			prompt_show(p, PROMPT_WARN, "'%s' is not a confirmation: type the word yes", a);
		free(a);
		if (yes)
			return 0;
		if (p->ask != term_ask)
			break;
	}
	return err_set(e, "not-confirmed", "step '%s': %s did not confirm '%s'", q->step, q->role ? q->role : "nobody",
		       q->text);
}

void prompt_show(struct prompt *p, enum prompt_style style, const char *fmt, ...)
{
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
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
		do {
			nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			fprintf(p->out, "%s  | %s%s\n", bold, line, off);
			line = nl + 1;
		} while (nl && *line);
		break;
	}
	case PROMPT_WARN:
		fprintf(p->out, "%s  ! %s%s\n", warn, text, off);
		break;
	case PROMPT_PLAIN:
	default:
		fprintf(p->out, "  %s\n", text);
		break;
	}
	fflush(p->out);
}
