/* ceremony check SCRIPT: validates everything and prints the plan; touches nothing. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "script.h"
#include "step.h"
#include "token.h"
#include "transcript.h"
#include "x509_sign.h"
#include "ynode.h"
#include <openssl/crypto.h>

/* The key algorithms the script's steps name, and which of the runner's this build
 * can sign certificates, CSRs and CRLs with (ML-DSA only with OpenSSL 3.5 or later).
 * What a token can do is the token's: `ceremony tokens --mechanisms` lists it. */
static void print_algorithms(const struct ceremony *c)
{
	char names[256], used[256] = "";
	snprintf(names, sizeof names, "%s", tok_algorithm_names());
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct ynode *a = ynode_get(c->steps[i].node, "algorithm");
		bool seen = false;
		for (size_t j = 0; a && a->str && j < i && !seen; j++) {
			const struct ynode *b = ynode_get(c->steps[j].node, "algorithm");
			seen = b && b->str && !strcmp(a->str, b->str);
		}
		if (!a || !a->str || seen)
			continue;
		size_t n = strlen(used);
		snprintf(used + n, sizeof used - n, "%s%s", n ? ", " : "", a->str);
	}
	printf("algorithms:\n");
	if (used[0])
		printf("  the script's keys: %s\n", used);
	printf("  this build (%s) signs with:", OpenSSL_version(OPENSSL_VERSION));
	const char *sep = " ";
	for (char *save = NULL, *t = strtok_r(names, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		struct x509_sigalg sa = {0};
		struct err e = {0};
		if (x509_sigalg_resolve(t, &sa, &e) == 0) {
			printf("%s%s", sep, t);
			sep = ", ";
		}
	}
	printf("\n  what a token can do: ceremony tokens --mechanisms\n");
}

void cmd_check_usage(FILE *f)
{
	fprintf(f, "usage: ceremony check SCRIPT [--after DIR]\n\n"
		   "Validates a ceremony script (syntax, keys, types, references, roles, tokens)\n"
		   "and prints its plan: roles, tokens, the key algorithms (the script's, and those\n"
		   "this build signs certificates with: ML-DSA-65 needs OpenSSL 3.5) and every\n"
		   "step. Touches no token and\n"
		   "writes no file. The files the script names (certificates, requests, earlier\n"
		   "transcripts) are read and checked; an earlier transcript is verified and its\n"
		   "verdict shown (one that is not VALID would halt the ceremony at its import).\n"
		   "--after DIR: as `rehearse --after DIR` reads them.\n\n"
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
	/* SCRIPT [--after DIR]: the files of an earlier rehearsal the script names. */
	const char *after = argc == 4 && !strcmp(argv[2], "--after") ? argv[3] : NULL;
	if ((argc != 2 && !after) || argv[1][0] == '-') {
		cmd_check_usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_load_script(argv[1], after, &c, &e)) {
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
	print_algorithms(c);
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
		const struct script_import *im = script_import_of(c, s);
		if (im) {
			printf("      imports: %s: %s, %llu records, \"%s\"%s\n", im->name, ts_verdict_word(im->report->verdict),
			       (unsigned long long)im->report->records, im->report->title,
			       im->report->rehearsal ? " (a rehearsal)" : "");
			if (!im->usable)
				fprintf(stderr, "ceremony check: warning: step '%s': %s is %s%s%s: the ceremony halts at this "
						"step\n", s->id, im->name, ts_verdict_word(im->report->verdict),
					im->report->reason[0] ? ": " : "", im->report->reason);
		}
		if (s->say) {
			size_t n = strlen(s->say);
			while (n && isspace((unsigned char)s->say[n - 1]))
				n--;   /* a folded YAML block ends in a newline */
			printf("      say: %.*s\n", (int)n, s->say);
		}
		for (size_t k = 0; s->expect && k < s->expect->n; k++)
			printf("      %s %s: %s%s\n", k ? "       " : "expect:", s->expect->keys[k]->str,
			       script_expect_ref(s->expect->vals[k]) ? "same as " : "",
			       script_expect_ref(s->expect->vals[k]) ? script_expect_ref(s->expect->vals[k])
								    : s->expect->vals[k]->str);
		print_roles(stdout, "confirmed by", s->confirm, s->n_confirm);
		print_roles(stdout, "signed off by", s->signoff, s->n_signoff);
		if (s->on_fail == ON_FAIL_RETRY)
			printf("      on fail: retry (%u more attempt%s)\n", s->retries, s->retries == 1 ? "" : "s");
		else if (s->on_fail == ON_FAIL_DECISION)
			printf("      on fail: decision '%s'\n", s->on_fail_decision);
		else if (!step_is(s, STEP_DECIDES))
			printf("      on fail: halt\n");
		if (s->refusal_is_deviation)
			printf("      on refuse: deviation (recorded; the ceremony goes on)\n");
		if (s->only_on_fail)
			printf("      only on fail: passed over in order\n");
		/* PKCS#11 lets one user type in at a time: what the room must do again after. */
		if (step_is(s, STEP_LOGS_IN_SO) && s->token) {
			const struct token_decl *t = script_token(c, s->token);
			printf("      ends the user's session on token '%s' (the security officer logs in): %s\n", s->token,
			       t && t->quorum ? "custodians activate it again before its next use"
					      : "its user PIN is asked again at its next use in a live run");
		}
	}
	script_free(c);
	return EXIT_OK;
}
