/* interp: the interpreter driven through a test step table (a fake run: no token,
 * answers from a file, a throwaway output folder), so the loop, the step services
 * and the records they make are tested without the real step types. The transcript
 * each run writes is verified by ts_verify and read back record by record.
 *
 * Linked with tests/tools/failalloc.o: the last test runs a whole ceremony with
 * the 1st, 2nd, 3rd ... allocation failing and requires a clean failure (or a
 * sealed, VALID transcript) and no leak at every one. FAILALLOC_STRIDE=k tries
 * every kth n after the first 200 (default 101; 1: every n, as `make failalloc`).
 * FAILALLOC_FROM=n starts at n (to debug one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/err.h>
#include "runner/dcbor.h"
#include "runner/files.h"
#include "runner/interp.h"
#include "runner/prompt.h"
#include "runner/secret.h"
#include "runner/step.h"
#include "runner/transcript.h"
#include "tests/tools/failalloc.h"

/* ---- the test step table ---------------------------------------------------- */

static int ok_exec(struct step_run *r, struct err *e)
{
	return step_output(r, "x", dcbor_uint(1), e);
}

static int fail_exec(struct step_run *r, struct err *e)
{
	(void)r;
	return err_set(e, ERR_TOKEN, "the token fell off the table");
}

static int twice_exec(struct step_run *r, struct err *e)
{
	return step_output(r, "x", dcbor_uint(1), e) || step_output(r, "x", dcbor_uint(2), e);
}

static int attend_exec(struct step_run *r, struct err *e)
{
	const struct ynode *p = ynode_get(r->step->node, "people");
	for (size_t i = 0; p && i < p->n; i++)
		if (step_attend(r, p->keys[i]->str, p->vals[i]->str, e))
			return -1;
	return 0;
}

static int split_exec(struct step_run *r, struct err *e)
{
	struct secret *s = secret_new(16, e);
	int rc = !s || secret_random(s, 16, e) || step_split_among(r, s, 2, "custodian", "test:split", e);
	secret_free(s);
	return rc ? -1 : 0;
}

static int artifact_exec(struct step_run *r, struct err *e)
{
	static const uint8_t blob[] = "not a secret";
	return step_artifact(r, "blob", "blob.bin", "application/octet-stream", blob, sizeof blob - 1, e) ||
	       step_check(r, "blob made", dcbor_bool(true), dcbor_bool(true), true, e);
}

static int decide_exec(struct step_run *r, struct err *e)
{
	return step_decide(r, "stop here?", "stop", NULL, e);
}

static const char *const attend_keys[] = {"people", NULL};
static const char *const x_out[] = {"x", NULL};
static const char *const no_keys[] = {NULL};

static const struct step_type t_ok = {.name = "t.ok", .keys = no_keys, .outputs = x_out, .execute = ok_exec};
static const struct step_type t_fail = {.name = "t.fail", .keys = no_keys, .execute = fail_exec};
static const struct step_type t_twice = {.name = "t.twice", .keys = no_keys, .outputs = x_out, .execute = twice_exec};
static const struct step_type t_attend = {.name = "t.attend", .keys = attend_keys, .execute = attend_exec,
					  .flags = STEP_RECORDS_ATTENDANCE};
static const struct step_type t_split = {.name = "t.split", .keys = no_keys, .execute = split_exec, .flags = STEP_SPLITS};
static const struct step_type t_artifact = {.name = "t.artifact", .keys = no_keys, .execute = artifact_exec};
static const struct step_type t_decide = {.name = "t.decide", .keys = no_keys, .execute = decide_exec,
					  .flags = STEP_DECIDES};
/* The real decision type too: its only_on_fail is what the loop honours. */
extern const struct step_type step_decision;
static const struct step_type *const types[] = {&t_ok,	   &t_fail,   &t_twice,	    &t_attend,
						&t_split, &t_artifact, &t_decide, &step_decision};
static const struct step_table table = {types, sizeof types / sizeof types[0]};

/* ---- a fake run --------------------------------------------------------------- */

/* A step of the script text: id, type, and its id as title. */
#define STEP(id, type) "  - id: " id "\n    type: " type "\n    title: " id "\n"

#define HEAD                                                                                                   \
	"ceremony: 1\n"                                                                                        \
	"title: harness\n"                                                                                     \
	"roles:\n"                                                                                             \
	"  administrator: {count: 1}\n"                                                                        \
	"  custodian: {count: 3}\n"                                                                            \
	"  witness: {count: 1}\n"                                                                              \
	"steps:\n"                                                                                             \
	"  - id: people\n"                                                                                     \
	"    type: t.attend\n"                                                                                 \
	"    title: people\n"                                                                                  \
	"    people: {Ada: administrator, Carl: custodian, Clara: custodian, Chidi: custodian, Wanda: witness}\n"

static const char answers[] = "answers: 1\n"
			      "steps:\n"
			      "  what: {administrator: {choice: \"on\"}}\n"
			      "  refused: {witness: {signoff: \"refuse\", refusal_reason: [\"  \", \"the seal is torn\"]}}\n"
			      "  one: {witness: {signoff: \"yes\"}, administrator: {confirm: \"yes\"}}\n"
			      "  split:\n"
			      "    custodian:\n"
			      "      ready: [\"yes\", \"yes\", \"yes\"]\n"
			      "      checksum: [\"(as shown)\", \"(as shown)\", \"(as shown)\"]\n";

struct run {
	char dir[64], out[96];
	int status;
	struct ts_report rep;
	cbor_item_t *results[16];   /* the step-result bodies, in order (owned) */
	size_t n_results;
};

static void run_free(struct run *x)
{
	for (size_t i = 0; i < x->n_results; i++)
		cbor_decref(&x->results[i]);
	x->n_results = 0;
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", x->dir);
}

/* Runs the ceremony; 0 when it was sealed (x->status the seal's), -1 with e set. */
static int run_ceremony(const char *script, struct run *x, struct err *e)
{
	struct ceremony *c = NULL;
	struct prompt *p = NULL;
	char apath[128];
	FILE *devnull = fopen("/dev/null", "w");
	int rc = -1;

	memset(x, 0, sizeof *x);
	snprintf(x->dir, sizeof x->dir, "/tmp/test-interp.XXXXXX");
	if (!mkdtemp(x->dir) || !devnull)
		return err_set(e, ERR_IO, "no temporary folder");
	snprintf(x->out, sizeof x->out, "%s/out", x->dir);
	snprintf(apath, sizeof apath, "%s/answers.yaml", x->dir);
	if (files_write_new(apath, (const uint8_t *)answers, strlen(answers), e))
		goto out;
	if (script_parse("harness.yaml", (const uint8_t *)script, strlen(script), &table, &c, e) ||
	    !(p = prompt_answers_new(apath, devnull, e)))
		goto out;
	struct interp_opts o = {.out_dir = x->out, .rehearsal = true, .prompt = p, .answers_path = apath};
	rc = interp_run(c, &o, &x->status, e);
out:
	prompt_free(p);
	script_free(c);
	fclose(devnull);
	return rc;
}

/* Verifies the transcript and keeps its step-result bodies. */
static void read_back(struct run *x)
{
	char path[128];
	uint8_t *data = NULL;
	size_t len = 0, off = 0;
	struct err e = {.kind = ERR_NONE};
	snprintf(path, sizeof path, "%s/transcript.cts", x->out);
	if (files_read(path, 1 << 24, &data, &len, &e))
		fail_msg("%s", e.msg);
	struct ts_verify_opts vo = {0};
	assert_int_equal(ts_verify(data, len, &vo, &x->rep, &e), 0);
	while (off < len) {
		cbor_item_t *rec = NULL, *entry = NULL;
		size_t used = 0;
		assert_int_equal(dcbor_decode_strict(data + off, len - off, true, &rec, &used, &e), 0);
		cbor_item_t *arr = cbor_isa_tag(rec) ? cbor_tag_item(rec) : cbor_incref(rec);
		cbor_item_t *payload = cbor_array_get(arr, 2);
		cbor_decref(&arr);
		assert_non_null(payload);
		size_t pu = 0;
		assert_int_equal(dcbor_decode_strict(cbor_bytestring_handle(payload), cbor_bytestring_length(payload), true,
						     &entry, &pu, &e),
				 0);
		if (cbor_get_int(dcbor_get_u(entry, 4)) == TS_STEP_RESULT && x->n_results < 16)
			x->results[x->n_results++] = cbor_incref((cbor_item_t *)dcbor_get_u(entry, 5));
		cbor_decref(&payload);
		cbor_decref(&entry);
		cbor_decref(&rec);
		off += used;
	}
	free(data);
}

static const char *text_of(const cbor_item_t *t, char *buf, size_t cap)
{
	if (!t || !cbor_isa_string(t))
		return "(not text)";
	snprintf(buf, cap, "%.*s", (int)cbor_string_length(t), (const char *)cbor_string_handle(t));
	return buf;
}

/* ---- tests ---------------------------------------------------------------- */

static void a_passing_run_records_outputs_checks_signoffs_and_artifacts(void **state)
{
	(void)state;
	struct run x;
	struct err e = {.kind = ERR_NONE};
	char b[256];
	const char *script = HEAD STEP("one", "t.ok")
				  "    expect: {x: \"1\"}\n"
				  "    confirm: [administrator]\n"
				  "    signoff: [witness]\n"
				  STEP("split", "t.split")
				  STEP("blob", "t.artifact");
	if (run_ceremony(script, &x, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(x.status, 0);
	read_back(&x);
	assert_int_equal(x.rep.verdict, TS_VALID);
	assert_int_equal(x.n_results, 4);
	/* one: output x = 1, the expectation as a held check, the witness's sign-off */
	const cbor_item_t *one = x.results[1];
	assert_int_equal(cbor_get_int(dcbor_get_u(one, 2)), TS_PASSED);
	assert_int_equal(cbor_get_int(dcbor_get(dcbor_get_u(one, 3), "x")), 1);
	const cbor_item_t *checks = dcbor_get_u(one, 4), *signoffs = dcbor_get_u(one, 5);
	assert_non_null(checks);
	assert_int_equal(cbor_array_size(checks), 1);
	cbor_item_t *c0 = cbor_array_get(checks, 0);
	assert_string_equal(text_of(dcbor_get_u(c0, 0), b, sizeof b), "x");
	assert_true(cbor_get_bool(dcbor_get_u(c0, 3)));
	cbor_decref(&c0);
	assert_non_null(signoffs);
	cbor_item_t *s0 = cbor_array_get(signoffs, 0);
	assert_string_equal(text_of(dcbor_get_u(s0, 0), b, sizeof b), "witness");
	assert_string_equal(text_of(dcbor_get_u(s0, 1), b, sizeof b), "Wanda");
	assert_int_equal(cbor_get_int(dcbor_get_u(s0, 4)), 0);
	cbor_decref(&s0);
	/* the administrator's confirmation of the Actual: who, what was shown and typed */
	const cbor_item_t *confs = dcbor_get_u(one, 10);
	assert_non_null(confs);
	assert_int_equal(cbor_array_size(confs), 1);
	cbor_item_t *k0 = cbor_array_get(confs, 0);
	assert_string_equal(text_of(dcbor_get_u(k0, 0), b, sizeof b), "administrator");
	assert_string_equal(text_of(dcbor_get_u(k0, 1), b, sizeof b), "Ada");
	assert_non_null(strstr(text_of(dcbor_get_u(k0, 2), b, sizeof b), "the Actual of step 'one' is as shown above"));
	assert_non_null(strstr(text_of(dcbor_get_u(k0, 2), b, sizeof b), "(typed 'yes')"));
	assert_int_equal(cbor_get_int(dcbor_get_u(k0, 4)), 0);
	assert_non_null(dcbor_get_u(k0, 3));
	cbor_decref(&k0);
	/* split: who holds which share, and no share */
	const cbor_item_t *split = dcbor_get(dcbor_get_u(x.results[2], 3), "custodians");
	assert_non_null(split);
	assert_int_equal(cbor_array_size(split), 3);
	assert_int_equal(cbor_get_int(dcbor_get(dcbor_get_u(x.results[2], 3), "threshold")), 2);
	/* blob: the artifact embedded with its size, and written to the folder */
	const cbor_item_t *arts = dcbor_get_u(x.results[3], 6);
	assert_non_null(arts);
	cbor_item_t *a0 = cbor_array_get(arts, 0);
	assert_string_equal(text_of(dcbor_get_u(a0, 0), b, sizeof b), "blob");
	assert_int_equal(cbor_get_int(dcbor_get_u(a0, 2)), 12);
	cbor_decref(&a0);
	snprintf(b, sizeof b, "%s/artifacts/blob.bin", x.out);
	assert_int_equal(access(b, R_OK), 0);
	run_free(&x);
}

static void a_failing_step_is_recorded_with_its_error_and_the_run_aborts(void **state)
{
	(void)state;
	struct run x;
	struct err e = {.kind = ERR_NONE};
	char b[256];
	const char *script = HEAD STEP("bad", "t.fail")
				  STEP("never", "t.ok");
	if (run_ceremony(script, &x, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(x.status, TS_SEAL_ABORTED);
	read_back(&x);
	assert_int_equal(x.rep.verdict, TS_VALID_ABORTED);
	assert_int_equal(x.n_results, 2);
	const cbor_item_t *bad = x.results[1];
	assert_int_equal(cbor_get_int(dcbor_get_u(bad, 2)), TS_FAILED);
	const cbor_item_t *er = dcbor_get_u(bad, 9);
	assert_non_null(er);
	assert_string_equal(text_of(dcbor_get_u(er, 0), b, sizeof b), "token");
	assert_string_equal(text_of(dcbor_get_u(er, 1), b, sizeof b), "the token fell off the table");
	run_free(&x);
}

static void an_output_given_twice_is_a_failure_of_the_step(void **state)
{
	(void)state;
	struct run x;
	struct err e = {.kind = ERR_NONE};
	char b[256];
	const char *script = HEAD STEP("twice", "t.twice");
	if (run_ceremony(script, &x, &e))
		fail_msg("%s", e.msg);
	read_back(&x);
	const cbor_item_t *er = dcbor_get_u(x.results[1], 9);
	assert_non_null(er);
	assert_string_equal(text_of(dcbor_get_u(er, 0), b, sizeof b), "internal");
	assert_non_null(strstr(text_of(dcbor_get_u(er, 1), b, sizeof b), "produced output 'x' twice"));
	/* the first value stays, the second was refused */
	assert_int_equal(cbor_get_int(dcbor_get(dcbor_get_u(x.results[1], 3), "x")), 1);
	run_free(&x);
}

static void a_decision_to_halt_is_recorded_and_halts(void **state)
{
	(void)state;
	struct run x;
	struct err e = {.kind = ERR_NONE};
	char b[256];
	const char *script = HEAD STEP("stop", "t.decide")
				  STEP("never", "t.ok");
	if (run_ceremony(script, &x, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(x.status, TS_HALTED);
	read_back(&x);
	assert_int_equal(x.n_results, 2);
	const cbor_item_t *d = dcbor_get_u(x.results[1], 7);
	assert_non_null(d);
	assert_string_equal(text_of(dcbor_get_u(d, 0), b, sizeof b), "stop here?");
	assert_string_equal(text_of(dcbor_get_u(d, 1), b, sizeof b), "stop");
	assert_null(dcbor_get_u(d, 2));
	run_free(&x);
}

/* A decision marked only_on_fail is passed over in order and runs when the step
 * whose on_fail names it fails. */
static void an_only_on_fail_decision_runs_only_after_a_failure(void **state)
{
	(void)state;
	char b[256];
	for (int failing = 0; failing <= 1; failing++) {
		struct run x;
		struct err e = {.kind = ERR_NONE};
		char script[2048];
		snprintf(script, sizeof script,
			 HEAD "%s"
			      "    on_fail: {decision: what}\n"
			      "  - id: what\n"
			      "    type: decision\n"
			      "    title: what now\n"
			      "    question: go on?\n"
			      "    choices: {on: after, stop: halt}\n"
			      "    only_on_fail: true\n" STEP("after", "t.ok"),
			 failing ? STEP("step", "t.fail") : STEP("step", "t.ok"));
		if (run_ceremony(script, &x, &e))
			fail_msg("%s", e.msg);
		assert_int_equal(x.status, 0);
		read_back(&x);
		assert_int_equal(x.rep.verdict, TS_VALID);
		if (!failing) {
			assert_int_equal(x.n_results, 3);   /* people, step, after: the decision passed over */
			assert_string_equal(text_of(dcbor_get_u(x.results[2], 0), b, sizeof b), "after");
		} else {
			assert_int_equal(x.n_results, 4);   /* people, step (failed), what, after */
			assert_int_equal(cbor_get_int(dcbor_get_u(x.results[1], 2)), TS_FAILED);
			assert_string_equal(text_of(dcbor_get_u(x.results[2], 0), b, sizeof b), "what");
			assert_string_equal(text_of(dcbor_get_u(x.results[3], 0), b, sizeof b), "after");
		}
		run_free(&x);
	}
}

/* A sign-off refused with a reason: recorded (step-result 12) with who and why; the
 * step fails (and the ceremony aborts), or with on_refuse: deviation it is a
 * deviation with a note and the ceremony goes on. An empty reason is asked again. */
static void a_refusal_is_recorded_and_fails_or_deviates(void **state)
{
	(void)state;
	char b[512];
	for (int deviation = 0; deviation <= 1; deviation++) {
		struct run x;
		struct err e = {.kind = ERR_NONE};
		char script[2048];
		snprintf(script, sizeof script,
			 HEAD STEP("refused", "t.ok")
			      "    signoff: [witness]\n"
			      "%s"
			      STEP("after", "t.ok"),
			 deviation ? "    on_refuse: deviation\n" : "");
		if (run_ceremony(script, &x, &e))
			fail_msg("%s", e.msg);
		read_back(&x);
		const cbor_item_t *res = x.results[1];
		const cbor_item_t *refusals = dcbor_get_u(res, 12);
		assert_non_null(refusals);
		assert_int_equal(cbor_array_size(refusals), 1);
		cbor_item_t *f0 = cbor_array_get(refusals, 0);
		assert_string_equal(text_of(dcbor_get_u(f0, 0), b, sizeof b), "witness");
		assert_string_equal(text_of(dcbor_get_u(f0, 1), b, sizeof b), "Wanda");
		assert_string_equal(text_of(dcbor_get_u(f0, 2), b, sizeof b), "the seal is torn");
		cbor_decref(&f0);
		assert_null(dcbor_get_u(res, 5));   /* no sign-off */
		if (!deviation) {
			assert_int_equal(cbor_get_int(dcbor_get_u(res, 2)), TS_FAILED);
			assert_string_equal(text_of(dcbor_get_u(dcbor_get_u(res, 9), 0), b, sizeof b), "refused");
			assert_int_equal(x.status, TS_SEAL_ABORTED);
			assert_int_equal(x.n_results, 2);
			assert_int_equal(x.rep.verdict, TS_VALID_ABORTED);
		} else {
			assert_int_equal(cbor_get_int(dcbor_get_u(res, 2)), TS_DEVIATION);
			assert_non_null(strstr(text_of(dcbor_get_u(res, 8), b, sizeof b), "Wanda (witness) refused: the seal is torn"));
			assert_null(dcbor_get_u(res, 9));
			assert_int_equal(x.status, 0);
			assert_int_equal(x.n_results, 3);
			assert_int_equal(x.rep.verdict, TS_VALID);
		}
		run_free(&x);
	}
}

/* A whole ceremony (attendance, a sign-off, a split, an artifact) with each
 * allocation failing in turn: interp_run fails cleanly or seals; never a crash,
 * never a leak; a sealed transcript is VALID. This is what found the split's
 * holder list freed after the array that took it (a use after free). */
#if !defined(__SANITIZE_ADDRESS__)
static void every_allocation_failure_is_clean(void **state)
{
	(void)state;
	/* make memcheck: valgrind's allocator owns the heap, not the failing one */
	if (getenv("CER_UNDER_VALGRIND"))
		skip();
	const char *script = HEAD STEP("one", "t.ok")
				  "    signoff: [witness]\n"
				  STEP("split", "t.split")
				  STEP("blob", "t.artifact");
	/* Every n takes minutes (each run makes thousands of allocations): make check
	 * tries the first 200 and then every 101st; `make failalloc` tries every n. */
	unsigned long stride = getenv("FAILALLOC_STRIDE") ? strtoul(getenv("FAILALLOC_STRIDE"), NULL, 10) : 101;
	unsigned long from = getenv("FAILALLOC_FROM") ? strtoul(getenv("FAILALLOC_FROM"), NULL, 10) : 1;
	for (unsigned long n = from ? from : 1;; n += (stride && n > 200) ? stride : 1) {
		struct run x;
		struct err e = {.kind = ERR_NONE};
		struct failalloc_stats st;
		failalloc_start(n);
		int rc = run_ceremony(script, &x, &e);
		failalloc_stop(&st);
		ERR_clear_error();
		if (st.leaks) {
			char where[256], failed[256];
			failalloc_where(st.leak_caller, where, sizeof where);
			failalloc_where(st.failed_caller, failed, sizeof failed);
			/* When OpenSSL's own allocation fails inside OpenSSL (e.g. EVP_PKEY_Q_keygen),
			 * what OpenSSL keeps of its caches is OpenSSL's; a leak after our own
			 * allocation failed, or of anything not OpenSSL's, is ours. */
			if (!(strstr(failed, "libcrypto") && strstr(where, "libcrypto")))
				fail_msg("allocation %lu failing (in %s): %zu blocks leaked, the first from %s", n, failed,
					 st.leaks, where);
		}
		if (rc == 0) {
			read_back(&x);
			if (x.rep.verdict != TS_VALID && x.rep.verdict != TS_VALID_ABORTED)
				fail_msg("allocation %lu failing: the sealed transcript is not VALID (%s)", n, x.rep.reason);
		}
		run_free(&x);
		if (!st.injected)
			break;
	}
}
#endif

int main(void)
{
	/* OpenSSL's per-thread error state is made once, not in a window (failalloc.h). */
	ERR_clear_error();
	failalloc_state("ERR_add_error_vdata");
	failalloc_state("ERR_vset_error");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_passing_run_records_outputs_checks_signoffs_and_artifacts),
		cmocka_unit_test(a_failing_step_is_recorded_with_its_error_and_the_run_aborts),
		cmocka_unit_test(an_output_given_twice_is_a_failure_of_the_step),
		cmocka_unit_test(a_decision_to_halt_is_recorded_and_halts),
		cmocka_unit_test(a_refusal_is_recorded_and_fails_or_deviates),
		cmocka_unit_test(an_only_on_fail_decision_runs_only_after_a_failure),
#if !defined(__SANITIZE_ADDRESS__)
		/* the failing allocator and ASan's cannot both own the heap: make check runs it */
		cmocka_unit_test(every_allocation_failure_is_clean),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
