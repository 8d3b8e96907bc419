/* Unit tests for runner/script.c: the model of a valid script, and each kind of
 * script error with its exact position and message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "runner/script.h"
#include "runner/step.h"

/* Steps start on line 9. */
#define HEAD                                                                                                   \
	"ceremony: 1\n"                                                                                        \
	"title: Test ceremony\n"                                                                               \
	"roles:\n"                                                                                             \
	"  operator: {count: 1}\n"                                                                             \
	"  witness: {count: 2, description: watches}\n"                                                        \
	"tokens:\n"                                                                                            \
	"  root: {label: ROOT-CA}\n"                                                                           \
	"steps:\n"

static const char good[] =
	"# yaml-language-server: $schema=../schemas/ceremony.schema.json\n" /* 1 */
	"ceremony: 1\n"
	"title: Example root key generation\n"
	"description: A small test ceremony.\n"
	"separation: relaxed\n" /* 5 */
	"roles:\n"
	"  administrator: {count: 1, description: runs the ceremony}\n"
	"  operator: {count: 1}\n"
	"  witness: {count: 2}\n"
	"tokens:\n" /* 10 */
	"  root: {label: EXAMPLE-ROOT, description: the root HSM}\n"
	"  backup: {label: EXAMPLE-BACKUP}\n"
	"steps:\n"
	"  - id: attendance\n"
	"    type: attendance\n" /* 15 */
	"    say: Each participant states name and role.\n"
	"  - id: pre\n"
	"    type: checklist\n"
	"    items: [Room is sealed, Cameras are on]\n"
	"    performed_by: administrator\n" /* 20 */
	"  - id: info\n"
	"    type: token.info\n"
	"    token: root\n"
	"    mechanisms: true\n"
	"    expect: {manufacturer: SoftHSM project}\n" /* 25 */
	"  - id: root-key\n"
	"    type: key.generate\n"
	"    title: Generate the root key\n"
	"    token: root\n"
	"    algorithm: ec-p384\n" /* 30 */
	"    label: EXAMPLE-ROOT-2026\n"
	"    performed_by: operator\n"
	"    confirm: [operator, witness]\n"
	"    signoff: witness\n"
	"    expect: {key_type: EC, curve: P-384}\n" /* 35 */
	"    on_fail: {decision: what-now}\n"
	"  - id: fpr\n"
	"    type: fingerprint\n"
	"    of: root-key.public_key_pem\n"
	"    on_fail: retry\n" /* 40 */
	"    confirm: []\n"
	"  - id: what-now\n"
	"    type: decision\n"
	"    question: Go on?\n"
	"    choices: {again: root-key, stop: halt}\n" /* 45 */
	"  - id: seal\n"
	"    type: manual\n"
	"    say: Seal the HSM.\n"
	"    record:\n"
	"      seal_number: What is the seal number?\n" /* 50 */
	"      bag:\n"
	"    expect: {seal_number: \"123\"}\n"
	"    signoff: [administrator, witness]\n"
	"    on_fail: {retry: 5}\n"
	"    note: seal numbers are on the bag\n" /* 55 */
	"  - id: cp\n"
	"    type: checkpoint\n"
	"    label: end\n";

static int load(const char *text, struct ceremony **c, struct err *e)
{
	err_clear(e);
	return script_parse("s.yaml", (const uint8_t *)text, strlen(text), &step_registry, c, e);
}

/* The script must be refused with exactly msg. */
static void refused(const char *text, const char *msg)
{
	struct ceremony *c = (struct ceremony *)1;
	struct err e;
	assert_int_equal(load(text, &c, &e), -1);
	assert_null(c);
	assert_string_equal(e.msg, msg);
	assert_string_equal(e.code, "script");
}

/* The message starts with prefix (for lists that grow as step types are added). */
static void refused_prefix(const char *text, const char *prefix)
{
	struct ceremony *c = (struct ceremony *)1;
	struct err e;
	assert_int_equal(load(text, &c, &e), -1);
	assert_null(c);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", e.msg, prefix);
}

static void test_valid_model(void **state)
{
	struct ceremony *c = NULL;
	struct err e;
	const struct step *s;
	(void)state;

	assert_int_equal(load(good, &c, &e), 0);
	assert_non_null(c);
	assert_int_equal(c->doc->len, sizeof good - 1);
	assert_memory_equal(c->doc->bytes, good, sizeof good - 1);
	assert_string_equal(c->title, "Example root key generation");
	assert_string_equal(c->description, "A small test ceremony.");
	assert_false(c->separation_strict);

	assert_int_equal(c->n_roles, 3);
	assert_string_equal(c->roles[0].name, "administrator");
	assert_int_equal(c->roles[0].count, 1);
	assert_string_equal(c->roles[0].description, "runs the ceremony");
	assert_string_equal(c->roles[2].name, "witness");
	assert_int_equal(c->roles[2].count, 2);
	assert_null(c->roles[2].description);
	assert_int_equal(c->roles[2].node->line, 9);
	assert_ptr_equal(script_role(c, "operator"), &c->roles[1]);
	assert_null(script_role(c, "auditor"));

	assert_int_equal(c->n_tokens, 2);
	assert_string_equal(c->tokens[0].name, "root");
	assert_string_equal(c->tokens[0].label, "EXAMPLE-ROOT");
	assert_string_equal(c->tokens[0].description, "the root HSM");
	assert_string_equal(script_token(c, "backup")->label, "EXAMPLE-BACKUP");
	assert_null(script_token(c, "spare"));

	assert_int_equal(c->n_steps, 8);
	s = script_step(c, "attendance");
	assert_ptr_equal(s, &c->steps[0]);
	assert_int_equal(s->index, 0);
	assert_string_equal(s->type->name, "attendance");
	assert_string_equal(s->title, "attendance"); /* defaults to the id */
	assert_string_equal(s->say, "Each participant states name and role.");
	assert_null(s->performed_by);
	assert_int_equal(s->n_confirm, 0);
	assert_int_equal(s->n_signoff, 0);
	assert_int_equal(s->on_fail, ON_FAIL_HALT);
	assert_null(s->token);
	assert_null(s->expect);

	/* confirm defaults to performed_by */
	s = script_step(c, "pre");
	assert_string_equal(s->performed_by, "administrator");
	assert_int_equal(s->n_confirm, 1);
	assert_string_equal(s->confirm[0], "administrator");

	s = script_step(c, "info");
	assert_string_equal(s->token, "root");
	assert_non_null(s->expect);
	assert_string_equal(ynode_get(s->expect, "manufacturer")->str, "SoftHSM project");

	s = script_step(c, "root-key");
	assert_int_equal(s->index, 3);
	assert_string_equal(s->title, "Generate the root key");
	assert_string_equal(s->token, "root");
	assert_true(s->type->flags & STEP_USES_TOKEN);
	assert_int_equal(s->n_confirm, 2);
	assert_string_equal(s->confirm[0], "operator");
	assert_string_equal(s->confirm[1], "witness");
	assert_int_equal(s->n_signoff, 1);
	assert_string_equal(s->signoff[0], "witness");
	assert_int_equal(s->on_fail, ON_FAIL_DECISION);
	assert_string_equal(s->on_fail_decision, "what-now");
	assert_int_equal(s->node->line, 26);
	assert_int_equal(s->node->col, 5);
	assert_string_equal(ynode_get(s->node, "algorithm")->str, "ec-p384");

	s = script_step(c, "fpr");
	assert_int_equal(s->on_fail, ON_FAIL_RETRY);
	assert_int_equal(s->retries, 3);
	assert_int_equal(s->n_confirm, 0); /* an explicit empty list */

	s = script_step(c, "seal");
	assert_int_equal(s->n_record, 2);
	assert_string_equal(s->record[0].name, "seal_number");
	assert_string_equal(s->record[0].prompt, "What is the seal number?");
	assert_string_equal(s->record[1].name, "bag");
	assert_string_equal(s->record[1].prompt, "bag");
	assert_string_equal(ynode_get(s->expect, "seal_number")->str, "123");
	assert_int_equal(s->n_signoff, 2);
	assert_string_equal(s->signoff[0], "administrator");
	assert_int_equal(s->on_fail, ON_FAIL_RETRY);
	assert_int_equal(s->retries, 5);

	assert_string_equal(script_step(c, "cp")->type->name, "checkpoint");
	assert_null(script_step(c, "halt"));
	assert_null(script_step(c, "nope"));
	script_free(c);
	script_free(NULL);
}

static void test_defaults(void **state)
{
	struct ceremony *c = NULL;
	struct err e;
	(void)state;
	assert_int_equal(load("ceremony: 1\ntitle: T\nroles: {operator: {count: 1}}\nsteps:\n  - {id: a, type: manual}\n",
			      &c, &e), 0);
	assert_true(c->separation_strict);
	assert_null(c->description);
	assert_int_equal(c->n_tokens, 0);
	assert_null(c->tokens);
	assert_int_equal(c->n_steps, 1);
	assert_int_equal(c->steps[0].on_fail, ON_FAIL_HALT);
	assert_int_equal(c->steps[0].n_record, 0);
	script_free(c);
}

static void test_unknown_keys(void **state)
{
	(void)state;
	refused(HEAD "  - id: a\n    type: manual\n    sya: hi\n",
		"s.yaml:11:5: unknown key 'sya' in step 'a' (did you mean 'say'?)");
	refused(HEAD "  - id: a\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    lable: K\n",
		"s.yaml:13:5: unknown key 'lable' in step 'a' (did you mean 'label'?)");
	/* `token` only where the type works on one */
	refused_prefix(HEAD "  - id: a\n    type: manual\n    token: root\n",
		       "s.yaml:11:5: unknown key 'token' in step 'a'; expected one of: id, type, title, say, ");
	refused("ceremony: 1\ntitel: T\n", "s.yaml:2:1: unknown key 'titel' in the script (did you mean 'title'?)");
	refused("ceremony: 1\nzzz: T\n", "s.yaml:2:1: unknown key 'zzz' in the script; expected one of: ceremony, title, "
					 "description, separation, roles, tokens, audit, steps");
	refused("ceremony: 1\ntitle: T\nroles:\n  operator: {count: 1, cuont: 2}\n",
		"s.yaml:4:24: unknown key 'cuont' in role 'operator' (did you mean 'count'?)");
	refused("ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\ntokens:\n  root: {lable: X}\n",
		"s.yaml:5:10: unknown key 'lable' in token 'root' (did you mean 'label'?)");
}

static void test_unknown_type(void **state)
{
	(void)state;
	refused(HEAD "  - id: a\n    type: key.generte\n",
		"s.yaml:10:11: unknown step type 'key.generte' in step 'a' (did you mean 'key.generate'?)");
	refused_prefix(HEAD "  - id: a\n    type: bogus\n",
		       "s.yaml:10:11: unknown step type 'bogus' in step 'a'; expected one of: manual, checklist, ");
	refused(HEAD "  - id: a\n    type: [manual]\n",
		"s.yaml:10:11: expected text for 'type' of step 'a', found a list");
}

static void test_duplicate_id(void **state)
{
	(void)state;
	refused(HEAD "  - id: a\n    type: manual\n  - id: b\n    type: manual\n  - id: a\n    type: manual\n",
		"s.yaml:13:9: duplicate step id 'a' (first used at line 9, column 9): expected each step id once");
}

static void test_names(void **state)
{
	(void)state;
	refused(HEAD "  - id: Bad\n    type: manual\n",
		"s.yaml:9:9: expected a step id for 'id' (a lower-case letter, then up to 62 lower-case letters, digits, "
		"'_' or '-'), found 'Bad'");
	refused(HEAD "  - id: halt\n    type: manual\n",
		"s.yaml:9:9: step id 'halt' is reserved (a decision choice 'halt' stops the ceremony); expected another id");
	refused(HEAD "  - id: a.b\n    type: manual\n",
		"s.yaml:9:9: expected a step id for 'id' (a lower-case letter, then up to 62 lower-case letters, digits, "
		"'_' or '-'), found 'a.b'");
	refused(HEAD "  - id: a234567890123456789012345678901234567890123456789012345678901234\n    type: manual\n",
		"s.yaml:9:9: expected a step id for 'id' (a lower-case letter, then up to 62 lower-case letters, digits, "
		"'_' or '-'), found 'a234567890123456789012345678901234567890123456789012345678901234'");
	refused("ceremony: 1\ntitle: T\nroles:\n  Operator: {count: 1}\n",
		"s.yaml:4:3: expected a role name for a role in 'roles' (a lower-case letter, then up to 62 lower-case "
		"letters, digits, '_' or '-'), found 'Operator'");
	refused(HEAD "  - id: a\n    type: manual\n    record: {Seal: x}\n",
		"s.yaml:11:14: expected a record field name for 'record' of step 'a' (a lower-case letter, then up to 62 "
		"lower-case letters, digits, '_' or '-'), found 'Seal'");
}

static void test_references(void **state)
{
	(void)state;
	/* A later step */
	refused(HEAD "  - id: f\n    type: fingerprint\n    of: k\n"
		     "  - id: k\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    label: K\n",
		"s.yaml:11:9: reference 'k' of step 'f' names step 'k', which comes later (step 2 of 2); expected an "
		"earlier step");
	/* An unknown step, with and without a near id */
	refused(HEAD "  - id: f\n    type: fingerprint\n    of: nope\n",
		"s.yaml:11:9: unknown step in reference 'nope' of step 'f'; expected the id of an earlier step");
	refused(HEAD "  - id: root-key\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    label: K\n"
		     "  - id: f\n    type: fingerprint\n    of: root-kye.public_key\n",
		"s.yaml:16:9: unknown step in reference 'root-kye.public_key' of step 'f' (did you mean 'root-key'?)");
	/* An unknown artifact */
	refused(HEAD "  - id: k\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    label: K\n"
		     "  - id: f\n    type: fingerprint\n    of: k.public_ky\n",
		"s.yaml:16:9: reference 'k.public_ky' of step 'f': step 'k' has no such artifact (did you mean "
		"'k.public_key'?)");
	refused(HEAD "  - id: k\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    label: K\n"
		     "  - id: f\n    type: fingerprint\n    of: k.certificate\n",
		"s.yaml:16:9: reference 'k.certificate' of step 'f': step 'k' has no such artifact; it produces: "
		"public_key, public_key_pem");
	/* A step that makes no artifact */
	refused(HEAD "  - id: m\n    type: manual\n  - id: f\n    type: fingerprint\n    of: m\n",
		"s.yaml:13:9: reference 'm' of step 'f': step 'm' (type 'manual') produces no artifact; expected a "
		"step that does");
	/* Itself */
	refused(HEAD "  - id: f\n    type: fingerprint\n    of: f\n",
		"s.yaml:11:9: step 'f' refers to itself in 'f'; expected an earlier step");
}

static void test_script_ref_direct(void **state)
{
	struct ceremony *c = NULL;
	struct err e;
	const struct step *t = NULL;
	const char *art = NULL;
	const struct step *s;
	(void)state;

	assert_int_equal(load(HEAD "  - id: k\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n"
				   "    label: K\n"
				   "  - id: m\n    type: manual\n    note: k\n"
				   "  - id: n\n    type: manual\n    note: k.public_key_pem\n"
				   "  - id: o\n    type: manual\n",
			      &c, &e), 0);
	s = script_step(c, "m");
	assert_int_equal(script_ref(c, s, ynode_get(s->node, "note"), &t, &art, &e), 0);
	assert_ptr_equal(t, script_step(c, "k"));
	assert_string_equal(art, "public_key"); /* the first artifact */
	s = script_step(c, "n");
	assert_int_equal(script_ref(c, s, ynode_get(s->node, "note"), &t, &art, &e), 0);
	assert_string_equal(art, "public_key_pem");
	s = script_step(c, "o");
	assert_int_equal(script_ref(c, s, s->node, &t, &art, &e), -1);
	assert_string_equal(e.msg, "s.yaml:20:5: expected a reference to an earlier step ('STEP' or 'STEP.ARTIFACT', or "
				   "{file: PATH}) in step 'o', found a map without just 'file'");
	assert_int_equal(script_ref(c, s, NULL, &t, &art, &e), -1);
	assert_string_equal(e.msg, "s.yaml:20:5: expected a reference to an earlier step ('STEP' or 'STEP.ARTIFACT', or "
				   "{file: PATH}) in step 'o', found nothing");
	/* Only earlier steps: k cannot refer to itself. */
	s = script_step(c, "k");
	assert_int_equal(script_ref(c, s, ynode_get(script_step(c, "n")->node, "note"), NULL, NULL, &e), -1);
	assert_string_equal(e.msg, "s.yaml:19:11: step 'k' refers to itself in 'k.public_key_pem'; expected an earlier "
				   "step");
	assert_int_equal(script_err(c, s->node, &e, "custom %d", 7), -1);
	assert_string_equal(e.msg, "s.yaml:9:5: custom 7");
	script_free(c);
}

static void test_roles(void **state)
{
	(void)state;
	refused(HEAD "  - id: a\n    type: manual\n    performed_by: operater\n",
		"s.yaml:11:19: undeclared role 'operater' in 'performed_by' of step 'a' (did you mean 'operator'?)");
	refused(HEAD "  - id: a\n    type: manual\n    signoff: [witness, auditor]\n",
		"s.yaml:11:24: undeclared role 'auditor' in 'signoff' of step 'a'; expected a role declared in 'roles': "
		"operator, witness");
	refused(HEAD "  - id: a\n    type: manual\n    confirm: nobody\n",
		"s.yaml:11:14: undeclared role 'nobody' in 'confirm' of step 'a'; expected a role declared in 'roles': "
		"operator, witness");
	refused(HEAD "  - id: a\n    type: manual\n    signoff: [witness, witness]\n",
		"s.yaml:11:24: role 'witness' is listed twice in 'signoff' of step 'a'; expected each role once");
	refused(HEAD "  - id: a\n    type: manual\n    signoff: {witness: 1}\n",
		"s.yaml:11:14: expected a role or a list of roles for 'signoff' of step 'a', found a map");
}

static void test_on_fail(void **state)
{
	(void)state;
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: retyr\n",
		"s.yaml:11:14: expected halt, retry, {retry: N} or {decision: STEP} for 'on_fail' of step 'a', found "
		"'retyr'");
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: {retry: 11}\n",
		"s.yaml:11:22: expected a whole number from 1 to 10 for 'on_fail: {retry}' of step 'a', found '11'");
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: {retry: 0}\n",
		"s.yaml:11:22: expected a whole number from 1 to 10 for 'on_fail: {retry}' of step 'a', found '0'");
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: {decision: a}\n",
		"s.yaml:11:25: expected a decision step for 'on_fail: {decision}' of step 'a', found step 'a' of type "
		"'manual'");
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: {decision: nope}\n",
		"s.yaml:11:25: unknown step 'nope' in 'on_fail: {decision}' of step 'a'; expected the id of a decision "
		"step");
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: {decison: d}\n",
		"s.yaml:11:15: unknown key 'decison' in 'on_fail' of step 'a' (did you mean 'decision'?)");
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: {retry: 2, decision: d}\n",
		"s.yaml:11:14: expected halt, retry, {retry: N} or {decision: STEP} for 'on_fail' of step 'a', found "
		"a map");
	refused(HEAD "  - id: a\n    type: manual\n    on_fail: [halt]\n",
		"s.yaml:11:14: expected halt, retry, {retry: N} or {decision: STEP} for 'on_fail' of step 'a', found "
		"a list");
}

static void test_version(void **state)
{
	(void)state;
	refused("ceremony: 2\ntitle: T\n",
		"s.yaml:1:11: unknown format version 2: this runner reads version 1 only ('ceremony: 1')");
	refused("ceremony: one\ntitle: T\n",
		"s.yaml:1:11: expected the format version 1 for 'ceremony', found 'one'");
	refused("title: T\n", "s.yaml:1:1: missing required key 'ceremony' (the format version) in the script; expected "
			      "'ceremony: 1' first");
}

static void test_ranges(void **state)
{
	(void)state;
	refused("ceremony: 1\ntitle: T\nroles:\n  witness: {count: 99999999999999999999999}\n",
		"s.yaml:4:20: expected a whole number from 1 to 100 for 'count' of role 'witness', found "
		"'99999999999999999999999'");
	refused("ceremony: 1\ntitle: T\nroles:\n  witness: {count: 0}\n",
		"s.yaml:4:20: expected a whole number from 1 to 100 for 'count' of role 'witness', found '0'");
	refused("ceremony: 1\ntitle: T\nroles:\n  witness: {count: 101}\n",
		"s.yaml:4:20: expected a whole number from 1 to 100 for 'count' of role 'witness', found '101'");
	refused("ceremony: 1\ntitle: T\nroles:\n  witness: {count: -1}\n",
		"s.yaml:4:20: expected a whole number from 1 to 100 for 'count' of role 'witness', found '-1'");
	refused("ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\ntokens:\n  root: {label: 123456789012345678901234567890123}\n",
		"s.yaml:5:17: expected a token label of 1 to 32 bytes for 'label' of token 'root', found "
		"'123456789012345678901234567890123' (33 bytes)");
	refused("ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\ntokens:\n  root: {label: \"\"}\n",
		"s.yaml:5:17: expected a token label of 1 to 32 bytes for 'label' of token 'root', found the quoted "
		"text '' (0 bytes)");
	refused("ceremony: 1\ntitle: T\nseparation: loose\n",
		"s.yaml:3:13: expected strict or relaxed for 'separation', found 'loose'");
}

static void test_missing(void **state)
{
	(void)state;
	refused("ceremony: 1\nroles: {a: {count: 1}}\n", "s.yaml:1:1: missing required key 'title' in the script");
	refused("ceremony: 1\ntitle: T\nsteps: []\n", "s.yaml:1:1: missing required key 'roles' in the script");
	refused("ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\n", "s.yaml:1:1: missing required key 'steps' in the script");
	refused("ceremony: 1\ntitle:\n", "s.yaml:2:7: expected text for 'title' of the script, found nothing");
	refused("ceremony: 1\ntitle: T\nroles:\n  a: {description: x}\n",
		"s.yaml:4:6: missing required key 'count' in role 'a'");
	refused("ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\ntokens:\n  root: {description: x}\n",
		"s.yaml:5:9: missing required key 'label' in token 'root'");
	refused(HEAD "  - type: manual\n", "s.yaml:9:5: missing required key 'id' in step 1");
	refused(HEAD "  - id: a\n    say: hi\n", "s.yaml:9:5: missing required key 'type' in step 'a'");
	refused(HEAD "  - id: a\n    type: key.generate\n    algorithm: ec-p256\n    label: K\n",
		"s.yaml:9:5: missing required key 'token' in step 'a' (a 'key.generate' step works on a token declared "
		"in 'tokens')");
	refused(HEAD "  - id: a\n    type: token.info\n    token: rooot\n",
		"s.yaml:11:12: undeclared token 'rooot' in 'token' of step 'a' (did you mean 'root'?)");
	refused("ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\nsteps:\n  - {id: i, type: token.info, token: root}\n",
		"s.yaml:5:38: undeclared token 'root' in 'token' of step 'i'; the script declares no 'tokens'");
}

static void test_shapes(void **state)
{
	(void)state;
	refused("- a\n- b\n", "s.yaml:1:1: expected a map with the keys ceremony, title, roles and steps at the top of the "
			      "script, found a list");
	refused("just text\n", "s.yaml:1:1: expected a map with the keys ceremony, title, roles and steps at the top of "
			       "the script, found 'just text'");
	refused(HEAD "  a: b\n", "s.yaml:9:3: expected a list for 'steps', found a map");
	refused("ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\nsteps: []\n",
		"s.yaml:4:8: expected at least one step in 'steps', found none");
	refused("ceremony: 1\ntitle: T\nroles: {}\n", "s.yaml:3:8: expected at least one role in 'roles', found none");
	refused(HEAD "  - manual\n", "s.yaml:9:5: expected a map for step 1, found 'manual'");
	refused(HEAD "  - id: a\n    type: manual\n    expect: [x]\n",
		"s.yaml:11:13: expected a map for 'expect' of step 'a', found a list");
}

static void test_expect(void **state)
{
	(void)state;
	refused(HEAD "  - id: k\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    label: K\n"
		     "    expect: {kye_type: EC}\n",
		"s.yaml:14:14: unknown output 'kye_type' in 'expect' of step 'k' (did you mean 'key_type'?)");
	refused_prefix(HEAD "  - id: k\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    label: K\n"
			    "    expect: {colour: red}\n",
		       "s.yaml:14:14: unknown output 'colour' in 'expect' of step 'k'; a 'key.generate' step has: key_type, ");
	refused(HEAD "  - id: k\n    type: key.generate\n    token: root\n    algorithm: ec-p256\n    label: K\n"
		     "    expect: {curve: [P-256]}\n",
		"s.yaml:14:21: expected a value for 'curve' in 'expect' of step 'k', found a list");
}

static void test_too_many_steps(void **state)
{
	size_t cap = 64 * 1024, used, i;
	char *text = malloc(cap);
	(void)state;
	assert_non_null(text);
	used = (size_t)snprintf(text, cap, "%s", HEAD);
	for (i = 0; i < 1001; i++)
		used += (size_t)snprintf(text + used, cap - used, "  - {id: s%zu, type: manual}\n", i);
	assert_true(used < cap);
	refused(text, "s.yaml:1009:5: too many steps: expected at most 1000, found 1001");
	free(text);
}

static void test_too_many_roles_tokens_fields(void **state)
{
	size_t cap = 64 * 1024, used, i;
	char *text = malloc(cap);
	(void)state;
	assert_non_null(text);
	used = (size_t)snprintf(text, cap, "ceremony: 1\ntitle: T\nroles:\n");
	for (i = 0; i < 101; i++)
		used += (size_t)snprintf(text + used, cap - used, "  r%zu: {count: 1}\n", i);
	refused(text, "s.yaml:104:3: too many roles: expected at most 100, found 101");

	used = (size_t)snprintf(text, cap, "ceremony: 1\ntitle: T\nroles: {a: {count: 1}}\ntokens:\n");
	for (i = 0; i < 101; i++)
		used += (size_t)snprintf(text + used, cap - used, "  t%zu: {label: T}\n", i);
	refused(text, "s.yaml:105:3: too many tokens: expected at most 100, found 101");

	used = (size_t)snprintf(text, cap, "%s  - id: a\n    type: manual\n    record:\n", HEAD);
	for (i = 0; i < 101; i++)
		used += (size_t)snprintf(text + used, cap - used, "      f%zu:\n", i);
	assert_true(used < cap);
	refused(text, "s.yaml:112:7: too many record fields in step 'a': expected at most 100, found 101");
	free(text);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/test_script.XXXXXX", path[256], msg[512];
	struct ceremony *c = NULL;
	struct err e;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/good.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(good, f);
	fclose(f);
	assert_int_equal(script_load(path, &step_registry, &c, &e), 0);
	assert_int_equal(c->n_steps, 8);
	assert_string_equal(c->doc->name, path);
	assert_memory_equal(c->doc->bytes, good, sizeof good - 1);
	script_free(c);
	assert_int_equal(script_load(dir, &step_registry, &c, &e), -1);
	assert_null(c);
	snprintf(msg, sizeof msg, "%s: expected a regular file holding a ceremony script, found a directory", dir);
	assert_string_equal(e.msg, msg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_model),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_duplicate_id),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_script_ref_direct),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_on_fail),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_too_many_steps),
		cmocka_unit_test(test_too_many_roles_tokens_fields),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
