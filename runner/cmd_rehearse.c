/* ceremony rehearse SCRIPT: the whole ceremony against throwaway SoftHSM tokens. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "dcbor.h"
#include "files.h"
#include "keepsafe.h"
#include "interp.h"
#include "prompt.h"
#include "script.h"
#include "secret.h"
#include "softhsm.h"
#include "token.h"
#include "transcript.h"

void cmd_rehearse_usage(FILE *f)
{
	fprintf(f, "usage: ceremony rehearse SCRIPT [--answers FILE] [--out DIR] [--after DIR] [--module PATH] [--keep]\n\n"
		   "Runs the whole script against throwaway SoftHSM tokens, one for each token the\n"
		   "script declares, in a temporary token store removed afterwards. Interactive\n"
		   "like the real ceremony, or unattended with an answers file. Writes\n"
		   "DIR/transcript.cts (mode: rehearsal) and DIR/artifacts/.\n\n"
		   "  --answers FILE  answer every question from FILE (schemas/answers.schema.json)\n"
		   "  --out DIR       output folder (default ./rehearsal-YYYYMMDDTHHMMSS); a\n"
		   "                  transcript already there is never overwritten\n"
		   "  --after DIR     start from what the rehearsal of an earlier ceremony left in\n"
		   "                  DIR (run with --keep): a copy of its tokens (a token of this\n"
		   "                  script whose label one of them has is that token), the\n"
		   "                  shares it handed out (\"(share K of STEP)\" in the answers,\n"
		   "                  STEP the earlier step), and its files: a relative path the\n"
		   "                  script names is read from DIR when DIR has it (transcript.cts,\n"
		   "                  what it exported). DIR itself is left as it was.\n"
		   "  --module PATH   the SoftHSM2 PKCS#11 module (default %s)\n"
		   "  --keep          keep the throwaway token store and say where it is (for a\n"
		   "                  later ceremony's --after)\n\n"
		   "The tokens' PINs are generated, held in locked memory and never shown.\n"
		   "A live run (`ceremony run`) has no --after: it never reads a rehearsal's PINs or\n"
		   "shares, which live only in a rehearsal's token store.\n\n"
		   "EXIT STATUS\n"
		   "  0 the ceremony completed; 1 it failed, was aborted or halted, or a token\n"
		   "  failed; 2 bad usage, a bad script or a bad answers file.\n",
		   tok_default_module());
}

/* A store in out with no transcript beside it (cmd_out_dir made sure there is none,
 * or only an empty one) is what a rehearsal killed before its genesis left: none of
 * its ceremony happened, so its throwaway tokens go, as that rehearsal would have
 * removed them, and `resume` never has two stores to choose from. */
static void clear_stale_store(const char *out)
{
	struct softhsm_store *old = NULL;
	struct err none;
	if (softhsm_store_find(out, &old, &none) != 0)
		return;
	fprintf(stderr, "ceremony rehearse: removing %s, left by a rehearsal that stopped before its first record\n",
		softhsm_store_dir(old));
	softhsm_store_free(old, false);
}

/* --- --after DIR: what an earlier ceremony's rehearsal hands on ------------- */

struct earlier {
	const char *dir;
	char keepsafe[PATH_MAX];
	/* Which token name of the earlier script had which label: genesis 10 for the
	 * tokens initialised before it, the step-begins (token, token_label) for those
	 * its own token.init initialised. */
	struct earlier_token {
		char name[64], label[64];
	} toks[32];
	size_t n_toks;
	const struct ceremony *c;
	struct interp_binding *b;        /* this rehearsal's, one per token of c */
	bool *taken;                     /* b[i] is a token of the earlier rehearsal */
	struct keepsafe *ks;             /* this rehearsal's */
	struct prompt *p;
};

static void take_token(struct earlier *a, const cbor_item_t *name, const cbor_item_t *label)
{
	if (!name || !label || !cbor_isa_string(name) || !cbor_isa_string(label) || !cbor_string_length(label) ||
	    a->n_toks == sizeof a->toks / sizeof a->toks[0])
		return;
	struct earlier_token t;
	snprintf(t.name, sizeof t.name, "%.*s", (int)cbor_string_length(name), (const char *)cbor_string_handle(name));
	snprintf(t.label, sizeof t.label, "%.*s", (int)cbor_string_length(label), (const char *)cbor_string_handle(label));
	for (size_t i = 0; i < a->n_toks; i++)
		if (!strcmp(a->toks[i].name, t.name))
			return;
	a->toks[a->n_toks++] = t;
}

static int take_tokens(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct earlier *a = ctx;
	const cbor_item_t *toks = kind == TS_GENESIS ? dcbor_get_u(body, 10) : NULL;
	(void)seq;
	(void)e;
	for (size_t i = 0; toks && cbor_isa_map(toks) && i < cbor_map_size(toks); i++)
		take_token(a, cbor_map_handle(toks)[i].key, dcbor_get(cbor_map_handle(toks)[i].value, "label"));
	if (kind == TS_STEP_BEGIN)
		take_token(a, dcbor_get(dcbor_get_u(body, 3), "token"), dcbor_get(dcbor_get_u(body, 3), "token_label"));
	return 0;
}

/* The earlier rehearsal's genesis: which token names it gave which labels. Whether
 * its transcript can be built on is not decided here but by the ceremony's own
 * transcript.import step, which records why it halts (a damaged or unanchored
 * transcript in DIR is what such a step must refuse, in a rehearsal as live). */
static int earlier_read(struct earlier *a, struct err *e)
{
	char path[PATH_MAX + 32];
	uint8_t *data = NULL;
	size_t len = 0;
	struct ts_report r;
	int rc = -1;
	snprintf(path, sizeof path, "%s/transcript.cts", a->dir);
	if (files_read(path, 64 << 20, &data, &len, e) || ts_verify(data, len, NULL, &r, e))
		goto out;
	if (r.verdict == TS_UNREADABLE || r.bad_seq == 0 || !r.records) {
		err_set(e, ERR_INPUT, "--after %s: its transcript has no readable genesis (%s)", a->dir, r.reason);
		goto out;
	}
	if (!r.rehearsal) {
		err_set(e, ERR_INPUT, "--after %s: that is a live ceremony's folder; --after takes an earlier rehearsal's",
			a->dir);
		goto out;
	}
	rc = ts_each_entry(data, r.whole_len, take_tokens, a, e);
out:
	free(data);
	return rc;
}

/* The label the earlier ceremony's token `name` had, or NULL. */
static const char *earlier_label(const struct earlier *a, const char *name)
{
	for (size_t i = 0; i < a->n_toks; i++)
		if (!strcmp(a->toks[i].name, name))
			return a->toks[i].label;
	return NULL;
}

/* Each entry of the earlier keepsafe: a PIN of a token taken on becomes this
 * rehearsal's (under this script's name for it); shares and kept values are
 * carried into this keepsafe (a later --after, a resume) and the shares are
 * remembered for "(share K of STEP)". */
static int take_earlier(void *ctx, const char *kind, const char *step, const char *name, const struct secret *data,
			struct err *e)
{
	struct earlier *a = ctx;
	if (!strcmp(kind, KEEPSAFE_PIN)) {
		const char *label = earlier_label(a, step);
		for (size_t i = 0; label && i < a->c->n_tokens; i++) {
			if (!a->taken[i] || strcmp(label, a->c->tokens[i].label))
				continue;
			struct secret **slot = !strcmp(name, "so") ? &a->b[i].so_pin : &a->b[i].user_pin;
			secret_free(*slot);
			if (!(*slot = secret_new(data->len + 1, e)) || secret_set(*slot, data->p, data->len, e) ||
			    keepsafe_put(a->ks, KEEPSAFE_PIN, a->b[i].name, name, data->p, data->len, e))
				return -1;
		}
		return 0;
	}
	if (keepsafe_put(a->ks, kind, step, name, data->p, data->len, e))
		return -1;
	if (!strcmp(kind, KEEPSAFE_SHARE) && !script_step(a->c, step))
		return prompt_remember_share(a->p, step, (unsigned)strtoul(name, NULL, 10), data, e);
	return 0;
}

/* After the earlier store's tokens were copied and the module loaded: the tokens of
 * this script found there by label, and what the earlier keepsafe holds. */
static int earlier_take_on(struct earlier *a, struct tok_module *m, struct err *e)
{
	for (size_t i = 0; i < a->c->n_tokens; i++) {
		struct err none;
		const struct token_decl *t = &a->c->tokens[i];
		if (tok_find_label(m, t->label, &a->b[i].slot, &none))
			continue;
		if (script_token_initialised_by_run(a->c, t->name))
			return err_set(e, ERR_INPUT, "--after %s: this ceremony initialises token '%s' (label %s), but the "
						     "earlier rehearsal left a token with that label", a->dir, t->name, t->label);
		a->taken[i] = true;
	}
	if (keepsafe_load(a->keepsafe, take_earlier, a, e))
		return -1;
	for (size_t i = 0; i < a->c->n_tokens; i++) {
		if (!a->taken[i])
			continue;
		if (!a->b[i].user_pin)
			return err_set(e, ERR_INPUT, "--after %s: its keepsafe holds no PIN for the token labelled %s",
				       a->dir, a->c->tokens[i].label);
		printf("rehearsal token '%s' (label %s) taken on from %s, slot %lu\n", a->c->tokens[i].name,
		       a->c->tokens[i].label, a->dir, (unsigned long)a->b[i].slot);
	}
	return 0;
}

int cmd_rehearse(int argc, char **argv)
{
	static const struct option opts[] = {
		{"answers", required_argument, NULL, 'a'}, {"out", required_argument, NULL, 'o'},
		{"module", required_argument, NULL, 'm'},  {"keep", no_argument, NULL, 'k'},
		{"after", required_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *answers = NULL, *out = NULL, *module = NULL, *after = NULL;
	struct earlier ea = {0};
	bool keep = false;
	char default_out[64];
	struct err e = {.kind = ERR_NONE};
	struct ceremony *c = NULL;
	struct prompt *p = NULL;
	struct softhsm_store *store = NULL;
	struct tok_module *m = NULL;
	struct interp_binding *b = NULL;
	struct keepsafe *ks = NULL;
	char keep_path[PATH_MAX];
	bool unsealed = false;
	size_t nb = 0;
	int ret = EXIT_FAILED, opt, status;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': answers = optarg; break;
		case 'o': out = optarg; break;
		case 'm': module = optarg; break;
		case 'k': keep = true; break;
		case 'A': after = optarg; break;
		case 'h': cmd_rehearse_usage(stdout); return EXIT_OK;
		default: cmd_rehearse_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cmd_rehearse_usage(stderr);
		return EXIT_USAGE;
	}
	if ((ret = cmd_prepare("rehearse", argv[optind], answers, after, &c, &p)) != EXIT_OK)
		return ret;
	ea = (struct earlier){.dir = after, .c = c, .p = p};
	if (after && earlier_read(&ea, &e)) {
		fprintf(stderr, "ceremony rehearse: %s\n", e.msg);
		ret = EXIT_USAGE;
		goto out;
	}
	if ((ret = cmd_out_dir("rehearse", out, "rehearsal", default_out, sizeof default_out, &out)) != EXIT_OK)
		goto out;
	ret = EXIT_FAILED;
	/* The throwaway tokens live in the output folder until the transcript is sealed,
	 * with the keepsafe of what the room would hold (keepsafe.h): a rehearsal that is
	 * interrupted can be resumed like a live run. */
	if (files_mkdirs(out, &e))
		goto fail;
	clear_stale_store(out);
	if (softhsm_store_new(out, &store, &e) ||
	    snprintf(keep_path, sizeof keep_path, "%s/keepsafe", softhsm_store_dir(store)) >= (int)sizeof keep_path ||
	    keepsafe_open(keep_path, &ks, &e) ||
	    (after && (softhsm_store_take_on(store, after, ea.keepsafe, sizeof ea.keepsafe, &e) ||
		       softhsm_store_set_after(store, after, &e))) ||
	    softhsm_module_load(module, &m, &e))
		goto fail;
	b = calloc(c->n_tokens ? c->n_tokens : 1, sizeof *b);
	ea.taken = calloc(c->n_tokens ? c->n_tokens : 1, sizeof *ea.taken);
	if (!b || !ea.taken) {
		err_set(&e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->n_tokens; i++)
		b[i].name = c->tokens[i].name;
	ea.b = b;
	ea.ks = ks;
	if (after && earlier_take_on(&ea, m, &e))
		goto fail;
	/* A token the script initialises itself is left blank, as the room's is: token.init
	 * generates its PINs in the run (live = rehearsal). SoftHSM offers one blank slot
	 * at a time, the one after every initialised token: so the others are made first,
	 * and a second such token is made like them (token.init initialises it again and
	 * records that it was). */
	size_t blank = c->n_tokens;
	for (size_t i = 0; i < c->n_tokens && blank == c->n_tokens; i++)
		if (script_token_initialised_by_run(c, c->tokens[i].name))
			blank = i;
	nb = c->n_tokens;
	for (size_t i = 0; i < c->n_tokens; i++) {
		if (i == blank || ea.taken[i])
			continue;
		/* The SO PIN stays in locked memory for steps only the security officer may
		 * do (a trusted wrap key); wiped at the end with the user PIN. */
		int rc = !(b[i].so_pin = secret_new_pin(&e)) || !(b[i].user_pin = secret_new_pin(&e)) ||
			 tok_find_free(m, &b[i].slot, &e) ||
			 tok_init_token(m, b[i].slot, c->tokens[i].label, b[i].so_pin, b[i].user_pin, &e);
		/* SoftHSM moves an initialised token to a new slot id: look it up by label. */
		if (rc || tok_find_label(m, c->tokens[i].label, &b[i].slot, &e) ||
		    keepsafe_put(ks, KEEPSAFE_PIN, b[i].name, "so", b[i].so_pin->p, b[i].so_pin->len, &e) ||
		    keepsafe_put(ks, KEEPSAFE_PIN, b[i].name, "user", b[i].user_pin->p, b[i].user_pin->len, &e))
			goto fail;
		printf("rehearsal token '%s' (label %s) created in slot %lu\n", c->tokens[i].name, c->tokens[i].label,
		       (unsigned long)b[i].slot);
	}
	if (blank < c->n_tokens) {
		if (tok_find_free(m, &b[blank].slot, &e))
			goto fail;
		printf("rehearsal token '%s' left blank in slot %lu for token.init\n", c->tokens[blank].name,
		       (unsigned long)b[blank].slot);
	}
	struct interp_opts io = {
		.out_dir = out,
		.rehearsal = true,
		.prompt = p,
		.module = m,
		.bindings = b,
		.n_bindings = nb,
		.module_path = module ? module : tok_default_module(),
		.answers_path = answers,
		.keepsafe = ks,
	};
	if (interp_run(c, &io, &status, &e)) {
		unsealed = status == INTERP_UNSEALED;
		goto fail;
	}
	printf("\ntranscript: %s/transcript.cts\nverify it with: ceremony verify %s/transcript.cts\n", out, out);
	ret = status == 0 ? EXIT_OK : EXIT_FAILED;
	/* A completed run read every answer it was given, or the answers file was wrong:
	 * a typo in a key or an answer for a step that asks nothing must not go unseen. */
	if (status == 0 && prompt_answers_unused(p, &e)) {
		fprintf(stderr, "ceremony rehearse: %s\n", e.msg);
		ret = EXIT_USAGE;
	}
	goto out;
fail:
	fprintf(stderr, "ceremony rehearse: %s\n", e.msg);
	ret = EXIT_FAILED;
out:
	for (size_t i = 0; i < nb; i++) {
		secret_free(b[i].user_pin);
		secret_free(b[i].so_pin);
	}
	free(b);
	free(ea.taken);
	tok_module_free(m);
	keepsafe_close(ks);
	/* Unsealed: the tokens stay for `ceremony resume` (removed once it seals). */
	if (unsealed && store)
		fprintf(stderr, "ceremony rehearse: the rehearsal's tokens stay in %s until `ceremony resume "
				"%s/transcript.cts` seals it\n", softhsm_store_dir(store), out);
	softhsm_store_free(store, keep || unsealed);
	prompt_free(p);
	script_free(c);
	return ret;
}
