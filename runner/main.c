/* ceremony: main and the command table. Only main() exits. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "files.h"
#include "interp.h"
#include "prompt.h"
#include "script.h"
#include "step.h"
#include "secret.h"

static const struct cmd commands[] = {
	{"check", "validate a script and print its plan; touches nothing", cmd_check, cmd_check_usage, false},
	{"rehearse", "run a script against throwaway SoftHSM tokens", cmd_rehearse, cmd_rehearse_usage, true},
	{"run", "run the live ceremony against the bound tokens", cmd_run, cmd_run_usage, true},
	{"resume", "finish a ceremony a crash, kill or power cut interrupted", cmd_resume, cmd_resume_usage, true},
	{"verify", "verify a transcript (VALID / ABORTED / INCOMPLETE / INVALID)", cmd_verify, cmd_verify_usage, false},
	{"tokens", "list a PKCS#11 module's slots, tokens and mechanisms", cmd_tokens, cmd_tokens_usage, false},
	{"answers", "print an answers file template with every question a script asks", cmd_answers, cmd_answers_usage,
	 false},
	{"print", "print the procedure the administrator reads from (Markdown or HTML)", cmd_print, cmd_print_usage, false},
	{"report", "write the ceremony log of transcripts (Markdown or HTML)", cmd_report, cmd_report_usage, false},
	{"diff", "compare two transcripts of one script (a rehearsal and the live run)", cmd_diff, cmd_diff_usage, false},
	{"replay", "tell a transcript's ceremony step by step, as it happened", cmd_replay, cmd_replay_usage, false},
	{"extract", "write a transcript's embedded script and artifacts for other tools", cmd_extract, cmd_extract_usage,
	 false},
};

int cmd_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

static int known(const void *ctx, const char *step, const char *role, const char *key)
{
	const struct ceremony *c = ctx;
	const struct step *s = script_step(c, step);
	bool genesis = c->audit_token && !strcmp(step, SCRIPT_GENESIS);
	bool resume = !strcmp(step, SCRIPT_RESUME), found = false;
	if (!s && !genesis && !resume)
		return PROMPT_UNKNOWN_STEP;
	if (strcmp(role, "-") && !script_role(c, role))
		return PROMPT_UNKNOWN_ROLE;
	for (size_t i = 0; resume && step_asks_resume[i]; i++)
		found |= !strcmp(key, step_asks_resume[i]);
	if (resume ? !found : genesis ? strcmp(key, "pin") != 0 : !step_asks(s, key))
		return PROMPT_UNKNOWN_KEY;
	return 0;
}

/* `--after DIR`: the earlier rehearsal's folder first, then the script's. */
static int read_after(void *ctx, const char *name, const char *path, size_t max, uint8_t **data, size_t *len,
		      struct err *e)
{
	const char *dir = ctx;
	char there[PATH_MAX];
	if (name[0] != '/' && snprintf(there, sizeof there, "%s/%s", dir, name) < (int)sizeof there &&
	    access(there, F_OK) == 0)
		return files_read(there, max, data, len, e);
	return files_read(path, max, data, len, e);
}

int cmd_load_script(const char *script, const char *after, struct ceremony **c, struct err *e)
{
	struct script_input_source src = {read_after, (void *)after};
	return script_load_from(script, &step_registry, after ? &src : NULL, c, e);
}

int cmd_prepare(const char *who, const char *script, const char *answers, const char *after, struct ceremony **c,
		struct prompt **p)
{
	struct err e = {.kind = ERR_NONE};
	*p = NULL;
	/* Everything is validated before any token is touched or any file written. */
	if (cmd_load_script(script, after, c, &e)) {
		fprintf(stderr, "ceremony %s: %s\n", who, e.msg);
		return EXIT_USAGE;
	}
	if (cmd_prompt(who, *c, answers, p) != EXIT_OK) {
		script_free(*c);
		*c = NULL;
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_prompt(const char *who, const struct ceremony *c, const char *answers, struct prompt **p)
{
	struct err e = {.kind = ERR_NONE};
	*p = answers ? prompt_answers_new(answers, stdout, &e) : prompt_terminal_new(stdout, &e);
	if (!*p || prompt_answers_check(*p, known, c, &e)) {
		fprintf(stderr, "ceremony %s: %s\n", who, e.msg);
		prompt_free(*p);
		*p = NULL;
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_out_dir(const char *who, const char *given, const char *prefix, char *buf, size_t cap, const char **out)
{
	struct err e = {.kind = ERR_NONE};
	if (given) {
		*out = given;
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
		snprintf(buf, cap, "%s-%s", prefix, stamp);
		*out = buf;
	}
	if (interp_check_out(*out, &e)) {
		fprintf(stderr, "ceremony %s: %s\n", who, e.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ceremony COMMAND [ARGS]\n"
		   "       ceremony COMMAND --help\n"
		   "       ceremony --version\n\n"
		   "Runs key ceremonies from reviewed scripts against PKCS#11 tokens and writes a\n"
		   "signed, hash-chained transcript that auditors verify.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nEXIT STATUS\n"
		   "  0 success; 1 the ceremony failed or was halted; 2 bad usage or bad input.\n"
		   "  verify: 0 VALID, 3 VALID but aborted or halted, 4 INCOMPLETE, 1 INVALID,\n"
		   "  2 unreadable or bad usage.\n");
}

int main(int argc, char **argv)
{
	/* Line by line even into a file: the log of a run that is killed keeps everything
	 * it showed up to the kill. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_is_help(argv[1])) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s\n", interp_runner_version());
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name)) {
			if (argc == 3 && !strcmp(argv[2], "--version")) {
				printf("%s\n", interp_runner_version());
				return EXIT_OK;
			}
			/* Fail closed: no ceremony in a process that cannot keep its secrets out
			 * of swap, core files and other processes. verify, check and tokens hold
			 * none (public keys and scripts only) and run without it. */
			struct err e = {.kind = ERR_NONE};
			if (commands[i].secrets && !(argc == 3 && cmd_is_help(argv[2])) && secret_process_harden(&e)) {
				fprintf(stderr, "ceremony %s: cannot protect secrets in memory, refusing to run: %s\n",
					commands[i].name, e.msg);
				return EXIT_FAILED;
			}
			int rc = commands[i].run(argc - 1, argv + 1);
			fflush(stdout);
			return rc;
		}
	fprintf(stderr, "ceremony: unknown command '%s' (see ceremony --help)\n", argv[1]);
	return EXIT_USAGE;
}
