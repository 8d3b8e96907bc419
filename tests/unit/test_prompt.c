/* prompt: the answers backend (what unattended rehearsals and tests use) and the
 * confirmation rule; the terminal backend is exercised from the CLI tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "runner/prompt.h"

static char path[] = "/tmp/ceremony-answers-test.XXXXXX";

static struct prompt *load(const char *text, struct err *e)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	FILE *null = fopen("/dev/null", "w");
	struct prompt *p = prompt_answers_new(path, null, e);
	unlink(path);
	strcpy(path, "/tmp/ceremony-answers-test.XXXXXX");
	if (!p)
		fclose(null);
	return p;
}

static void close_prompt(struct prompt *p)
{
	FILE *f = p->out;
	prompt_free(p);
	fclose(f);
}

static void answers_by_step_role_key(void **state)
{
	(void)state;
	struct err e;
	char *a = NULL;
	struct prompt *p = load("answers: 1\nsteps:\n  s1:\n    witness: {name: [Ann, Bob], signoff: \"yes\"}\n", &e);
	assert_non_null(p);
	struct prompt_q q = {.step = "s1", .role = "witness", .key = "name", .text = "name"};
	assert_int_equal(prompt_ask(p, &q, &a, &e), 0);
	assert_string_equal(a, "Ann");
	free(a);
	assert_int_equal(prompt_ask(p, &q, &a, &e), 0);
	assert_string_equal(a, "Bob");
	free(a);
	/* A list runs out: an error, never a default. */
	assert_int_equal(prompt_ask(p, &q, &a, &e), -1);
	assert_non_null(strstr(e.msg, "no more answers for step 's1', role 'witness', 'name' (2 given)"));
	q.key = "signoff";
	assert_int_equal(prompt_confirm(p, &q, &e), 0);
	/* A single answer is not reused for a second question. */
	assert_int_equal(prompt_confirm(p, &q, &e), -1);
	close_prompt(p);
}

static void missing_answer_names_step_and_role(void **state)
{
	(void)state;
	struct err e;
	char *a = NULL;
	struct prompt *p = load("answers: 1\nsteps:\n  s1:\n    witness: {name: Ann}\n", &e);
	assert_non_null(p);
	struct prompt_q q = {.step = "s2", .role = "operator", .key = "confirm", .text = "confirm"};
	assert_int_equal(prompt_ask(p, &q, &a, &e), -1);
	assert_string_equal(e.code, "answers");
	assert_non_null(strstr(e.msg, "no answer for step 's2', role 'operator', 'confirm'"));
	close_prompt(p);
}

static void only_the_exact_word_yes(void **state)
{
	(void)state;
	struct err e;
	const char *refused[] = {"y", "Yes", "YES", "yes ", "ok", "true", ""};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char text[200];
		snprintf(text, sizeof text, "answers: 1\nsteps:\n  s:\n    r: {confirm: \"%s\"}\n", refused[i]);
		struct prompt *p = load(text, &e);
		assert_non_null(p);
		struct prompt_q q = {.step = "s", .role = "r", .key = "confirm", .text = "confirm"};
		assert_int_equal(prompt_confirm(p, &q, &e), -1);
		assert_string_equal(e.code, "not-confirmed");
		close_prompt(p);
	}
}

/* A slip is asked again while the file has an answer left, so a list reads as the
 * room would answer: a wrong one first, then the right one (issue 10). */
static void a_list_answers_a_question_asked_again(void **state)
{
	(void)state;
	struct err e;
	char out[4096] = "", *a = NULL;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "answers: 1\nsteps:\n  s:\n    r: {confirm: [\"y\", \"yes\"], choice: [\"Again?\", \"again\"], one: \"x\"}\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	FILE *log = fmemopen(out, sizeof out - 1, "w");
	assert_non_null(log);
	struct prompt *p = prompt_answers_new(path, log, &e);
	unlink(path);
	strcpy(path, "/tmp/ceremony-answers-test.XXXXXX");
	assert_non_null(p);
	struct prompt_q q = {.step = "s", .role = "r", .key = "choice", .text = "choice"};
	assert_true(prompt_can_ask_again(p, &q));
	assert_int_equal(prompt_ask(p, &q, &a, &e), 0);
	free(a);
	assert_true(prompt_can_ask_again(p, &q));
	assert_int_equal(prompt_ask(p, &q, &a, &e), 0);
	assert_string_equal(a, "again");
	free(a);
	assert_false(prompt_can_ask_again(p, &q));
	/* A scalar is one answer: once used, nothing is left to ask again with. */
	struct prompt_q one = {.step = "s", .role = "r", .key = "one", .text = "one"};
	assert_true(prompt_can_ask_again(p, &one));
	assert_int_equal(prompt_ask(p, &one, &a, &e), 0);
	free(a);
	assert_false(prompt_can_ask_again(p, &one));
	/* Nothing in the file for it: it cannot be asked (again). */
	struct prompt_q absent = {.step = "s", .role = "r", .key = "absent", .text = "absent"};
	assert_false(prompt_can_ask_again(p, &absent));
	/* A confirmation refused in a file is refused (written on purpose), and says
	 * which attempt it was. */
	struct prompt_q c = {.step = "s", .role = "r", .key = "confirm", .text = "confirm"};
	assert_int_equal(prompt_confirm(p, &c, &e), -1);
	assert_string_equal(e.code, "not-confirmed");
	fflush(log);
	assert_non_null(strstr(out, "'y' is not a confirmation: type the word yes (attempt 1 of 3)"));
	prompt_free(p);
	fclose(log);
}

static void secrets_go_to_locked_memory(void **state)
{
	(void)state;
	struct err e;
	struct prompt *p = load("answers: 1\nsteps:\n  k:\n    operator: {pin: \"246810\"}\n", &e);
	assert_non_null(p);
	struct secret *s = secret_new(64, &e);
	assert_non_null(s);
	struct prompt_q q = {.step = "k", .role = "operator", .key = "pin", .text = "PIN"};
	assert_int_equal(prompt_ask_secret(p, &q, s, &e), 0);
	assert_int_equal(s->len, 6);
	assert_memory_equal(s->p, "246810", 6);
	secret_free(s);
	close_prompt(p);
}

static void bad_answers_files(void **state)
{
	(void)state;
	struct err e;
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"answers: 2\nsteps: {}\n", ":1:10:"},
		{"steps: {}\n", "missing 'answers: 1'"},
		{"answers: 1\n", "missing 'steps'"},
		{"answers: 1\nstep: {}\n", "did you mean 'steps'"},
		{"answers: 1\nsteps:\n  s:\n    r: {k: {a: b}}\n", ":4:12: expected an answer"},
		{"answers: 1\nsteps:\n  s:\n    r: {k: []}\n", "empty list"},
		{"answers: 1\nsteps:\n  s: [a]\n", ":3:6:"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct prompt *p = load(cases[i].text, &e);
		if (p)
			close_prompt(p);
		assert_null(p);
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].msg, e.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers_by_step_role_key),
		cmocka_unit_test(missing_answer_names_step_and_role),
		cmocka_unit_test(only_the_exact_word_yes),
		cmocka_unit_test(a_list_answers_a_question_asked_again),
		cmocka_unit_test(secrets_go_to_locked_memory),
		cmocka_unit_test(bad_answers_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
