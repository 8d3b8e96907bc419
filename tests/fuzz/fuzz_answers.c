/* fuzz_answers: the answers-file loader (runner/prompt.c) on any bytes, then its
 * check of every step, role and key it names, then a few questions asked of it as a
 * rehearsal asks them (a line, a secret). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runner/prompt.h"
#include "runner/secret.h"
#include "tests/fuzz/fuzz.h"

/* A ceremony's names, as a command's check would know them: some known, some not. */
static int known(const void *ctx, const char *step, const char *role, const char *key)
{
	(void)ctx;
	if (strcmp(step, "attendance") != 0 && strcmp(step, "key") != 0 && strcmp(step, "pin") != 0)
		return PROMPT_UNKNOWN_STEP;
	if (strcmp(role, "administrator") != 0 && strcmp(role, "witness") != 0)
		return PROMPT_UNKNOWN_ROLE;
	if (key && strcmp(key, "confirm") != 0 && strcmp(key, "name") != 0 && strcmp(key, "pin") != 0)
		return PROMPT_UNKNOWN_KEY;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	if (!out && !(out = fopen("/dev/null", "w")))
		return 0;
	const char *path = fuzz_as_file(data, size);
	struct err e = {0};
	struct prompt *p = path ? prompt_answers_new(path, out, &e) : NULL;
	if (!p)
		return 0;
	if (prompt_answers_check(p, known, NULL, &e) == 0) {
		static const struct prompt_q qs[] = {
			{.step = "attendance", .role = "administrator", .key = "name", .text = "Name"},
			{.step = "key", .role = "administrator", .key = "confirm", .text = "Confirm", .shown = "AB12"},
			{.step = "key", .role = "witness", .key = "confirm", .text = "Confirm"},
		};
		for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
			char *answer = NULL;
			if (p->ask(p, &qs[i], &answer, &e) == 0)
				free(answer);
		}
		struct secret *s = secret_new(256, &e);
		if (s) {
			static const struct prompt_q pin = {.step = "pin", .role = "administrator", .key = "pin",
							    .text = "PIN"};
			(void)p->ask_secret(p, &pin, s, &e);
			secret_free(s);
		}
	}
	prompt_free(p);
	return 0;
}
