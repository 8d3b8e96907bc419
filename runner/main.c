/* ceremony: main and the command table. Only main() exits. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "interp.h"
#include "secret.h"

static const struct cmd commands[] = {
	{"check", "validate a script and print its plan; touches nothing", cmd_check, cmd_check_usage},
	{"rehearse", "run a script against throwaway SoftHSM tokens", cmd_rehearse, cmd_rehearse_usage},
	{"verify", "verify a transcript (VALID / ABORTED / INCOMPLETE / INVALID)", cmd_verify, cmd_verify_usage},
	{"tokens", "list a PKCS#11 module's slots, tokens and mechanisms", cmd_tokens, cmd_tokens_usage},
};

int cmd_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
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
	secret_process_harden();
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
			int rc = commands[i].run(argc - 1, argv + 1);
			fflush(stdout);
			return rc;
		}
	fprintf(stderr, "ceremony: unknown command '%s' (see ceremony --help)\n", argv[1]);
	return EXIT_USAGE;
}
