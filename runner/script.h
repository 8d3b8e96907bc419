/* script: loads a ceremony script (YAML) into the ceremony model and validates
 * everything before any token is touched or file written (SCRIPT.md).
 *
 * Top level (schemas/ceremony.schema.json says exactly the same):
 *   ceremony: 1                 format version (only 1)
 *   title: text
 *   description: text           optional
 *   separation: strict|relaxed  optional, default strict
 *   roles:   { NAME: {count: N, description: text} }
 *   tokens:  { NAME: {label: text, description: text, activation: {quorum: M, of: ROLE}} }
 *   audit:   {token: NAME, role: ROLE}   optional: the audit key in that token, not memory
 *   steps:   [ step... ]
 * Common step keys (the loader reads them; a step type reads the rest):
 *   id, type, title, say, performed_by, confirm (roles that confirm the Actual),
 *   signoff (roles), expect {output: value}, record {name: text}, on_fail
 *   (halt | retry | {retry: N} | {decision: STEP}), note
 * Every error is "FILE:LINE:COL: what was expected, what was found" with code
 * "script"; the model is only returned when the whole script is valid.
 */
#ifndef CER_SCRIPT_H
#define CER_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "err.h"
#include "ynode.h"
#include <cbor.h>

struct step_type;
struct step_table;
struct ts_report;
struct ts_anchor;

#define SCRIPT_VERSION 1
/* The step id of the questions asked before the first step (answers files use it). */
#define SCRIPT_GENESIS "genesis"
/* The questions of `ceremony resume` (its sign-offs, what to do with an interrupted
 * step's leftovers) are asked under this step id; no step may take it. */
#define SCRIPT_RESUME "resume"

struct role {
	const char *name;
	unsigned count;            /* how many people must attend in this role */
	const char *description;   /* may be NULL */
	const struct ynode *node;
};

struct token_decl {
	const char *name;          /* the script's name for it, e.g. "root" */
	const char *label;         /* CKA_LABEL of the token, <= 32 bytes */
	const char *description;
	const struct ynode *node;
	/* `activation: {quorum: M, of: ROLE}`: logging in needs M shares of custodians
	 * present in ROLE (token.init splits the PIN, token.activate rebuilds it). */
	unsigned quorum;           /* 0 when the token has no activation quorum */
	const char *quorum_role;
	const struct ynode *activation;
};

enum on_fail_kind { ON_FAIL_HALT, ON_FAIL_RETRY, ON_FAIL_DECISION };

struct record_field {
	const char *name;          /* output key the typed value is stored under */
	const char *prompt;        /* question shown; defaults to the name */
	bool optional;             /* {question: Q, optional: true}: an empty answer is recorded */
};

struct step {
	const char *id;
	size_t index;              /* position in the script, from 0 */
	const struct step_type *type;
	const char *title;         /* defaults to the id */
	const char *say;           /* read aloud; may be NULL */
	const char *performed_by;  /* role, may be NULL */
	const char **confirm;      /* roles that confirm Actual, n_confirm of them */
	size_t n_confirm;
	const char **signoff;      /* roles that sign off */
	size_t n_signoff;
	const struct ynode *expect;   /* map output-name -> scalar, or NULL */
	struct record_field *record;
	size_t n_record;
	enum on_fail_kind on_fail;
	unsigned retries;          /* ON_FAIL_RETRY: how many more attempts */
	const char *on_fail_decision; /* ON_FAIL_DECISION: id of a decision step */
	bool refusal_is_deviation;    /* on_refuse: deviation (a refusal is recorded, the ceremony goes on) */
	bool only_on_fail;            /* reached only by on_fail or a choice naming it: skipped in order */
	const char *token;         /* `token:` key when the type uses one, else NULL */
	const struct ynode *node;  /* the whole step map: types read their own keys from it */
	void *priv;                /* what the type's validate parsed; freed with free() */
};

/* A file the script names where it names an artifact (`{file: PATH}`: a certificate,
 * CSR, CRL or public key, e.g. from the USB drive): read once, when the script is
 * loaded, and checked to parse. It stands in a reference as a step of its own
 * (step.id "file:PATH", step.type one of four kinds, its one artifact `kind`), so
 * the steps that take an earlier step's artifact take it the same way. Genesis
 * records name, SHA-256 and size (TRANSCRIPT.md genesis 9). */
struct script_input {
	const char *name;          /* PATH as the script writes it */
	char *path;                /* where it was read: relative to the script's folder */
	const char *kind;          /* its artifact: "certificate", "csr", "crl" or "public_key" */
	uint8_t *data;             /* its DER (a PEM file is decoded): what steps use and embed */
	size_t len;
	uint8_t sha256[32];        /* of the file's bytes as read, for genesis */
	size_t file_len;
	struct step step;          /* stands for it in references (index: SIZE_MAX) */
	char id[8 + 4096];
	/* An artifact an imported transcript recorded (id "IMPORT.STEP"): not a file of
	 * its own (genesis has the transcript's hash), data NULL when the import did
	 * not verify (the run halts at the import before any step could use it). */
	const struct script_import *imported;
};
struct script_inputs {
	struct script_input **v;
	size_t n;
};
/* Where a script's input files come from when they are not simply read from the
 * script's folder (a resume loads the transcript's embedded script and takes the
 * bytes genesis recorded; a rehearsal `--after DIR` looks in DIR first):
 * read(ctx, name, path, max, ...) gives the bytes for name (path: where the script's
 * folder has it), at most max, or fails saying why. */
struct script_input_source {
	int (*read)(void *ctx, const char *name, const char *path, size_t max, uint8_t **data, size_t *len,
		    struct err *e);
	void *ctx;
};

/* An earlier ceremony's transcript a transcript.import step names (`transcript:
 * {file: PATH}`), read once when the script loads and verified then with the
 * step's `anchor`s and `kid`s (TRANSCRIPT.md): genesis records it in `inputs` and,
 * for the last import of the script, its head under `continues`. Its recorded
 * values are references: "IMPORT.STEP[.ARTIFACT]" an artifact of step STEP of that
 * transcript, "IMPORT.STEP.OUTPUT" (expect: {NAME: {same_as: ...}}) an output. Only
 * a transcript that verified VALID and completed gives values; any other halts the
 * ceremony at its import step (the references are then checked by form only). */
struct script_import {
	const struct step *step;   /* the transcript.import step */
	const char *name;          /* PATH as the script writes it */
	char *path;
	uint8_t *data;             /* the file's bytes */
	size_t len;
	uint8_t sha256[32];
	struct ts_anchor *anchors; /* the step's `anchor`s (transcript.h) */
	size_t n_anchors;
	uint8_t (*kids)[32];       /* its `kid`s */
	size_t n_kids;
	struct ts_report *report;  /* ts_verify's verdict with those anchors and kids */
	bool usable;               /* VALID and completed */
	bool has_continues;        /* its genesis 7 */
	uint8_t continues[32];
	/* Its step-results, the last that passed (or was accepted as a deviation) of each
	 * step id, and its genesis: borrowed CBOR bodies (owned here). */
	struct script_import_result {
		char *id;
		cbor_item_t *body;    /* the step-result */
		cbor_item_t *begin;   /* its step-begin (type at 2, params at 3) */
	} *results;
	size_t n_results;
	cbor_item_t *genesis;
	cbor_item_t *last_begin;   /* while reading: the step-begin a result will name */
	uint64_t last_begin_seq;
};
struct script_imports {
	struct script_import **v;
	size_t n;
};

struct ceremony {
	struct ydoc *doc;          /* owns every string above */
	struct script_inputs *inputs;   /* the files it names, in the order first named */
	struct script_imports *imports; /* the transcripts its transcript.import steps name */
	const struct script_input_source *source;   /* borrowed while loading; NULL: the files */
	const struct step_table *types;   /* what the steps were validated against (borrowed) */
	const char *title;
	const char *description;
	bool separation_strict;
	struct role *roles;
	size_t n_roles;
	struct token_decl *tokens;
	size_t n_tokens;
	struct step *steps;
	size_t n_steps;
	/* `audit`: the token the audit key is made in (NULL: memory) and the role that
	 * types its PIN in a live run (may be NULL) */
	const char *audit_token, *audit_role;
	const struct ynode *audit_node;
};

/* The keys every step may have (the loader reads them; a type reads the rest). */
extern const char *const script_common_keys[];

/* Loads and validates path. On failure *out is NULL and e says where and why. */
/* Loads a script, validating each step against the type of that name in types (the
 * commands pass step_registry, runner/step.h); types must outlive the model. */
int script_load(const char *path, const struct step_table *types, struct ceremony **out, struct err *e) CER_MUST_CHECK;
int script_parse(const char *name, const uint8_t *data, size_t len, const struct step_table *types,
		 struct ceremony **out, struct err *e) CER_MUST_CHECK;
/* script_parse whose input files come from source (borrowed for the call). */
int script_parse_from(const char *name, const uint8_t *data, size_t len, const struct step_table *types,
		      const struct script_input_source *source, struct ceremony **out, struct err *e) CER_MUST_CHECK;
/* script_load whose input files come from source (borrowed for the call; NULL: the files). */
int script_load_from(const char *path, const struct step_table *types, const struct script_input_source *source,
		     struct ceremony **out, struct err *e) CER_MUST_CHECK;
void script_free(struct ceremony *c);   /* NULL is a no-op */
/* A reference written {file: PATH} (script_ref calls it for a map): the input, read,
 * parsed and kept once however often it is named. runner/script_input.c. */
int script_input_ref(const struct ceremony *c, const struct step *from, const struct ynode *n,
		     const struct step **target, const char **artifact, struct err *e) CER_MUST_CHECK;
/* Where a relative input file name is, for the script's reader: its folder. */
char *script_path_of(const struct ceremony *c, const char *name);
/* An input standing for what import imp recorded (id "IMPORT.STEP", kind one of
 * "certificate", "csr", "crl", "public_key"; der NULL when imp did not verify),
 * made once for each id and kind. */
int script_input_imported(const struct ceremony *c, const struct script_import *imp, const char *id, const char *kind,
			  const uint8_t *der, size_t len, const struct ynode *n, const struct step **target,
			  struct err *e) CER_MUST_CHECK;
/* A file a step reads as bytes (a wrapped key an earlier ceremony wrote), named
 * name relative to the script's folder (rehearse --after: DIR first), read once
 * when the script loads and recorded in genesis inputs like the others; n is where
 * the script names it, for errors. */
int script_input_raw(const struct ceremony *c, const struct step *from, const struct ynode *n, const char *name,
		     const struct script_input **out, struct err *e) CER_MUST_CHECK;
/* Whether step t stands for an input file (then it is one of c->inputs). */
bool script_is_input(const struct step *t);
/* The input step t stands for, or NULL when t is a step of the script. */
const struct script_input *script_input_of(const struct step *t);
void script_inputs_free(struct script_inputs *in);

/* --- transcript imports (runner/script_import.c) --- */
/* For a transcript.import step's validate: reads and verifies the file at fnode
 * ({file: PATH}) with the anchors ("SEQ:HEAD", hex or PGP words) and kids (hex or
 * PGP words) at anchors and kids (a string or a list; either may be NULL). A file
 * that cannot be read is an error here; one that does not verify is not (the run
 * halts at the step, and the transcript says why). */
int script_import_load(const struct ceremony *c, const struct step *s, const struct ynode *fnode,
		       const struct ynode *anchors, const struct ynode *kids, struct err *e) CER_MUST_CHECK;
/* The import step s read, or NULL. */
const struct script_import *script_import_of(const struct ceremony *c, const struct step *s);
/* The import genesis names under `continues` (the script's last), or NULL. */
const struct script_import *script_import_continued(const struct ceremony *c);
/* A reference "IMPORT.REST" (text, at n, in step from) to what import step imp
 * recorded: REST "STEP" or "STEP.ARTIFACT" (a certificate, CSR, CRL or public
 * key, DER). *target is an input standing for it (script_input_of). */
int script_import_ref(const struct ceremony *c, const struct step *from, const struct ynode *n,
		      const struct step *imp, const char *rest, const struct step **target, const char **artifact,
		      struct err *e) CER_MUST_CHECK;
/* Checks `{same_as: "IMPORT.STEP.OUTPUT"}` at n (an `expect` value of step from). */
int script_import_check_value(const struct ceremony *c, const struct step *from, const struct ynode *n,
			      struct err *e) CER_MUST_CHECK;
/* What the import step named by the text before ref's first dot recorded for the
 * step named after it ("IMPORT.STEP"): its result and step-begin (borrowed), or NULL
 * (unknown, or the import did not verify). *m gets the import when it is one. */
const struct script_import_result *script_import_result(const struct ceremony *c, const char *ref,
							const struct script_import **m);
/* The value "IMPORT.STEP.OUTPUT" names (borrowed), or NULL: unknown, or the
 * import did not verify. */
const cbor_item_t *script_import_value(const struct ceremony *c, const char *ref);
/* The reference an expect value n holds (`{same_as: REF}`), or NULL for a literal. */
const char *script_expect_ref(const struct ynode *n);
void script_imports_free(struct script_imports *im);

const struct step *script_step(const struct ceremony *c, const char *id);
const struct role *script_role(const struct ceremony *c, const char *name);
const struct token_decl *script_token(const struct ceremony *c, const char *name);
/* Whether the first step that uses token `name` initialises it (token.init): then
 * the token is blank before the run, in a live run's binding as in a rehearsal. */
bool script_token_initialised_by_run(const struct ceremony *c, const char *name);
/* The role that acts in step s: its performed_by, else the administrator, else the
 * first role. */
const char *script_acting_role(const struct ceremony *c, const struct step *s);
/* How many custodians of the quorum role the roster has beyond the token's quorum
 * (0 also for a token without one): 0 leaves no margin (custodians leave companies). */
unsigned script_quorum_margin(const struct ceremony *c, const struct token_decl *t);

/* Helpers for step types' validate functions: positioned errors about s's keys. */
int script_err(const struct ceremony *c, const struct ynode *n, struct err *e, const char *fmt, ...)
	CER_PRINTF(4, 5);
/* Resolves a reference "STEP" or "STEP.ARTIFACT" written in step `from` at node n:
 * the step must exist, come earlier, and produce the artifact (or, for "STEP" alone,
 * at least one artifact; *artifact then gets its first). */
int script_ref(const struct ceremony *c, const struct step *from, const struct ynode *n,
	       const struct step **target, const char **artifact, struct err *e) CER_MUST_CHECK;

#endif
