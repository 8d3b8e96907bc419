/* cmd: the command table (runner/main.c) and each command's entry point.
 * A command gets argv with argv[0] its own name, handles its own --help, and
 * returns the process exit status (ARCHITECTURE.md): 0 success, 1 the ceremony
 * failed or was halted, 2 bad usage or bad input; verify has its own (0/3/4/1/2).
 * Only main() exits. */
#ifndef CER_CMD_H
#define CER_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *f);
	/* Holds secrets (PINs, shares, wrap keys, the audit key): main runs it only
	 * once secret_process_harden() has succeeded, and refuses it otherwise. */
	bool secrets;
};

int cmd_check(int argc, char **argv);
int cmd_rehearse(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_tokens(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_answers(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_print(int argc, char **argv);
int cmd_diff(int argc, char **argv);
void cmd_diff_usage(FILE *f);
int cmd_report(int argc, char **argv);
void cmd_report_usage(FILE *f);
void cmd_print_usage(FILE *f);
void cmd_replay_usage(FILE *f);
void cmd_extract_usage(FILE *f);
void cmd_resume_usage(FILE *f);
void cmd_answers_usage(FILE *f);
void cmd_run_usage(FILE *f);
void cmd_check_usage(FILE *f);
void cmd_rehearse_usage(FILE *f);
void cmd_verify_usage(FILE *f);
void cmd_tokens_usage(FILE *f);

/* Exit statuses shared by the commands. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,   /* the ceremony failed or was halted */
	EXIT_USAGE = 2,    /* bad usage or bad input */
};

struct ceremony;
struct prompt;
struct err;
/* Shared start of run and rehearse: loads and validates the script, opens the
 * prompt backend (answers file or terminal) and checks the answers against the
 * script. Returns EXIT_OK, or EXIT_USAGE after printing why ("ceremony WHO: ..."). */
int cmd_prepare(const char *who, const char *script, const char *answers, const char *after, struct ceremony **c,
		struct prompt **p);
/* Loads script; with after (an earlier rehearsal's output folder, `--after DIR`), a
 * file the script names by a relative path is read from DIR when DIR holds it (what
 * the earlier ceremony exported, its transcript.cts), else from the script's
 * folder. 0, or -1 with e set. */
int cmd_load_script(const char *script, const char *after, struct ceremony **c, struct err *e);
/* The output folder: `given`, or PREFIX-YYYYMMDDTHHMMSS (UTC) written into buf; checked
 * (interp_check_out) before any token is touched. EXIT_OK or EXIT_USAGE after saying why. */
int cmd_out_dir(const char *who, const char *given, const char *prefix, char *buf, size_t cap, const char **out);

/* A live run's bindings (cmd_run.c), shared by run and resume. */
struct live_bind {
	struct binding *bf;
	struct tok_module *m;
	struct interp_binding *b;      /* bf->n of them */
	struct interp_signer *sg;      /* bf->n_signers of them */
};
int cmd_live_bind(const char *who, const struct ceremony *c, const char *bind, struct live_bind *lb);
void cmd_live_unbind(struct live_bind *lb);
/* The prompt for a script already loaded (answers file or terminal), its answers
 * checked against the script. EXIT_OK or EXIT_USAGE after saying why. */
int cmd_prompt(const char *who, const struct ceremony *c, const char *answers, struct prompt **p);

/* True when argv[i] is --help or -h; commands print their usage to stdout and return 0. */
int cmd_is_help(const char *arg);

#endif
