/* ceremony rehearse SCRIPT: the whole ceremony against throwaway SoftHSM tokens. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "files.h"
#include "keepsafe.h"
#include "interp.h"
#include "prompt.h"
#include "script.h"
#include "secret.h"
#include "softhsm.h"
#include "token.h"

void cmd_rehearse_usage(FILE *f)
{
	fprintf(f, "usage: ceremony rehearse SCRIPT [--answers FILE] [--out DIR] [--module PATH] [--keep]\n\n"
		   "Runs the whole script against throwaway SoftHSM tokens, one for each token the\n"
		   "script declares, in a temporary token store removed afterwards. Interactive\n"
		   "like the real ceremony, or unattended with an answers file. Writes\n"
		   "DIR/transcript.cts (mode: rehearsal) and DIR/artifacts/.\n\n"
		   "  --answers FILE  answer every question from FILE (schemas/answers.schema.json)\n"
		   "  --out DIR       output folder (default ./rehearsal-YYYYMMDDTHHMMSS); a\n"
		   "                  transcript already there is never overwritten\n"
		   "  --module PATH   the SoftHSM2 PKCS#11 module (default %s)\n"
		   "  --keep          keep the throwaway token store and say where it is\n\n"
		   "The tokens' PINs are generated, held in locked memory and never shown.\n\n"
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

int cmd_rehearse(int argc, char **argv)
{
	static const struct option opts[] = {
		{"answers", required_argument, NULL, 'a'}, {"out", required_argument, NULL, 'o'},
		{"module", required_argument, NULL, 'm'},  {"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *answers = NULL, *out = NULL, *module = NULL;
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
		case 'h': cmd_rehearse_usage(stdout); return EXIT_OK;
		default: cmd_rehearse_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cmd_rehearse_usage(stderr);
		return EXIT_USAGE;
	}
	if ((ret = cmd_prepare("rehearse", argv[optind], answers, &c, &p)) != EXIT_OK)
		return ret;
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
	    keepsafe_open(keep_path, &ks, &e) || softhsm_module_load(module, &m, &e))
		goto fail;
	b = calloc(c->n_tokens ? c->n_tokens : 1, sizeof *b);
	if (!b) {
		err_set(&e, ERR_NOMEM, "out of memory");
		goto fail;
	}
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
		b[i].name = c->tokens[i].name;
		if (i == blank)
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
