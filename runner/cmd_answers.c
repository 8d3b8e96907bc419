/* ceremony answers SCRIPT: an answers file template with every question the script
 * puts, step by step, role by role, in the order the run asks them (the runner's
 * own confirmations, sign-offs and record fields, and each step type's questions
 * hook). It answers what a rehearsal can answer by itself (yes, "(as shown)",
 * "(share K)", placeholder names, a decision's first choice) and leaves record fields
 * empty, with the question as a comment, for the team to fill in: an empty record
 * value is refused in the run, so a template is never rehearsed unread. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "script.h"
#include "step.h"

void cmd_answers_usage(FILE *f)
{
	fprintf(f, "usage: ceremony answers SCRIPT [--after DIR]\n\n"
		   "Prints an answers file (schemas/answers.schema.json) for an unattended rehearsal of\n"
		   "SCRIPT, with every question it asks: confirmations, sign-offs, names, read-backs,\n"
		   "shares, choices and record fields. Record fields are left empty to be filled in.\n"
		   "Touches nothing. --after DIR: as `rehearse --after DIR` reads the files the\n"
		   "script names.\n\n"
		   "EXIT STATUS\n"
		   "  0 printed; 2 bad usage or an invalid script (FILE:LINE:COL).\n");
}

/* Written as a YAML double-quoted scalar (JSON's escapes are YAML's). */
static void quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* "Administrator 2": the placeholder for person k (from 1) of role. */
static void person(const char *role, unsigned k)
{
	char name[128];
	snprintf(name, sizeof name, "%c%s %u", role[0] >= 'a' && role[0] <= 'z' ? role[0] - 'a' + 'A' : role[0], role + 1,
		 k);
	quoted(name);
}

/* What a template answers for question key, asked `times` times of role. */
static void answer(const struct step_question *q)
{
	bool list = q->times != 1;
	if (list)
		putchar('[');
	for (unsigned k = 1; k <= q->times; k++) {
		if (k > 1)
			printf(", ");
		if (q->answer)
			quoted(q->answer);
		else if (!strcmp(q->key, "name") || !strcmp(q->key, "custodian") || strstr(q->key, "_by"))
			person(q->role, k);
		else if (!strcmp(q->key, "readback") || !strcmp(q->key, "checksum"))
			quoted("(as shown)");
		else if (!strcmp(q->key, "share"))
			printf("\"(share %u)\"", k);
		else
			quoted("yes");
	}
	if (list)
		putchar(']');
}

enum { MAX_QUESTIONS = 64 };

/* Who is asked which question of step s, in the order the run asks them. */
static size_t step_questions(const struct ceremony *c, const struct step *s, struct step_question *q)
{
	size_t n = s->type->questions ? s->type->questions(c, s, q, MAX_QUESTIONS) : 0;
	const char *acting = script_acting_role(c, s);
	for (size_t i = 0; i < s->n_record && n < MAX_QUESTIONS; i++)
		q[n++] = (struct step_question){acting, s->record[i].name, 1, ""};
	for (size_t i = 0; i < s->n_confirm && n < MAX_QUESTIONS; i++)
		q[n++] = (struct step_question){s->confirm[i], "confirm", 1, NULL};
	for (size_t i = 0; i < s->n_signoff && n < MAX_QUESTIONS; i++)
		q[n++] = (struct step_question){s->signoff[i], "signoff", 1, NULL};
	/* Who of several present in a role confirms, signs off, reads back or decides:
	 * asked only once an attendance step (this one included) has recorded them. */
	bool present = false;
	for (size_t i = 0; i <= s->index && !present; i++)
		present = step_is(&c->steps[i], STEP_RECORDS_ATTENDANCE);
	static const char *const by[][2] = {
		{"confirm", "confirm_by"}, {"signoff", "signoff_by"}, {"readback", "readback_by"}, {"choice", "decided_by"}};
	for (size_t i = 0, m = n; present && i < m && n < MAX_QUESTIONS; i++) {
		const struct role *ro = script_role(c, q[i].role);
		for (size_t k = 0; ro && ro->count > 1 && k < sizeof by / sizeof by[0]; k++)
			if (!strcmp(q[i].key, by[k][0]))
				q[n++] = (struct step_question){q[i].role, by[k][1], 1, NULL};
	}
	return n;
}

int cmd_answers(int argc, char **argv)
{
	struct ceremony *c = NULL;
	struct err e = {.kind = ERR_NONE};
	if (argc == 2 && cmd_is_help(argv[1])) {
		cmd_answers_usage(stdout);
		return EXIT_OK;
	}
	/* SCRIPT [--after DIR]: the files of an earlier rehearsal the script names. */
	const char *after = argc == 4 && !strcmp(argv[2], "--after") ? argv[3] : NULL;
	if ((argc != 2 && !after) || argv[1][0] == '-') {
		cmd_answers_usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_load_script(argv[1], after, &c, &e)) {
		fprintf(stderr, "ceremony answers: %s\n", e.msg);
		return EXIT_USAGE;
	}
	printf("# Answers for an unattended rehearsal of %s (made by `ceremony answers`).\n"
	       "# \"(as shown)\" types back what the screen shows; \"(share K)\" types share K of the\n"
	       "# split from the rehearsal's memory. Fill in every empty record field.\n"
	       "answers: 1\nsteps:\n",
	       argv[1]);
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct step *s = &c->steps[i];
		struct step_question q[MAX_QUESTIONS];
		size_t n = step_questions(c, s, q);
		if (!n)
			continue;
		printf("  %s:\n", s->id);
		/* Grouped by role, roles in the order they are first asked. */
		for (size_t k = 0; k < n; k++) {
			bool first = true;
			for (size_t j = 0; j < k && first; j++)
				first = strcmp(q[j].role, q[k].role) != 0;
			if (!first)
				continue;
			printf("    %s:\n", q[k].role);
			for (size_t j = k; j < n; j++) {
				if (strcmp(q[j].role, q[k].role))
					continue;
				printf("      %s: ", q[j].key);
				answer(&q[j]);
				for (size_t r = 0; r < s->n_record; r++)
					if (q[j].answer && !*q[j].answer && !strcmp(s->record[r].name, q[j].key))
						printf("   # %s", s->record[r].prompt ? s->record[r].prompt : q[j].key);
				putchar('\n');
			}
		}
	}
	script_free(c);
	return EXIT_OK;
}
