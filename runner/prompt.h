/* prompt: the one place that talks to people. Two backends, one interface:
 *   - terminal: questions on the controlling terminal; secrets read with echo off;
 *     confirmations must be the exact word "yes".
 *   - answers: a YAML answers file (schemas/answers.schema.json), for unattended
 *     rehearsals and tests:
 *         answers: 1
 *         steps:
 *           STEP-ID:
 *             ROLE:
 *               KEY: value        # or a list: successive questions take successive items
 *     A missing answer is an error naming the step, role and key; never a default.
 * Nothing else in the runner reads stdin. Output (what the room sees) goes through
 * prompt_show so tests capture it whatever the backend.
 */
#ifndef CER_PROMPT_H
#define CER_PROMPT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "err.h"
#include "secret.h"

/* What is asked: the answers backend looks it up by (step, role, key). */
struct prompt_q {
	const char *step;   /* step id */
	const char *role;   /* role answering */
	const char *key;    /* what is asked: "confirm", "signoff", "name", a record field... */
	const char *text;   /* the question as shown */
	/* What the screen shows that the person must type back (a fingerprint's last
	 * groups), or NULL. Only the answers backend reads it: there the answer
	 * PROMPT_AS_SHOWN stands for this text, so an unattended rehearsal can read back
	 * a value nobody knew when the answers file was written. */
	const char *shown;
	/* For a share asked without echo: the step whose split it belongs to. Only the
	 * answers backend reads it: there "(share K)" types share K of that split as the
	 * run made it (prompt_remember_share), "(share K of STEP)" share K of STEP's
	 * split, and "(share K typo G)" the same with one character of group G changed
	 * (for tests of the refusal). */
	const char *split;
};
/* The answers-file answer that types back what the screen shows (see prompt_q.shown). */
#define PROMPT_AS_SHOWN "(as shown)"

enum prompt_style {
	PROMPT_PLAIN,
	PROMPT_HEADING,     /* "Step 3 of 9: root-key" */
	PROMPT_SAY,         /* the read-aloud text, shown prominently */
	PROMPT_WARN,
	PROMPT_CLEAR,       /* clears the screen (before and after a share is shown); the text is ignored */
};

struct prompt {
	/* A line of text; *answer malloc'ed (caller frees). */
	int (*ask)(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e);
	/* A secret, without echo, into out (locked memory). */
	int (*ask_secret)(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e);
	void (*free)(struct prompt *p);
	FILE *out;          /* where prompt_show writes (stdout) */
	bool color;
	void *impl;
	/* Set once the ceremony is to be aborted (Ctrl-C confirmed, SIGTERM, SIGHUP):
	 * every question after fails with code "aborted". */
	bool aborting;
	char abort_why[200];
};

struct prompt *prompt_terminal_new(FILE *out, struct err *e) CER_MUST_CHECK;
/* Loads and validates the answers file (code "answers" for its errors). */
struct prompt *prompt_answers_new(const char *path, FILE *out, struct err *e) CER_MUST_CHECK;
void prompt_free(struct prompt *p);   /* NULL is a no-op */
/* Answers backend only (a no-op for the terminal): every step id, role and question
 * key the file names must be known: known() returns 0 or one of these. */
enum { PROMPT_UNKNOWN_STEP = 1, PROMPT_UNKNOWN_ROLE, PROMPT_UNKNOWN_KEY };
int prompt_answers_check(struct prompt *p,
			 int (*known)(const void *ctx, const char *step, const char *role, const char *key),
			 const void *ctx, struct err *e) CER_MUST_CHECK;
/* Answers backend only (a no-op for the terminal): step `step` passed, so it asked
 * every question it asks (a step skipped, failed or refused may not have). */
void prompt_step_passed(struct prompt *p, const char *step);
/* Answers backend only: after a completed run, every answer for a step that passed
 * which the run did not read (a question that step never asks, or more list items
 * than times asked) is an error naming its FILE:LINE:COL, all of them in one
 * message. 0 when there is none. */
int prompt_answers_unused(struct prompt *p, struct err *e) CER_MUST_CHECK;

/* Between steps: whether the ceremony is to be aborted now, after a signal caught
 * while no question was asked (signals.h). A Ctrl-C asks the room "abort the
 * ceremony? type abort" on the terminal (a second Ctrl-C while asking is the same as
 * typing abort); SIGTERM and SIGHUP abort; an unattended run aborts on Ctrl-C too.
 * Returns p->abort_why when aborting, else NULL. */
const char *prompt_interrupted(struct prompt *p);

int prompt_ask(struct prompt *p, const struct prompt_q *q, char **answer, struct err *e) CER_MUST_CHECK;
int prompt_ask_secret(struct prompt *p, const struct prompt_q *q, struct secret *out, struct err *e) CER_MUST_CHECK;
/* How many times a slip (a confirmation not typed as asked, a choice or a name that
 * is none of those offered, a read-back that does not match) is asked in all before
 * the step fails: each refusal says what was wrong and "attempt K of 3". */
enum { PROMPT_ATTEMPTS = 3 };
/* Whether q can be asked again after a slip: on the terminal always; from an answers
 * file while it holds another answer for q (a list answers the same question asked
 * several times, so ["Again?", "Again"] gives a slip, then the right answer), so a
 * file with one wrong answer fails for what was wrong, not for a missing answer. */
bool prompt_can_ask_again(struct prompt *p, const struct prompt_q *q);
/* Asks until the exact word "yes" is given; anything else (including "y") is
 * refused with "attempt K of 3": the terminal asks again up to PROMPT_ATTEMPTS in
 * all, the answers backend fails at the first (a refusal there is written on
 * purpose). */
int prompt_confirm(struct prompt *p, const struct prompt_q *q, struct err *e) CER_MUST_CHECK;
/* A confirmation or sign-off that may be refused: "yes" is YES; the word "refuse"
 * asks for the reason (key "refusal_reason", not empty) and is NO with *reason
 * malloc'ed; anything else is re-asked as prompt_confirm does, then ERROR. */
enum err_answer prompt_confirm_or_refuse(struct prompt *p, const struct prompt_q *q, char **reason,
					 struct err *e) CER_MUST_CHECK;
void prompt_show(struct prompt *p, enum prompt_style style, const char *fmt, ...) CER_PRINTF(3, 4);
/* The same with a va_list, for wrappers that take their own format (step_show). */
void prompt_vshow(struct prompt *p, enum prompt_style style, const char *fmt, va_list ap) CER_PRINTF(3, 0);
/* Shows a secret (a share's text form) to the person named `to`, and to nobody and
 * nothing else: the terminal writes it to the controlling terminal (/dev/tty), never
 * to standard output, so a log of the session does not hold it; the answers backend
 * does not show it at all. */
int prompt_show_secret(struct prompt *p, const char *to, const char *what, const struct secret *text,
		       struct err *e) CER_MUST_CHECK;
/* Answers backend only (a no-op for the terminal): keeps a copy in locked memory of
 * share `index` of the split made by step `step` (its text form), for "(share K)"
 * answers. Wiped when the prompt is freed. */
int prompt_remember_share(struct prompt *p, const char *step, unsigned index, const struct secret *text,
			  struct err *e) CER_MUST_CHECK;

#endif
