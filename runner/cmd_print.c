/* ceremony print SCRIPT [--html] [--after DIR]: the printed procedure the
 * administrator reads from (seed 004 §3.1 "Printed procedure"; seed 002's script
 * with Command / Expected / Actual): the participants sheet, the tokens, every step
 * with what is read aloud, what is done, what is expected, blanks for the Actual,
 * the time and initials, the sign-offs and what happens on failure, decision points
 * with their branches, and the signature blocks. The script's SHA-256 is on every
 * page, so the room can check that the paper is the reviewed script (genesis
 * records the same hash). Markdown, or one self-contained HTML file (inline CSS, no
 * external resource) that prints on A4 and Letter. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "docout.h"
#include "hash.h"
#include "script.h"
#include "step.h"
#include "words.h"

void cmd_print_usage(FILE *f)
{
	fputs("usage: ceremony print SCRIPT [--html] [--after DIR]\n"
	      "\n"
	      "Prints the procedure the administrator reads from: the script's SHA-256 (on\n"
	      "every page in HTML, at the top and the end in Markdown), the participants\n"
	      "sheet, the tokens, and every step with what is read aloud, what is done and its\n"
	      "parameters, the Expected values, blanks for the Actual, the time and the\n"
	      "initials, who confirms and signs off, what happens on failure, and decision\n"
	      "points with their branches; then the signature blocks. Markdown on standard\n"
	      "output, or with --html one self-contained HTML file (inline CSS, no external\n"
	      "resource) that prints on A4 and Letter. The script is validated first, as\n"
	      "`check` does (--after DIR: as `rehearse --after DIR` reads the files it names).\n"
	      "\n"
	      "EXIT STATUS\n"
	      "  0 printed; 2 bad usage or an invalid script.\n",
	      f);
}


static void join(char *buf, size_t cap, const char *const *v, size_t n)
{
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? ", " : "", v[i]);
}

/* A value of a step parameter, written out as the script gives it. */
static void value_text(const struct ynode *n, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = 0;
	if (n->kind == YN_SCALAR) {
		snprintf(buf, cap, "%s", n->str);
		return;
	}
	for (size_t i = 0; i < n->n && used + 1 < cap; i++) {
		char one[1024];
		value_text(n->vals[i], one, sizeof one);
		if (n->kind == YN_MAP)
			used += (size_t)snprintf(buf + used, cap - used, "%s%s: %s", i ? "; " : "", n->keys[i]->str, one);
		else
			used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "; " : "", one);
	}
}

static bool common_key(const char *k)
{
	for (size_t i = 0; script_common_keys[i]; i++)
		if (!strcmp(script_common_keys[i], k))
			return true;
	return false;
}

/* The blanks the room fills in: Actual (and each record field), time, initials. */
static void blanks(const struct docout *o, const struct step *s)
{
	if (o->html) {
		fputs("<table><tr><th style=\"width:28%\">Actual</th><td class=\"blank\"></td></tr>\n", o->f);
		for (size_t i = 0; i < s->n_record; i++) {
			fputs("<tr><th>", o->f);
			doc_put(o, s->record[i].prompt ? s->record[i].prompt : s->record[i].name);
			fputs("</th><td class=\"blank\"></td></tr>\n", o->f);
		}
		fputs("<tr><th>Time</th><td class=\"blank\"></td></tr><tr><th>Initials (performed / verified)</th>"
		      "<td class=\"blank\"></td></tr></table>\n", o->f);
		return;
	}
	fputs("\n| | |\n|---|---|\n| Actual | ____________________ |\n", o->f);
	for (size_t i = 0; i < s->n_record; i++) {
		fputs("| ", o->f);
		doc_put(o, s->record[i].prompt ? s->record[i].prompt : s->record[i].name);
		fputs(" | ____________________ |\n", o->f);
	}
	fputs("| Time | ________ |\n| Initials (performed / verified) | ________ / ________ |\n", o->f);
}

static void print_step(const struct docout *o, const struct ceremony *c, const struct step *s)
{
	char buf[4096], title[512];
	snprintf(title, sizeof title, "Step %zu: %s", s->index + 1, s->title);
	doc_raw(o, "", "<div class=\"step\">\n");
	doc_heading(o, 3, title);
	snprintf(buf, sizeof buf, "%s (%s): %s", s->id, s->type->name, s->type->summary);
	doc_fact(o, "Step", buf);
	doc_fact(o, "Performed by", script_acting_role(c, s));
	if (s->token) {
		const struct token_decl *t = script_token(c, s->token);
		snprintf(buf, sizeof buf, "%s (label %s)", s->token, t ? t->label : "?");
		doc_fact(o, "Token", buf);
	}
	if (s->say) {
		doc_raw(o, "\n> ", "<div class=\"say\">");
		doc_raw(o, "*Read aloud:* ", "<b>Read aloud:</b> ");
		doc_put(o, s->say);
		doc_raw(o, "\n\n", "</div>\n");
	}
	/* What is done: the type's own parameters, as the reviewed script gives them. */
	const struct ynode *n = s->node;
	for (size_t i = 0; i < n->n; i++) {
		const char *k = n->keys[i]->str;
		const struct ynode *v = n->vals[i];
		if (common_key(k) || !strcmp(k, "token"))
			continue;
		bool items = v->kind == YN_SEQ && v->n;
		for (size_t j = 0; items && j < v->n; j++)
			items = v->vals[j]->kind == YN_SCALAR;
		if (items) {
			/* A list of items: each one a box to tick. */
			doc_raw(o, "**", "<div class=\"meta\"><b>");
			doc_put(o, k);
			doc_raw(o, ":**\n\n", ":</b><ul class=\"box\">\n");
			for (size_t j = 0; j < v->n; j++) {
				doc_raw(o, "- [ ] ", "<li>&#9744; ");
				doc_put(o, v->vals[j]->str);
				doc_raw(o, "\n", "</li>\n");
			}
			doc_raw(o, "\n", "</ul></div>\n");
			continue;
		}
		value_text(v, buf, sizeof buf);
		doc_fact(o, k, buf);
	}
	for (size_t i = 0; s->expect && i < s->expect->n; i++) {
		const char *ref = script_expect_ref(s->expect->vals[i]);
		snprintf(buf, sizeof buf, "%s = %s%s", s->expect->keys[i]->str, ref ? "as recorded by " : "",
			 ref ? ref : s->expect->vals[i]->str);
		doc_fact(o, "Expected", buf);
	}
	if (s->n_confirm) {
		join(buf, sizeof buf, s->confirm, s->n_confirm);
		doc_fact(o, "Actual confirmed by", buf);
	}
	if (s->n_signoff) {
		join(buf, sizeof buf, s->signoff, s->n_signoff);
		doc_fact(o, "Signed off by", buf);
	}
	if (s->on_fail == ON_FAIL_RETRY)
		snprintf(buf, sizeof buf, "try again (%u more attempt%s), then halt", s->retries, s->retries == 1 ? "" : "s");
	else if (s->on_fail == ON_FAIL_DECISION)
		snprintf(buf, sizeof buf, "decision at step '%s'", s->on_fail_decision);
	else
		snprintf(buf, sizeof buf, "%s", step_is(s, STEP_DECIDES) ? "-" : "halt the ceremony");
	if (!step_is(s, STEP_DECIDES))
		doc_fact(o, "On failure", buf);
	if (s->refusal_is_deviation)
		doc_fact(o, "On refusal", "recorded as a deviation; the ceremony goes on");
	if (s->only_on_fail)
		doc_fact(o, "Reached", "only when a step's failure or a choice leads here; passed over in order");
	if (!step_is(s, STEP_DECIDES))
		blanks(o, s);
	else if (o->html)
		fputs("<table><tr><th style=\"width:28%\">Choice made, by</th><td class=\"blank\"></td></tr>"
		      "<tr><th>Time / initials</th><td class=\"blank\"></td></tr></table>\n", o->f);
	else
		fputs("\n| | |\n|---|---|\n| Choice made, by | ____________________ |\n| Time / initials | ________ |\n",
		      o->f);
	doc_raw(o, "\n", "</div>\n");
}

int cmd_print(int argc, char **argv)
{
	const char *script = NULL, *after = NULL;
	bool html = false;
	struct err e = {.kind = ERR_NONE};
	struct ceremony *c = NULL;
	for (int i = 1; i < argc; i++) {
		if (cmd_is_help(argv[i])) {
			cmd_print_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--html")) {
			html = true;
		} else if (!strcmp(argv[i], "--after") && i + 1 < argc) {
			after = argv[++i];
		} else if (argv[i][0] == '-' || script) {
			cmd_print_usage(stderr);
			return EXIT_USAGE;
		} else {
			script = argv[i];
		}
	}
	if (!script) {
		cmd_print_usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_load_script(script, after, &c, &e)) {
		fprintf(stderr, "ceremony print: %s\n", e.msg);
		return EXIT_USAGE;
	}
	uint8_t h[32];
	char hex[80], groups[96], buf[1024];
	hash_sha256(c->doc->bytes, c->doc->len, h);
	words_hex(h, 32, hex, sizeof hex);
	words_hex_groups(h, 32, 4, groups, sizeof groups);
	const char *name = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
	struct docout o = {stdout, html};
	snprintf(buf, sizeof buf, "%s - script SHA-256 %s - compare with the reviewed script and the transcript's genesis",
		 name, groups);
	doc_begin(&o, c->title, buf);
	snprintf(buf, sizeof buf, "%s: printed procedure", c->title);
	doc_heading(&o, 1, buf);
	doc_fact(&o, "Script", name);
	doc_fact(&o, "Script SHA-256", groups);
	if (c->description)
		doc_fact(&o, "What it does", c->description);
	doc_raw(&o, "**Date:** ____________________ **Location:** ____________________  \n",
	    "<div class=\"meta\"><b>Date:</b> ____________________ <b>Location:</b> ____________________</div>\n");

	doc_heading(&o, 2, "Participants");
	snprintf(buf, sizeof buf, "%s", c->separation_strict ? "strict: nobody holds two roles" : "relaxed");
	doc_fact(&o, "Separation of duties", buf);
	doc_raw(&o, "\n| Role | Name | ID checked | Signature |\n|---|---|---|---|\n",
	    "<table><tr><th>Role</th><th>Name</th><th>ID checked</th><th>Signature</th></tr>\n");
	for (size_t i = 0; i < c->n_roles; i++)
		for (unsigned k = 0; k < c->roles[i].count; k++) {
			doc_raw(&o, "| ", "<tr><td>");
			doc_putf(&o, "%s %u", c->roles[i].name, k + 1);
			doc_raw(&o, " | | [ ] | |\n", "</td><td class=\"blank\"></td><td>&#9744;</td><td></td></tr>\n");
		}
	doc_raw(&o, "", "</table>\n");
	if (c->n_tokens) {
		doc_heading(&o, 2, "Tokens");
		doc_raw(&o, "\n| Name | Label | Activation | Serial (read in the room) |\n|---|---|---|---|\n",
		    "<table><tr><th>Name</th><th>Label</th><th>Activation</th><th>Serial (read in the room)</th></tr>\n");
		for (size_t i = 0; i < c->n_tokens; i++) {
			const struct token_decl *t = &c->tokens[i];
			doc_raw(&o, "| ", "<tr><td>");
			doc_put(&o, t->name);
			doc_raw(&o, " | ", "</td><td>");
			doc_put(&o, t->label);
			doc_raw(&o, " | ", "</td><td>");
			if (t->quorum)
				doc_putf(&o, "%u of %u %s", t->quorum, t->quorum + script_quorum_margin(c, t), t->quorum_role);
			else
				doc_put(&o, "PIN");
			doc_raw(&o, " | |\n", "</td><td class=\"blank\"></td></tr>\n");
		}
		doc_raw(&o, "", "</table>\n");
	}
	doc_heading(&o, 2, "Steps");
	for (size_t i = 0; i < c->n_steps; i++)
		print_step(&o, c, &c->steps[i]);
	doc_heading(&o, 2, "Signatures");
	doc_put(&o, "All participants confirm that this procedure was followed as printed, and that the ceremony log is a "
		"true and accurate record of the ceremony as performed.");
	doc_raw(&o, "\n\n| Role | Name | Signature | Date |\n|---|---|---|---|\n",
	    "<table><tr><th>Role</th><th>Name</th><th>Signature</th><th>Date</th></tr>\n");
	for (size_t i = 0; i < c->n_roles; i++)
		for (unsigned k = 0; k < c->roles[i].count; k++) {
			doc_raw(&o, "| ", "<tr><td>");
			doc_putf(&o, "%s %u", c->roles[i].name, k + 1);
			doc_raw(&o, " | | | |\n", "</td><td class=\"blank\"></td><td></td><td></td></tr>\n");
		}
	doc_raw(&o, "", "</table>\n");
	snprintf(buf, sizeof buf, "%s - script SHA-256 %s", name, hex);
	doc_end(&o, buf);
	script_free(c);
	return EXIT_OK;
}
