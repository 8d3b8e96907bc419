/* ceremony check SCRIPT: validates everything and prints the plan; touches nothing. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "script.h"
#include "step.h"

void cmd_check_usage(FILE *f)
{
	fprintf(f, "usage: ceremony check SCRIPT\n\n"
		   "Validates a ceremony script (syntax, keys, types, references, roles, tokens)\n"
		   "and prints its plan: roles, tokens and every step. Touches no token and\n"
		   "writes no file.\n\n"
		   "EXIT STATUS\n"
		   "  0 the script is valid (warnings, e.g. a quorum with no margin over the roster,\n"
		   "  go to standard error); 2 bad usage or an invalid script (the message names\n"
		   "  FILE:LINE:COL, what was expected and what was found), e.g. a token's\n"
		   "  activation quorum the roster cannot meet.\n");
}

static void print_roles(FILE *f, const char *label, const char *const *roles, size_t n)
{
	if (!n)
		return;
	fprintf(f, "      %s:", label);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", roles[i]);
	fputc('\n', f);
}

int cmd_check(int argc, char **argv)
{
	struct ceremony *c = NULL;
	struct err e = {.kind = ERR_NONE};
	if (argc == 2 && cmd_is_help(argv[1])) {
		cmd_check_usage(stdout);
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		cmd_check_usage(stderr);
		return EXIT_USAGE;
	}
	if (script_load(argv[1], &step_registry, &c, &e)) {
		fprintf(stderr, "ceremony check: %s\n", e.msg);
		return EXIT_USAGE;
	}
	printf("%s: valid\n\n%s\n", argv[1], c->title);
	printf("separation of duties: %s\n", c->separation_strict ? "strict (nobody in two roles)" : "relaxed");
	printf("roles:\n");
	for (size_t i = 0; i < c->n_roles; i++)
		printf("  %-16s %u%s%s\n", c->roles[i].name, c->roles[i].count, c->roles[i].description ? "  " : "",
		       c->roles[i].description ? c->roles[i].description : "");
	if (c->n_tokens) {
		printf("tokens:\n");
		for (size_t i = 0; i < c->n_tokens; i++) {
			const struct token_decl *t = &c->tokens[i];
			printf("  %-16s label %s\n", t->name, t->label);
			if (!t->quorum)
				continue;
			printf("      activation: quorum %u of %u %s\n", t->quorum, t->quorum + script_quorum_margin(c, t),
			       t->quorum_role);
			/* Valid, but one custodian leaving or absent makes the token unusable. */
			if (script_quorum_margin(c, t) == 0)
				fprintf(stderr, "ceremony check: warning: token '%s' needs %u of %u %s: the roster leaves no "
						"margin (one absent custodian blocks activation)\n",
					t->name, t->quorum, t->quorum, t->quorum_role);
		}
	}
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct step *s = &c->steps[i];
		char w[512];
		if (s->type->warn && s->type->warn(c, s, w, sizeof w))
			fprintf(stderr, "ceremony check: warning: %s:%u:%u: step '%s': %s\n", c->doc->name, s->node->line,
				s->node->col, s->id, w);
	}
	printf("steps:\n");
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct step *s = &c->steps[i];
		printf("  %2zu. %-24s %-16s %s\n", i + 1, s->id, s->type->name, s->title);
		if (s->performed_by)
			printf("      performed by: %s\n", s->performed_by);
		if (s->token)
			printf("      token: %s\n", s->token);
		print_roles(stdout, "confirmed by", s->confirm, s->n_confirm);
		print_roles(stdout, "signed off by", s->signoff, s->n_signoff);
	}
	script_free(c);
	return EXIT_OK;
}
