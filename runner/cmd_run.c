/* ceremony run SCRIPT --bind FILE: the live ceremony against the bound tokens. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "binding.h"
#include "cmd.h"
#include "interp.h"
#include "prompt.h"
#include "script.h"
#include "token.h"
#include "step.h"

void cmd_run_usage(FILE *f)
{
	fprintf(f, "usage: ceremony run SCRIPT --bind FILE [--out DIR] [--answers FILE]\n\n"
		   "Runs the live ceremony against the tokens the binding file names (PKCS#11\n"
		   "URIs, schemas/binding.schema.json). PINs are typed without echo when a step\n"
		   "first needs to log in; they never come from the command line, the script or\n"
		   "the binding. Writes DIR/transcript.cts (mode: live) and DIR/artifacts/.\n\n"
		   "  --bind FILE     which module and token each of the script's token names means\n"
		   "  --out DIR       output folder (default ./ceremony-YYYYMMDDTHHMMSS)\n"
		   "  --answers FILE  answers from a file instead of the terminal (dry runs on test\n"
		   "                  tokens); the transcript records that answers came from a file\n\n"
		   "EXIT STATUS\n"
		   "  0 the ceremony completed; 1 it failed, was aborted or halted, or a token\n"
		   "  failed; 2 bad usage, a bad script, binding or answers file.\n");
}

/* The tokens and signers the binding file names, found in its module and checked
 * against the script (labels; a blank token only for token.init). run and resume
 * bind the same way. EXIT_OK, or the exit status after saying why. */
int cmd_live_bind(const char *who, const struct ceremony *c, const char *bind, struct live_bind *lb)
{
	struct err e = {.kind = ERR_NONE};
	struct binding *bf = NULL;
	struct tok_module *m = NULL;
	struct interp_binding *b = NULL;
	struct interp_signer *sg = NULL;
	memset(lb, 0, sizeof *lb);
	if (binding_load(bind, c, &bf, &e)) {
		fprintf(stderr, "ceremony %s: %s\n", who, e.msg);
		return EXIT_USAGE;
	}
	lb->bf = bf;
	if (tok_module_load(bf->module ? bf->module : tok_default_module(), &m, &e))
		goto fail;
	if (!(b = calloc(bf->n ? bf->n : 1, sizeof *b))) {
		err_set(&e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < bf->n; i++) {
		const struct token_decl *t = script_token(c, bf->tokens[i].name);
		struct tok_info *list = NULL;
		size_t n = 0;
		bool initialised = false;
		b[i].name = bf->tokens[i].name;
		if (tok_find_uri_ex(m, bf->tokens[i].uri, TOK_FIND_BLANK, &b[i].slot, &initialised, &e))
			goto fail;
		/* A blank token is only for a script token whose first step is token.init:
		 * that step gives it the script's label (and generated PINs). */
		if (!initialised) {
			if (!script_token_initialised_by_run(c, t->name)) {
				err_set(&e, ERR_BINDING, "the token bound to '%s' (%s) is not initialised; only a token whose "
					"first step is token.init may be bound blank (initialise it as %s first)",
					t->name, bf->tokens[i].uri, t->label);
				goto fail;
			}
			continue;
		}
		if (tok_list(m, &list, &n, &e))
			goto fail;
		/* The reviewed script names the label: a binding to another token is refused. */
		int same = 0;
		for (size_t k = 0; k < n; k++)
			if (list[k].slot == b[i].slot && !strcmp(list[k].label, t->label))
				same = 1;
		free(list);
		if (!same) {
			err_set(&e, ERR_BINDING, "the token bound to '%s' (%s) is not labelled %s as the script says",
				t->name, bf->tokens[i].uri, t->label);
			goto fail;
		}
	}
	if (!(sg = calloc(bf->n_signers ? bf->n_signers : 1, sizeof *sg))) {
		err_set(&e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < bf->n_signers; i++) {
		sg[i] = (struct interp_signer){.name = bf->signers[i].name, .uri = bf->signers[i].uri,
					       .label = bf->signers[i].label};
		if (tok_find_uri(m, bf->signers[i].token_uri, &sg[i].slot, &e)) {
			err_wrap(&e, "signer '%s' (%s)", sg[i].name, sg[i].uri);
			goto fail;
		}
		/* Login state belongs to a token, not a session: a participant's key on a
		 * ceremony token would log that token in and out under the ceremony's feet. */
		for (size_t k = 0; k < bf->n; k++)
			if (b[k].slot == sg[i].slot) {
				err_set(&e, ERR_BINDING, "signer '%s' (%s): the key must be on the participant's own token, "
					"not on the ceremony token '%s'", sg[i].name, sg[i].uri, b[k].name);
				goto fail;
			}
	}
	lb->m = m;
	lb->b = b;
	lb->sg = sg;
	return EXIT_OK;
fail:
	fprintf(stderr, "ceremony %s: %s\n", who, e.msg);
	lb->m = m;
	lb->b = b;
	lb->sg = sg;
	return EXIT_FAILED;
}

void cmd_live_unbind(struct live_bind *lb)
{
	free(lb->sg);
	free(lb->b);
	tok_module_free(lb->m);
	binding_free(lb->bf);
	memset(lb, 0, sizeof *lb);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", required_argument, NULL, 'b'}, {"out", required_argument, NULL, 'o'},
		{"answers", required_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *bind = NULL, *out = NULL, *answers = NULL;
	char default_out[64];
	struct err e = {.kind = ERR_NONE};
	struct ceremony *c = NULL;
	struct prompt *p = NULL;
	struct binding *bf = NULL;
	struct tok_module *m = NULL;
	struct interp_binding *b = NULL;
	struct interp_signer *sg = NULL;
	struct live_bind lb = {0};
	int ret = EXIT_FAILED, opt, status;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b': bind = optarg; break;
		case 'o': out = optarg; break;
		case 'a': answers = optarg; break;
		case 'h': cmd_run_usage(stdout); return EXIT_OK;
		default: cmd_run_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !bind) {
		cmd_run_usage(stderr);
		return EXIT_USAGE;
	}
	if ((ret = cmd_prepare("run", argv[optind], answers, NULL, &c, &p)) != EXIT_OK)
		return ret;
	if ((ret = cmd_out_dir("run", out, "ceremony", default_out, sizeof default_out, &out)) != EXIT_OK)
		goto out;
	if ((ret = cmd_live_bind("run", c, bind, &lb)) != EXIT_OK)
		goto out;
	ret = EXIT_FAILED;
	bf = lb.bf;
	m = lb.m;
	b = lb.b;
	sg = lb.sg;
	struct interp_opts io = {
		.out_dir = out,
		.rehearsal = false,
		.prompt = p,
		.module = m,
		.bindings = b,
		.n_bindings = bf->n,
		.signers = sg,
		.n_signers = bf->n_signers,
		.module_path = bf->module ? bf->module : tok_default_module(),
		.answers_path = answers,
	};
	if (interp_run(c, &io, &status, &e))
		goto fail;
	printf("\ntranscript: %s/transcript.cts\n", out);
	ret = status == 0 ? EXIT_OK : EXIT_FAILED;
	/* A completed run read every answer it was given, or the answers file was wrong:
	 * a typo in a key or an answer for a step that asks nothing must not go unseen. */
	if (status == 0 && prompt_answers_unused(p, &e)) {
		fprintf(stderr, "ceremony run: %s\n", e.msg);
		ret = EXIT_USAGE;
	}
	goto out;
fail:
	fprintf(stderr, "ceremony run: %s\n", e.msg);
	ret = EXIT_FAILED;
out:
	cmd_live_unbind(&lb);
	prompt_free(p);
	script_free(c);
	return ret;
}
