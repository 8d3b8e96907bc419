/* ceremony resume TRANSCRIPT: finishes a ceremony a crash, a kill or a power cut
 * interrupted (TRANSCRIPT.md "resume"; the interpreter's side is interp_resume.c).
 *
 * Every check comes before anything changes: the transcript must verify with every
 * record good and no seal; its own embedded script is loaded and validated (never
 * one from outside, which could differ); the answers file is checked against it;
 * the tokens are bound (a rehearsal's throwaway store in the transcript's folder, a
 * live run's binding file). Only then is a torn tail moved to a side file and the
 * file cut back to its last whole record, and the interpreter goes on. */
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "binding.h"
#include "cmd.h"
#include "dcbor.h"
#include "files.h"
#include "hash.h"
#include "interp.h"
#include "keepsafe.h"
#include "prompt.h"
#include "script.h"
#include "softhsm.h"
#include "step.h"
#include "token.h"
#include "transcript.h"
#include "words.h"

void cmd_resume_usage(FILE *f)
{
	fprintf(f, "usage: ceremony resume TRANSCRIPT [--bind FILE] [--answers FILE] [--module PATH] [--keep]\n\n"
		   "Finishes a ceremony that a crash, a kill, a full disk or a power cut interrupted.\n"
		   "The transcript must verify INCOMPLETE (every record good, no seal). Its embedded\n"
		   "script is the one that goes on. A torn last record (or zero fill) is moved to\n"
		   "TRANSCRIPT.torn-OFFSET, never deleted, and the file is cut back to its last whole\n"
		   "record. The step that was open is settled with the administrator (a key it may\n"
		   "have made: keep or destroy; an export: compared and tidied; anything else: run\n"
		   "again or abort). A resume record is written and signed off by the administrator\n"
		   "and the witness; an audit key in a token signs on, else a new key does, whose id\n"
		   "and the head before it are shown for the paper log (verify with --kid). Then the\n"
		   "ceremony continues from where it stopped to its seal.\n\n"
		   "  --bind FILE     a live ceremony's tokens (as for `run`)\n"
		   "  --answers FILE  answers from a file (a rehearsal resumes unattended with the\n"
		   "                  file it was rehearsed with; the resume's own questions are\n"
		   "                  under the step id 'resume')\n"
		   "  --module PATH   a rehearsal: the SoftHSM2 PKCS#11 module (default %s)\n"
		   "  --keep          a rehearsal: keep its throwaway token store after the seal\n\n"
		   "A rehearsal's throwaway tokens stay in the transcript's folder until it is sealed.\n\n"
		   "EXIT STATUS\n"
		   "  0 the ceremony completed; 1 it failed, was aborted or halted, a token failed,\n"
		   "  or the transcript is damaged; 2 bad usage, nothing to resume, a bad binding or\n"
		   "  answers file.\n",
		   tok_default_module());
}

/* What genesis says (borrowed from the decoded record only for the callback: copied). */
struct genesis_facts {
	uint8_t *script;
	size_t script_len;
	bool rehearsal;
	char *signer_where;
	bool seen;
	cbor_item_t *inputs;   /* genesis 9, or NULL */
	char dir[PATH_MAX];    /* the transcript's folder */
	char after[PATH_MAX];  /* a rehearsal run --after DIR: DIR (its store says), else "" */
};

static int take_genesis(void *ctx, uint64_t seq, enum ts_kind kind, const cbor_item_t *body, struct err *e)
{
	struct genesis_facts *g = ctx;
	uint64_t mode = 0;
	if (seq != 0 || kind != TS_GENESIS)
		return 0;
	const cbor_item_t *sc = dcbor_get_u(body, 3), *sg = dcbor_get_u(body, 4);
	const cbor_item_t *where = sg ? dcbor_get_u(sg, 3) : NULL;
	(void)dcbor_as_u64(dcbor_get_u(body, 5), &mode);
	g->rehearsal = mode == 1;
	g->script_len = cbor_bytestring_length(sc);
	g->script = malloc(g->script_len ? g->script_len : 1);
	g->signer_where = where ? dcbor_strdup(where) : strdup("memory");
	if (!g->script || !g->signer_where)
		return err_set(e, ERR_NOMEM, "out of memory");
	memcpy(g->script, cbor_bytestring_handle(sc), g->script_len);
	if (dcbor_get_u(body, 9))
		g->inputs = cbor_incref(dcbor_get_u(body, 9));
	g->seen = true;
	return 0;
}

/* The files the script reads, for its embedded copy: where the resume is run, or
 * beside the transcript, and only with the bytes genesis recorded (name, SHA-256). */
static int read_input(void *ctx, const char *name, const char *script_path, size_t max, uint8_t **data, size_t *len,
		      struct err *e)
{
	const struct genesis_facts *g = ctx;
	const uint8_t *want = NULL;
	(void)script_path;   /* the embedded script has no folder: where the resume runs, or the transcript's */
	char path[3][PATH_MAX + 64], hex[65];
	for (size_t i = 0; g->inputs && i < cbor_array_size(g->inputs); i++) {
		const cbor_item_t *in = cbor_array_handle(g->inputs)[i], *n = dcbor_get_u(in, 0);
		if (n && cbor_string_length(n) == strlen(name) && !memcmp(cbor_string_handle(n), name, strlen(name)))
			want = cbor_bytestring_handle(dcbor_get_u(in, 1));
	}
	if (!want)
		return err_set(e, ERR_TRANSCRIPT, "genesis records no input file '%s'", name);
	snprintf(path[0], sizeof path[0], "%s", name);
	snprintf(path[1], sizeof path[1], "%s/%s", g->dir, name);
	snprintf(path[2], sizeof path[2], "%s/%s", g->after, name);
	for (int k = 0; k < (g->after[0] ? 3 : 2); k++) {
		struct err ignored;
		uint8_t h[32];
		if (files_read(path[k], max, data, len, &ignored))
			continue;
		hash_sha256(*data, *len, h);
		if (!memcmp(h, want, 32))
			return 0;
		free(*data);
		*data = NULL;
	}
	return err_set(e, ERR_INPUT, "the file the ceremony read as '%s' (SHA-256 %s) is neither at '%s' nor at '%s' with "
				   "those bytes", name, words_hex(want, 32, hex, sizeof hex), path[0], path[1]);
}

/* The PINs a rehearsal's keepsafe holds for its tokens, latest first. */
struct pins {
	const struct ceremony *c;
	struct interp_binding *b;
};

static int take_pin(void *ctx, const char *kind, const char *step, const char *name, const struct secret *data,
		    struct err *e)
{
	struct pins *p = ctx;
	if (strcmp(kind, KEEPSAFE_PIN))
		return 0;
	for (size_t i = 0; i < p->c->n_tokens; i++) {
		if (strcmp(p->b[i].name, step))
			continue;
		struct secret **slot = !strcmp(name, "so") ? &p->b[i].so_pin : &p->b[i].user_pin;
		secret_free(*slot);
		if (!(*slot = secret_new(data->len + 1, e)) || secret_set(*slot, data->p, data->len, e))
			return -1;
	}
	return 0;
}

/* A rehearsal's tokens, found again in its store by their labels (a blank token that
 * token.init had not reached yet: the free slot), with the PINs its keepsafe holds. */
static int rehearsal_bind(const struct ceremony *c, struct tok_module *m, const char *keepsafe, struct interp_binding *b,
			  struct err *e)
{
	struct pins p = {.c = c, .b = b};
	for (size_t i = 0; i < c->n_tokens; i++)
		b[i].name = c->tokens[i].name;
	if (keepsafe_load(keepsafe, take_pin, &p, e))
		return -1;
	for (size_t i = 0; i < c->n_tokens; i++) {
		struct err ignored;
		if (tok_find_label(m, c->tokens[i].label, &b[i].slot, &ignored) == 0)
			continue;
		if (!script_token_initialised_by_run(c, c->tokens[i].name))
			return err_set(e, ERR_BINDING, "the rehearsal token '%s' (label %s) is not in its store any more",
				       c->tokens[i].name, c->tokens[i].label);
		if (tok_find_free(m, &b[i].slot, e))
			return -1;
	}
	return 0;
}

int cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", required_argument, NULL, 'b'}, {"answers", required_argument, NULL, 'a'},
		{"module", required_argument, NULL, 'm'}, {"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *bind = NULL, *answers = NULL, *module = NULL, *path;
	bool keep = false, unsealed = true;
	struct err e = {.kind = ERR_NONE};
	struct genesis_facts g = {0};
	struct ts_report rep;
	struct ceremony *c = NULL;
	struct prompt *p = NULL;
	struct softhsm_store *store = NULL;
	struct keepsafe *ks = NULL;
	struct tok_module *m = NULL;
	struct interp_binding *b = NULL;
	struct live_bind lb = {0};
	uint8_t *data = NULL;
	size_t len = 0, nb = 0;
	char dir[PATH_MAX], keep_path[PATH_MAX], name[PATH_MAX + 32];
	int ret = EXIT_FAILED, opt, status;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b': bind = optarg; break;
		case 'a': answers = optarg; break;
		case 'm': module = optarg; break;
		case 'k': keep = true; break;
		case 'h': cmd_resume_usage(stdout); return EXIT_OK;
		default: cmd_resume_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cmd_resume_usage(stderr);
		return EXIT_USAGE;
	}
	path = argv[optind];
	char copy[PATH_MAX];
	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) {
		fprintf(stderr, "ceremony resume: path too long: '%s'\n", path);
		return EXIT_USAGE;
	}
	snprintf(dir, sizeof dir, "%s", dirname(copy));
	if (files_read(path, SIZE_MAX / 2, &data, &len, &e)) {
		fprintf(stderr, "ceremony resume: %s\n", e.msg);
		return EXIT_USAGE;
	}
	if (len == 0) {
		fprintf(stderr, "ceremony resume: '%s' is empty: the run stopped before its genesis record, so no step "
				"began and there is nothing to resume; start the ceremony again with the same --out (the "
				"empty file is set aside)\n", path);
		ret = EXIT_USAGE;
		goto out;
	}
	if (ts_verify(data, len, NULL, &rep, &e)) {
		fprintf(stderr, "ceremony resume: %s\n", e.msg);
		goto out;
	}
	if (rep.verdict == TS_INVALID) {
		fprintf(stderr, "ceremony resume: '%s' is INVALID at record %" PRId64 " (%s): a damaged transcript is not "
				"resumed; keep it for the auditors\n", path, rep.bad_seq, rep.reason);
		goto out;
	}
	if (rep.seal_status >= 0) {
		fprintf(stderr, "ceremony resume: '%s' is sealed (%s): nothing to resume\n", path,
			rep.seal_status == 0 ? "completed" : rep.seal_status == 1 ? "aborted" : "halted");
		ret = EXIT_USAGE;
		goto out;
	}
	/* Its own script, as genesis holds it: the reviewed one, whatever is on disk now. */
	if (ts_each_entry(data, rep.whole_len, take_genesis, &g, &e) || !g.seen) {
		fprintf(stderr, "ceremony resume: %s\n", g.seen ? e.msg : "no genesis record");
		goto out;
	}
	snprintf(name, sizeof name, "%s (its script)", path);
	snprintf(g.dir, sizeof g.dir, "%s", dir);
	/* A rehearsal's throwaway tokens, and the earlier rehearsal it ran --after, whose
	 * files its script read. */
	if (g.rehearsal && softhsm_store_find(dir, &store, &e) == 0 &&
	    softhsm_store_after(store, g.after, sizeof g.after, &e)) {
		fprintf(stderr, "ceremony resume: %s\n", e.msg);
		goto out;
	}
	struct script_input_source src = {read_input, &g};
	if (script_parse_from(name, g.script, g.script_len, &step_registry, &src, &c, &e)) {
		fprintf(stderr, "ceremony resume: %s\n", e.msg);
		ret = EXIT_USAGE;
		goto out;
	}
	if ((ret = cmd_prompt("resume", c, answers, &p)) != EXIT_OK)
		goto out;
	ret = EXIT_FAILED;
	if (g.rehearsal) {
		if (bind) {
			fprintf(stderr, "ceremony resume: '%s' is a rehearsal: it resumes on its own throwaway tokens, "
					"never with --bind\n", path);
			ret = EXIT_USAGE;
			goto out;
		}
		if ((!store && softhsm_store_find(dir, &store, &e)) ||
		    snprintf(keep_path, sizeof keep_path, "%s/keepsafe", softhsm_store_dir(store)) >= (int)sizeof keep_path ||
		    softhsm_module_load(module, &m, &e))
			goto fail;
		if (!(b = calloc(c->n_tokens ? c->n_tokens : 1, sizeof *b))) {
			err_set(&e, ERR_NOMEM, "out of memory");
			goto fail;
		}
		nb = c->n_tokens;
		if (rehearsal_bind(c, m, keep_path, b, &e) || keepsafe_cut_torn(keep_path, &e) ||
		    keepsafe_open(keep_path, &ks, &e))
			goto fail;
	} else {
		if (!bind) {
			fprintf(stderr, "ceremony resume: '%s' is a live ceremony: name its tokens with --bind FILE\n", path);
			ret = EXIT_USAGE;
			goto out;
		}
		if ((ret = cmd_live_bind("resume", c, bind, &lb)) != EXIT_OK)
			goto out;
		ret = EXIT_FAILED;
	}
	/* The interpreter cuts the torn tail once every check is made and the resume is signed off. */
	struct interp_resume_in ri = {.path = path, .data = data, .len = rep.whole_len, .file_len = len, .report = &rep,
				      .signer_where = g.signer_where};
	struct interp_opts io = {
		.out_dir = dir,
		.rehearsal = g.rehearsal,
		.prompt = p,
		.module = g.rehearsal ? m : lb.m,
		.bindings = g.rehearsal ? b : lb.b,
		.n_bindings = g.rehearsal ? nb : lb.bf->n,
		.signers = lb.sg,
		.n_signers = lb.bf ? lb.bf->n_signers : 0,
		.module_path = g.rehearsal ? (module ? module : tok_default_module())
					   : (lb.bf->module ? lb.bf->module : tok_default_module()),
		.answers_path = answers,
		.keepsafe = ks,
		.keepsafe_path = ks ? keep_path : NULL,
	};
	if (interp_resume(c, &io, &ri, &status, &e)) {
		unsealed = status == INTERP_UNSEALED;
		goto fail;
	}
	unsealed = false;
	printf("\ntranscript: %s\nverify it with: ceremony verify %s%s\n", path, path,
	       strncmp(g.signer_where, "pkcs11:", 7) ? " --kid NEW-AUDIT-KEY-ID (as written on the paper log)" : "");
	ret = status == 0 ? EXIT_OK : EXIT_FAILED;
	goto out;
fail:
	fprintf(stderr, "ceremony resume: %s\n", e.msg);
	ret = EXIT_FAILED;
out:
	for (size_t i = 0; i < nb; i++) {
		secret_free(b[i].user_pin);
		secret_free(b[i].so_pin);
	}
	free(b);
	tok_module_free(m);
	keepsafe_close(ks);
	cmd_live_unbind(&lb);
	if (store && unsealed)
		fprintf(stderr, "ceremony resume: the rehearsal's tokens stay in %s until the transcript is sealed\n",
			softhsm_store_dir(store));
	softhsm_store_free(store, keep || unsealed);
	prompt_free(p);
	script_free(c);
	free(g.script);
	free(g.signer_where);
	if (g.inputs)
		cbor_decref(&g.inputs);
	free(data);
	return ret;
}
