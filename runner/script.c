/* script: the ceremony script loader (script.h, SCRIPT.md).
 *
 * Three passes over the node tree: the header (version, roles, tokens), then
 * every step's id and type (so that any step can name any other), then each
 * step's common keys followed by its type's own validation, in file order.
 * Nothing is returned until all of it holds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "script.h"
#include "step.h"

/* Big enough for any real ceremony, small enough that hostile input is cheap. */
static const struct ylimits script_limits = {
	.file = 1024 * 1024,
	.scalar = 64 * 1024,
	.depth = 32,
	.nodes = 100000,
};

enum {
	MAX_STEPS = 1000,
	/* Far beyond any ceremony; they keep every lookup and list check cheap. */
	MAX_ROLES = 100,
	MAX_TOKENS = 100,
	MAX_RECORD = 100,
	MAX_NAME = 63,
	MAX_TOKEN_LABEL = 32, /* CK_TOKEN_INFO.label is 32 bytes (PKCS#11 3.0 §3.2) */
	MAX_ROLE_COUNT = 100,
	MAX_RETRIES = 10,
	DEFAULT_RETRIES = 3,
};

static const char *const top_keys[] = {
	"ceremony", "title", "description", "separation", "roles", "tokens", "audit", "steps", NULL,
};
static const char *const role_keys[] = {"count", "description", NULL};
static const char *const token_keys[] = {"label", "description", "activation", NULL};
static const char *const activation_keys[] = {"quorum", "of", NULL};
const char *const script_common_keys[] = {
	"id", "type", "title", "say", "performed_by", "confirm", "signoff", "expect", "record", "on_fail", "on_refuse", "note", NULL,
};
static const char *const on_fail_keys[] = {"retry", "decision", NULL};

#define NAME_RULE "a lower-case letter, then up to 62 lower-case letters, digits, '_' or '-'"

/* --- lookups and helpers --- */

const struct step *script_step(const struct ceremony *c, const char *id)
{
	size_t i;
	for (i = 0; i < c->n_steps; i++)
		if (c->steps[i].id && strcmp(c->steps[i].id, id) == 0)
			return &c->steps[i];
	return NULL;
}

const struct role *script_role(const struct ceremony *c, const char *name)
{
	size_t i;
	for (i = 0; i < c->n_roles; i++)
		if (strcmp(c->roles[i].name, name) == 0)
			return &c->roles[i];
	return NULL;
}

const struct token_decl *script_token(const struct ceremony *c, const char *name)
{
	size_t i;
	for (i = 0; i < c->n_tokens; i++)
		if (strcmp(c->tokens[i].name, name) == 0)
			return &c->tokens[i];
	return NULL;
}

const char *script_acting_role(const struct ceremony *c, const struct step *s)
{
	if (s->performed_by)
		return s->performed_by;
	if (script_role(c, "administrator"))
		return "administrator";
	return c->n_roles ? c->roles[0].name : NULL;
}

bool script_token_initialised_by_run(const struct ceremony *c, const char *name)
{
	for (size_t i = 0; i < c->n_steps; i++)
		if (c->steps[i].token && !strcmp(c->steps[i].token, name))
			return step_is(&c->steps[i], STEP_INITS_TOKEN);
	return false;
}

int script_err(const struct ceremony *c, const struct ynode *n, struct err *e, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ydoc_err(c->doc, n, e, "%s", msg);
}

/* [a-z][a-z0-9_-]{0,62}: names appear in transcripts, file names and answers
 * files, so they are kept to one unambiguous spelling. */
static bool valid_name(const char *s)
{
	size_t i;
	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; s[i]; i++) {
		char ch = s[i];
		if (i >= MAX_NAME)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Appends ", item" (or "item" first) to a list in buf, silently stopping when full. */
static void list_add(char *buf, size_t size, const char *item)
{
	size_t used = strlen(buf);
	if (used + 1 < size)
		snprintf(buf + used, size - used, "%s%s", used ? ", " : "", item);
}

/* A scalar that must be a name (kind says which: "role", "step id"...). */
static int want_name(const struct ceremony *c, const struct ynode *n, const char *kind, const char *what,
		     const char **out, struct err *e)
{
	char found[YNODE_WHAT_MAX];
	const char *s;

	if (ynode_want_str(c->doc, n, what, &s, e))
		return -1;
	if (!valid_name(s))
		return script_err(c, n, e, "expected a %s for %s (" NAME_RULE "), found %s", kind, what,
				  ynode_what(n, found, sizeof found));
	*out = s;
	return 0;
}

static int missing(const struct ceremony *c, const struct ynode *map, const char *key, const char *what,
		   struct err *e)
{
	return script_err(c, map, e, "missing required key '%s' in %s", key, what);
}

static int want_opt_str(const struct ceremony *c, const struct ynode *map, const char *key, const char *what,
			const char **out, struct err *e)
{
	const struct ynode *n = ynode_get(map, key);
	char label[256];
	*out = NULL;
	if (!n)
		return 0;
	snprintf(label, sizeof label, "'%s' of %s", key, what);
	return ynode_want_str(c->doc, n, label, out, e);
}

/* --- header: version, title, roles, tokens --- */

static int load_version(struct ceremony *c, const struct ynode *root, struct err *e)
{
	const struct ynode *n = ynode_get(root, "ceremony");
	uint64_t v;
	struct err ignored;
	char found[YNODE_WHAT_MAX];

	if (!n)
		return script_err(c, root, e, "missing required key 'ceremony' (the format version) in the script; "
					      "expected 'ceremony: %d' first", SCRIPT_VERSION);
	if (ynode_want_uint(c->doc, n, "'ceremony'", 0, UINT64_MAX, &v, &ignored) != 0)
		return script_err(c, n, e, "expected the format version %d for 'ceremony', found %s", SCRIPT_VERSION,
				  ynode_what(n, found, sizeof found));
	if (v != SCRIPT_VERSION)
		return script_err(c, n, e, "unknown format version %llu: this runner reads version %d only "
					   "('ceremony: %d')", (unsigned long long)v, SCRIPT_VERSION, SCRIPT_VERSION);
	return 0;
}

static int load_roles(struct ceremony *c, const struct ynode *root, struct err *e)
{
	const struct ynode *map = ynode_get(root, "roles");
	size_t i;

	if (!map)
		return missing(c, root, "roles", "the script", e);
	if (ynode_want_map(c->doc, map, "'roles'", e))
		return -1;
	if (map->n == 0)
		return script_err(c, map, e, "expected at least one role in 'roles', found none");
	if (map->n > MAX_ROLES)
		return script_err(c, map->keys[MAX_ROLES], e, "too many roles: expected at most %d, found %zu", MAX_ROLES,
				  map->n);
	c->roles = calloc(map->n, sizeof *c->roles);
	if (!c->roles)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < map->n; i++) {
		struct role *r = &c->roles[i];
		const struct ynode *v = map->vals[i], *count;
		char what[128];
		uint64_t u;

		if (want_name(c, map->keys[i], "role name", "a role in 'roles'", &r->name, e))
			return -1;
		snprintf(what, sizeof what, "role '%s'", r->name);
		r->node = map->keys[i];
		if (ynode_only_keys(c->doc, v, role_keys, what, e))
			return -1;
		count = ynode_get(v, "count");
		if (!count)
			return missing(c, v, "count", what, e);
		snprintf(what, sizeof what, "'count' of role '%s'", r->name);
		if (ynode_want_uint(c->doc, count, what, 1, MAX_ROLE_COUNT, &u, e))
			return -1;
		r->count = (unsigned)u;
		snprintf(what, sizeof what, "role '%s'", r->name);
		if (want_opt_str(c, v, "description", what, &r->description, e))
			return -1;
		c->n_roles++;
	}
	return 0;
}

/* A token's activation quorum: M custodians of a role must each give a share. The
 * roster must be able to meet it (SCRIPT.md requirement 2); a roster with no margin
 * over M is only a warning (`ceremony check` prints it, script_quorum_margin). */
static int load_activation(struct ceremony *c, struct token_decl *t, const struct ynode *a, struct err *e)
{
	char what[128];
	const struct ynode *q, *of;
	const struct role *r;
	uint64_t m;

	if (!a)
		return 0;
	snprintf(what, sizeof what, "'activation' of token '%s'", t->name);
	if (ynode_want_map(c->doc, a, what, e) || ynode_only_keys(c->doc, a, activation_keys, what, e))
		return -1;
	if (!(q = ynode_get(a, "quorum")))
		return missing(c, a, "quorum", what, e);
	if (!(of = ynode_get(a, "of")))
		return missing(c, a, "of", what, e);
	snprintf(what, sizeof what, "'quorum' of token '%s' (M of an m-of-n split)", t->name);
	if (ynode_want_uint(c->doc, q, what, 2, 255, &m, e))
		return -1;
	snprintf(what, sizeof what, "'of' of token '%s'", t->name);
	if (ynode_want_str(c->doc, of, what, &t->quorum_role, e))
		return -1;
	if (!(r = script_role(c, t->quorum_role)))
		return script_err(c, of, e, "undeclared role '%s' in %s; expected a role declared in 'roles'",
				  t->quorum_role, what);
	/* Attendance records distinct people per role, so the role's count is how many
	 * distinct custodians can hold a share. */
	if (r->count < m)
		return script_err(c, q, e,
				  "token '%s' needs a quorum of %llu %s but the roster has only %u: the quorum can "
				  "never be met; raise the count of role '%s' or lower the quorum",
				  t->name, (unsigned long long)m, r->name, r->count, r->name);
	t->quorum = (unsigned)m;
	t->activation = a;
	return 0;
}

unsigned script_quorum_margin(const struct ceremony *c, const struct token_decl *t)
{
	const struct role *r = t->quorum ? script_role(c, t->quorum_role) : NULL;
	return r ? r->count - t->quorum : 0;
}

static int load_tokens(struct ceremony *c, const struct ynode *root, struct err *e)
{
	const struct ynode *map = ynode_get(root, "tokens");
	size_t i;

	if (!map)
		return 0;
	if (ynode_want_map(c->doc, map, "'tokens'", e))
		return -1;
	if (map->n == 0)
		return 0;
	if (map->n > MAX_TOKENS)
		return script_err(c, map->keys[MAX_TOKENS], e, "too many tokens: expected at most %d, found %zu", MAX_TOKENS,
				  map->n);
	c->tokens = calloc(map->n, sizeof *c->tokens);
	if (!c->tokens)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < map->n; i++) {
		struct token_decl *t = &c->tokens[i];
		const struct ynode *v = map->vals[i], *label;
		char what[128], found[YNODE_WHAT_MAX];

		if (want_name(c, map->keys[i], "token name", "a token in 'tokens'", &t->name, e))
			return -1;
		snprintf(what, sizeof what, "token '%s'", t->name);
		t->node = map->keys[i];
		if (ynode_only_keys(c->doc, v, token_keys, what, e))
			return -1;
		label = ynode_get(v, "label");
		if (!label)
			return missing(c, v, "label", what, e);
		snprintf(what, sizeof what, "'label' of token '%s'", t->name);
		if (ynode_want_str(c->doc, label, what, &t->label, e))
			return -1;
		if (label->len < 1 || label->len > MAX_TOKEN_LABEL)
			return script_err(c, label, e, "expected a token label of 1 to %d bytes for %s, found %s (%zu bytes)",
					  MAX_TOKEN_LABEL, what, ynode_what(label, found, sizeof found), label->len);
		/* One label, one token: two names for one token would let a binding merge them. */
		for (size_t k = 0; k < c->n_tokens; k++)
			if (!strcmp(c->tokens[k].label, t->label))
				return script_err(c, label, e, "token '%s' has the label %s of token '%s'; labels must differ",
						  t->name, t->label, c->tokens[k].name);
		snprintf(what, sizeof what, "token '%s'", t->name);
		if (want_opt_str(c, v, "description", what, &t->description, e))
			return -1;
		if (load_activation(c, t, ynode_get(v, "activation"), e))
			return -1;
		c->n_tokens++;
	}
	return 0;
}

/* `audit: {token: NAME, role: ROLE}`: the audit key lives in that token instead of
 * memory (TRANSCRIPT.md "The audit key"), so a resume after a crash finds the same
 * signer. It is made before the first step, so the token cannot wait for a quorum
 * or a token.init step, and it holds the audit key alone: a step's security-officer
 * session on it would log the audit key's session out. */
static int load_audit(struct ceremony *c, const struct ynode *root, struct err *e)
{
	static const char *const keys[] = {"token", "role", NULL};
	const struct ynode *a = ynode_get(root, "audit"), *t, *r;
	const struct token_decl *td;
	if (!a)
		return 0;
	if (ynode_want_map(c->doc, a, "'audit': a map {token: NAME, role: ROLE}", e) ||
	    ynode_only_keys(c->doc, a, keys, "'audit'", e))
		return -1;
	if (!(t = ynode_get(a, "token")))
		return missing(c, a, "token", "'audit'", e);
	if (ynode_want_str(c->doc, t, "'token' of 'audit'", &c->audit_token, e))
		return -1;
	if (!(td = script_token(c, c->audit_token)))
		return script_err(c, t, e, "'audit' names the token '%s', which 'tokens' does not declare", c->audit_token);
	if (td->quorum)
		return script_err(c, t, e, "the audit key's token '%s' is activated by a quorum, which only a step can "
					   "gather; expected a token logged in by PIN before the first step",
				  c->audit_token);
	for (size_t i = 0; i < c->n_steps; i++)
		if (c->steps[i].token && !strcmp(c->steps[i].token, c->audit_token))
			return script_err(c, ynode_get(c->steps[i].node, "token"), e,
					  "step '%s' uses token '%s', which holds the audit key; expected the audit key's "
					  "token to be used by no step",
					  c->steps[i].id, c->audit_token);
	r = ynode_get(a, "role");
	if (r) {
		if (ynode_want_str(c->doc, r, "'role' of 'audit'", &c->audit_role, e))
			return -1;
		if (!script_role(c, c->audit_role))
			return script_err(c, r, e, "'audit' names the role '%s', which 'roles' does not declare", c->audit_role);
	}
	c->audit_node = a;
	return 0;
}

/* --- steps, pass 1: ids and types --- */

static int load_step_head(struct ceremony *c, const struct ynode *n, size_t index, struct err *e)
{
	struct step *s = &c->steps[index];
	const struct ynode *id, *type;
	const struct step *prev;
	const char *tname;
	char what[96], q[YNODE_WHAT_MAX];

	snprintf(what, sizeof what, "step %zu", index + 1);
	if (ynode_want_map(c->doc, n, what, e))
		return -1;
	s->node = n;
	s->index = index;
	id = ynode_get(n, "id");
	if (!id)
		return missing(c, n, "id", what, e);
	if (want_name(c, id, "step id", "'id'", &s->id, e))
		return -1;
	/* "halt" is what a decision choice says to stop the ceremony. */
	if (strcmp(s->id, "halt") == 0)
		return script_err(c, id, e, "step id 'halt' is reserved (a decision choice 'halt' stops the ceremony); "
					    "expected another id");
	/* "genesis" names what is asked before the first step (the audit token's PIN). */
	if (strcmp(s->id, SCRIPT_GENESIS) == 0)
		return script_err(c, id, e, "step id '%s' is reserved (it names the questions asked before the first "
					    "step); expected another id", SCRIPT_GENESIS);
	if (strcmp(s->id, SCRIPT_RESUME) == 0)
		return script_err(c, id, e, "step id '%s' is reserved (it names the questions `ceremony resume` asks); "
					    "expected another id", SCRIPT_RESUME);
	for (prev = c->steps; prev < s; prev++) {
		if (strcmp(prev->id, s->id) == 0) {
			const struct ynode *first = ynode_get(prev->node, "id");
			return script_err(c, id, e, "duplicate step id '%s' (first used at line %u, column %u): expected "
						    "each step id once", s->id, first->line, first->col);
		}
	}
	snprintf(what, sizeof what, "step '%s'", s->id);
	type = ynode_get(n, "type");
	if (!type)
		return missing(c, n, "type", what, e);
	snprintf(what, sizeof what, "'type' of step '%s'", s->id);
	if (ynode_want_str(c->doc, type, what, &tname, e))
		return -1;
	s->type = step_table_find(c->types, tname);
	if (!s->type) {
		struct ynode_near near;
		char list[512] = "";
		size_t i;
		ynode_near_init(&near, tname);
		for (i = 0; i < c->types->n; i++) {
			ynode_near_add(&near, c->types->types[i]->name);
			list_add(list, sizeof list, c->types->types[i]->name);
		}
		ynode_quote(tname, q, sizeof q);
		if (ynode_near_best(&near))
			return script_err(c, type, e, "unknown step type %s in step '%s' (did you mean '%s'?)", q, s->id,
					  ynode_near_best(&near));
		return script_err(c, type, e, "unknown step type %s in step '%s'; expected one of: %s", q, s->id, list);
	}
	return 0;
}

/* --- steps, pass 2: common keys --- */

static int want_role(const struct ceremony *c, const struct ynode *n, const char *what, const char **out,
		     struct err *e)
{
	struct ynode_near near;
	char list[512] = "", q[YNODE_WHAT_MAX];
	const char *name;
	size_t i;

	if (ynode_want_str(c->doc, n, what, &name, e))
		return -1;
	if (script_role(c, name)) {
		*out = name;
		return 0;
	}
	ynode_near_init(&near, name);
	for (i = 0; i < c->n_roles; i++) {
		ynode_near_add(&near, c->roles[i].name);
		list_add(list, sizeof list, c->roles[i].name);
	}
	ynode_quote(name, q, sizeof q);
	if (ynode_near_best(&near))
		return script_err(c, n, e, "undeclared role %s in %s (did you mean '%s'?)", q, what, ynode_near_best(&near));
	return script_err(c, n, e, "undeclared role %s in %s; expected a role declared in 'roles': %s", q, what, list);
}

/* A role or a list of roles, each declared and listed once. */
static int want_roles(const struct ceremony *c, const struct ynode *n, const char *what, const char ***out,
		      size_t *count, struct err *e)
{
	const char **list = NULL;
	size_t i, j, k = 0;
	int ret = -1;
	char found[YNODE_WHAT_MAX];

	if (n->kind == YN_MAP) {
		script_err(c, n, e, "expected a role or a list of roles for %s, found %s", what,
			   ynode_what(n, found, sizeof found));
		goto out;
	}
	list = calloc(n->kind == YN_SEQ ? (n->n ? n->n : 1) : 1, sizeof *list);
	if (!list) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (n->kind == YN_SCALAR) {
		if (want_role(c, n, what, &list[k++], e))
			goto out;
	} else {
		for (i = 0; i < n->n; i++) {
			if (want_role(c, n->vals[i], what, &list[k], e))
				goto out;
			for (j = 0; j < k; j++) {
				if (strcmp(list[j], list[k]) == 0) {
					script_err(c, n->vals[i], e, "role '%s' is listed twice in %s; expected each role once",
						   list[k], what);
					goto out;
				}
			}
			k++;
		}
	}
	*out = list;
	*count = k;
	list = NULL;
	ret = 0;
out:
	free(list);
	return ret;
}

static bool in_list(const char *const *list, const char *s)
{
	size_t i;
	for (i = 0; list && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static int load_record(struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *map = ynode_get(s->node, "record");
	char what[160], found[YNODE_WHAT_MAX];
	size_t i;

	if (!map)
		return 0;
	snprintf(what, sizeof what, "'record' of step '%s'", s->id);
	if (ynode_want_map(c->doc, map, what, e))
		return -1;
	if (map->n == 0)
		return 0;
	if (map->n > MAX_RECORD)
		return script_err(c, map->keys[MAX_RECORD], e, "too many record fields in step '%s': expected at most %d, "
							       "found %zu", s->id, MAX_RECORD, map->n);
	s->record = calloc(map->n, sizeof *s->record);
	if (!s->record)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < map->n; i++) {
		struct record_field *f = &s->record[i];
		const struct ynode *q = map->vals[i];
		if (want_name(c, map->keys[i], "record field name", what, &f->name, e))
			return -1;
		/* A typed value is an output too: it must not collide with what the step produces. */
		if (in_list(s->type->outputs, f->name) || in_list(s->type->artifacts, f->name))
			return script_err(c, map->keys[i], e,
					  "record field '%s' of step '%s' has the name of an output of %s; choose another name",
					  f->name, s->id, s->type->name);
		/* "field:" alone asks with the field's name as the question. */
		if (q->kind == YN_SCALAR && q->plain && q->len == 0) {
			f->prompt = f->name;
		} else if (q->kind == YN_SCALAR) {
			f->prompt = q->str;
		} else if (q->kind == YN_MAP) {
			/* {question: Q, optional: true}: a value that may be left empty. */
			static const char *const keys[] = {"question", "optional", NULL};
			const struct ynode *qq = ynode_get(q, "question"), *op = ynode_get(q, "optional");
			for (size_t k = 0; k < q->n; k++)
				if (!in_list(keys, q->keys[k]->str))
					return script_err(c, q->keys[k], e, "unknown key '%s' in record field '%s'; expected "
									    "question or optional", q->keys[k]->str, f->name);
			if (qq && ynode_want_str(c->doc, qq, "'question' (text)", &f->prompt, e))
				return -1;
			if (!qq)
				f->prompt = f->name;
			if (op && ynode_want_bool(c->doc, op, "'optional' (true or false)", &f->optional, e))
				return -1;
		} else {
			return script_err(c, q, e, "expected the question text for record field '%s' of step '%s', found %s",
					  f->name, s->id, ynode_what(q, found, sizeof found));
		}
		s->n_record++;
	}
	return 0;
}

static int load_expect(struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *map = ynode_get(s->node, "expect");
	const char *const *outputs = s->type->outputs;
	char what[160], found[YNODE_WHAT_MAX], q[YNODE_WHAT_MAX];
	size_t i, j;

	if (!map)
		return 0;
	snprintf(what, sizeof what, "'expect' of step '%s'", s->id);
	if (ynode_want_map(c->doc, map, what, e))
		return -1;
	for (i = 0; i < map->n; i++) {
		const char *name = map->keys[i]->str;
		const struct ynode *v = map->vals[i];
		bool known = false;

		if (!outputs) {
			known = true;
		} else if (in_list(outputs, name)) {
			known = true;
		} else {
			for (j = 0; j < s->n_record; j++)
				if (strcmp(s->record[j].name, name) == 0)
					known = true;
		}
		if (!known) {
			struct ynode_near near;
			char list[512] = "";
			ynode_near_init(&near, name);
			for (j = 0; outputs[j]; j++) {
				ynode_near_add(&near, outputs[j]);
				list_add(list, sizeof list, outputs[j]);
			}
			for (j = 0; j < s->n_record; j++) {
				ynode_near_add(&near, s->record[j].name);
				list_add(list, sizeof list, s->record[j].name);
			}
			ynode_quote(name, q, sizeof q);
			if (ynode_near_best(&near))
				return script_err(c, map->keys[i], e, "unknown output %s in %s (did you mean '%s'?)", q, what,
						  ynode_near_best(&near));
			return script_err(c, map->keys[i], e, "unknown output %s in %s; a '%s' step has: %s", q, what,
					  s->type->name, list);
		}
		/* {same_as: IMPORT.STEP.OUTPUT}: what an earlier ceremony recorded. */
		if (v->kind == YN_MAP) {
			if (script_import_check_value(c, s, v, e))
				return -1;
			continue;
		}
		if (v->kind != YN_SCALAR || (v->plain && v->len == 0))
			return script_err(c, v, e, "expected a value for '%s' in %s, found %s", name, what,
					  ynode_what(v, found, sizeof found));
	}
	s->expect = map;
	return 0;
}

/* An expectation the step's parameters make impossible (a check certain to fail in
 * the room) is refused now, at the value, with the parameter that decides it. */
static int expect_contradicts(const struct ceremony *c, const struct step *s, struct err *e)
{
	const struct ynode *map = s->expect;
	for (size_t i = 0; map && s->type->fixed_output && i < map->n; i++) {
		const struct ynode *v = map->vals[i];
		char why[160] = "";
		const char *fixed = s->type->fixed_output(s, map->keys[i]->str, why, sizeof why);
		if (fixed && v->kind == YN_SCALAR && strcmp(v->str, fixed))
			return script_err(c, v, e,
					  "step '%s' expects %s: %s, but %s: the check cannot pass; expected %s: %s "
					  "or no expectation",
					  s->id, map->keys[i]->str, v->str, why, map->keys[i]->str, fixed);
	}
	return 0;
}

static int bad_on_fail(const struct ceremony *c, const struct step *s, const struct ynode *n, struct err *e)
{
	char found[YNODE_WHAT_MAX];
	return script_err(c, n, e, "expected halt, retry, {retry: N} or {decision: STEP} for 'on_fail' of step '%s', "
				   "found %s", s->id, ynode_what(n, found, sizeof found));
}

/* `on_refuse: fail | deviation`: what a refused confirmation or sign-off makes of
 * the step (fail by default, and on_fail applies). */
static int load_on_refuse(struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *v = ynode_get(s->node, "on_refuse");
	char what[160];
	const char *str;
	if (!v)
		return 0;
	snprintf(what, sizeof what, "'on_refuse' of step '%s' (fail or deviation)", s->id);
	if (ynode_want_str(c->doc, v, what, &str, e))
		return -1;
	if (!strcmp(str, "deviation"))
		s->refusal_is_deviation = true;
	else if (strcmp(str, "fail"))
		return script_err(c, v, e, "expected fail or deviation for %s, found '%s'", what, str);
	return 0;
}

static int load_on_fail(struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *n = ynode_get(s->node, "on_fail"), *v;
	char what[160], q[YNODE_WHAT_MAX];
	const struct step *target;
	uint64_t u;

	s->on_fail = ON_FAIL_HALT;
	if (!n)
		return 0;
	snprintf(what, sizeof what, "'on_fail' of step '%s'", s->id);
	if (n->kind == YN_SCALAR && n->plain && strcmp(n->str, "halt") == 0)
		return 0;
	if (n->kind == YN_SCALAR && n->plain && strcmp(n->str, "retry") == 0) {
		s->on_fail = ON_FAIL_RETRY;
		s->retries = DEFAULT_RETRIES;
		return 0;
	}
	if (n->kind != YN_MAP)
		return bad_on_fail(c, s, n, e);
	if (ynode_only_keys(c->doc, n, on_fail_keys, what, e))
		return -1;
	if (n->n != 1)
		return bad_on_fail(c, s, n, e);
	v = n->vals[0];
	if (strcmp(n->keys[0]->str, "retry") == 0) {
		snprintf(what, sizeof what, "'on_fail: {retry}' of step '%s'", s->id);
		if (ynode_want_uint(c->doc, v, what, 1, MAX_RETRIES, &u, e))
			return -1;
		s->on_fail = ON_FAIL_RETRY;
		s->retries = (unsigned)u;
		return 0;
	}
	snprintf(what, sizeof what, "'on_fail: {decision}' of step '%s'", s->id);
	if (ynode_want_str(c->doc, v, what, &s->on_fail_decision, e))
		return -1;
	target = script_step(c, s->on_fail_decision);
	if (!target) {
		struct ynode_near near;
		size_t i;
		ynode_near_init(&near, s->on_fail_decision);
		for (i = 0; i < c->n_steps; i++)
			if (step_is(&c->steps[i], STEP_DECIDES))
				ynode_near_add(&near, c->steps[i].id);
		ynode_quote(s->on_fail_decision, q, sizeof q);
		if (ynode_near_best(&near))
			return script_err(c, v, e, "unknown step %s in %s (did you mean '%s'?)", q, what,
					  ynode_near_best(&near));
		return script_err(c, v, e, "unknown step %s in %s; expected the id of a decision step", q, what);
	}
	if (!step_is(target, STEP_DECIDES))
		return script_err(c, v, e, "expected a decision step for %s, found step '%s' of type '%s'", what,
				  target->id, target->type->name);
	s->on_fail = ON_FAIL_DECISION;
	return 0;
}

static int load_token_ref(struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *n = ynode_get(s->node, "token");
	struct ynode_near near;
	char what[160], list[512] = "", q[YNODE_WHAT_MAX];
	size_t i;

	if (!(s->type->flags & STEP_USES_TOKEN))
		return 0;
	if (!n)
		return script_err(c, s->node, e, "missing required key 'token' in step '%s' (a '%s' step works on a "
						 "token declared in 'tokens')", s->id, s->type->name);
	snprintf(what, sizeof what, "'token' of step '%s'", s->id);
	if (ynode_want_str(c->doc, n, what, &s->token, e))
		return -1;
	if (script_token(c, s->token))
		return 0;
	if (c->n_tokens == 0)
		return script_err(c, n, e, "undeclared token %s in %s; the script declares no 'tokens'",
				  ynode_quote(s->token, q, sizeof q), what);
	ynode_near_init(&near, s->token);
	for (i = 0; i < c->n_tokens; i++) {
		ynode_near_add(&near, c->tokens[i].name);
		list_add(list, sizeof list, c->tokens[i].name);
	}
	ynode_quote(s->token, q, sizeof q);
	if (ynode_near_best(&near))
		return script_err(c, n, e, "undeclared token %s in %s (did you mean '%s'?)", q, what, ynode_near_best(&near));
	return script_err(c, n, e, "undeclared token %s in %s; expected one of: %s", q, what, list);
}

/* The keys a step of this type may have: common ones, the type's, and `token`
 * when the type works on one. */
static int step_keys(const struct step *s, const char ***out, struct err *e)
{
	size_t n = 0, k = 0, i;
	const char **keys;

	for (i = 0; script_common_keys[i]; i++)
		n++;
	for (i = 0; s->type->keys && s->type->keys[i]; i++)
		n++;
	keys = calloc(n + 2, sizeof *keys);
	if (!keys)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; script_common_keys[i]; i++)
		keys[k++] = script_common_keys[i];
	if (s->type->flags & STEP_USES_TOKEN)
		keys[k++] = "token";
	for (i = 0; s->type->keys && s->type->keys[i]; i++)
		keys[k++] = s->type->keys[i];
	keys[k] = NULL;
	*out = keys;
	return 0;
}

static int load_step_body(struct ceremony *c, struct step *s, struct err *e)
{
	const char **keys = NULL, *note;
	const struct ynode *n;
	char what[160];
	int ret = -1;

	if (step_keys(s, &keys, e))
		goto out;
	snprintf(what, sizeof what, "step '%s'", s->id);
	if (ynode_only_keys(c->doc, s->node, keys, what, e))
		goto out;
	/* note is for reviewers only: checked to be text, not kept in the model. */
	if (want_opt_str(c, s->node, "title", what, &s->title, e) || want_opt_str(c, s->node, "say", what, &s->say, e) ||
	    want_opt_str(c, s->node, "note", what, &note, e))
		goto out;
	if (!s->title)
		s->title = s->id;
	n = ynode_get(s->node, "performed_by");
	if (n) {
		snprintf(what, sizeof what, "'performed_by' of step '%s'", s->id);
		if (want_role(c, n, what, &s->performed_by, e))
			goto out;
	}
	n = ynode_get(s->node, "confirm");
	if (n) {
		snprintf(what, sizeof what, "'confirm' of step '%s'", s->id);
		if (want_roles(c, n, what, &s->confirm, &s->n_confirm, e))
			goto out;
	} else if (s->performed_by) {
		/* Whoever acts confirms what the step shows, unless the script says otherwise. */
		s->confirm = calloc(1, sizeof *s->confirm);
		if (!s->confirm) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		s->confirm[0] = s->performed_by;
		s->n_confirm = 1;
	}
	n = ynode_get(s->node, "signoff");
	if (n) {
		snprintf(what, sizeof what, "'signoff' of step '%s'", s->id);
		if (want_roles(c, n, what, &s->signoff, &s->n_signoff, e))
			goto out;
	}
	if (load_record(c, s, e) || load_expect(c, s, e) || load_on_fail(c, s, e) || load_on_refuse(c, s, e) ||
	    load_token_ref(c, s, e))
		goto out;
	if (s->type->validate && s->type->validate(c, s, e))
		goto out;
	if (expect_contradicts(c, s, e))
		goto out;
	ret = 0;
out:
	free(keys);
	return ret;
}

/* A sign-off comes from someone recorded present in its role, so a step with
 * sign-offs before any attendance step could never pass: refused here, not in the room. */
/* A token activated by a quorum is logged in only by a token.activate step, so a
 * step that logs in to it before one would fail in the room: refused here. So is one
 * after a step where the security officer logged in (wrapkey.create), which ended the
 * custodians' session, with no token.activate in between. */
static int check_login_after_activation(const struct ceremony *c, struct err *e)
{
	for (size_t t = 0; t < c->n_tokens; t++) {
		const struct token_decl *d = &c->tokens[t];
		const struct step *ended = NULL;
		bool active = false;
		if (!d->quorum)
			continue;
		for (size_t i = 0; i < c->n_steps; i++) {
			const struct step *s = &c->steps[i];
			if (!s->token || strcmp(s->token, d->name))
				continue;
			if (step_is(s, STEP_ACTIVATES_TOKEN)) {
				active = true;   /* from here the token is logged in */
				continue;
			}
			if (step_is(s, STEP_LOGS_IN_SO)) {
				ended = active ? s : ended;
				active = false;
				continue;
			}
			if (active || !step_is(s, STEP_NEEDS_LOGIN))
				continue;
			if (ended)
				return script_err(c, ynode_get(s->node, "token"), e,
						  "step '%s' logs in to token '%s', but step '%s' (%s) logged in the security "
						  "officer there, which ended the custodians' session; expected a token.activate "
						  "step between them",
						  s->id, d->name, ended->id, ended->type->name);
			return script_err(c, ynode_get(s->node, "token"), e,
					  "step '%s' logs in to token '%s' before any token.activate step: the token "
					  "is activated by a quorum of %u %s, so a token.activate step must come first",
					  s->id, d->name, d->quorum, d->quorum_role ? d->quorum_role : "custodians");
		}
	}
	return 0;
}

static int check_signoffs_after_attendance(const struct ceremony *c, struct err *e)
{
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct step *s = &c->steps[i];
		if (step_is(s, STEP_RECORDS_ATTENDANCE))
			return 0;
		if (s->n_signoff)
			return script_err(c, ynode_get(s->node, "signoff"), e,
					  "step '%s' asks for sign-offs, but no attendance step comes before it to record "
					  "who is present",
					  s->id);
	}
	return 0;
}

static int load_steps(struct ceremony *c, const struct ynode *root, struct err *e)
{
	const struct ynode *seq = ynode_get(root, "steps");
	size_t i;

	if (!seq)
		return missing(c, root, "steps", "the script", e);
	if (ynode_want_seq(c->doc, seq, "'steps'", e))
		return -1;
	if (seq->n == 0)
		return script_err(c, seq, e, "expected at least one step in 'steps', found none");
	if (seq->n > MAX_STEPS)
		return script_err(c, seq->vals[MAX_STEPS], e, "too many steps: expected at most %d, found %zu", MAX_STEPS,
				  seq->n);
	c->steps = calloc(seq->n, sizeof *c->steps);
	if (!c->steps)
		return err_set(e, ERR_NOMEM, "out of memory");
	/* n_steps grows as heads load, so lookups during pass 1 see only earlier steps. */
	for (i = 0; i < seq->n; i++) {
		if (load_step_head(c, seq->vals[i], i, e))
			return -1;
		c->n_steps++;
	}
	for (i = 0; i < c->n_steps; i++)
		if (load_step_body(c, &c->steps[i], e))
			return -1;
	return check_signoffs_after_attendance(c, e) || check_login_after_activation(c, e);
}

static int load_model(struct ceremony *c, struct err *e)
{
	const struct ynode *root = c->doc->root, *sep;
	char found[YNODE_WHAT_MAX];
	const char *s;

	if (root->kind != YN_MAP)
		return script_err(c, root, e, "expected a map with the keys ceremony, title, roles and steps at the top of "
					      "the script, found %s", ynode_what(root, found, sizeof found));
	if (ynode_only_keys(c->doc, root, top_keys, "the script", e) || load_version(c, root, e))
		return -1;
	if (!ynode_get(root, "title"))
		return missing(c, root, "title", "the script", e);
	if (want_opt_str(c, root, "title", "the script", &c->title, e) ||
	    want_opt_str(c, root, "description", "the script", &c->description, e))
		return -1;
	c->separation_strict = true;
	sep = ynode_get(root, "separation");
	if (sep) {
		if (ynode_want_str(c->doc, sep, "'separation'", &s, e))
			return -1;
		if (strcmp(s, "relaxed") == 0)
			c->separation_strict = false;
		else if (strcmp(s, "strict") != 0)
			return script_err(c, sep, e, "expected strict or relaxed for 'separation', found %s",
					  ynode_what(sep, found, sizeof found));
	}
	if (load_roles(c, root, e) || load_tokens(c, root, e) || load_steps(c, root, e) || load_audit(c, root, e))
		return -1;
	return 0;
}

/* Takes doc (freed on failure). */
static int script_build(struct ydoc *doc, const struct step_table *types, const struct script_input_source *source,
			struct ceremony **out, struct err *e)
{
	struct ceremony *c = calloc(1, sizeof *c);
	int ret = -1;

	if (!c || !(c->inputs = calloc(1, sizeof *c->inputs)) || !(c->imports = calloc(1, sizeof *c->imports))) {
		if (c)
			free(c->inputs);
		free(c);
		ydoc_free(doc);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	c->doc = doc;
	c->types = types;
	c->source = source;
	if (load_model(c, e))
		goto out;
	c->source = NULL;
	*out = c;
	c = NULL;
	ret = 0;
out:
	script_free(c);
	return ret;
}

int script_load(const char *path, const struct step_table *types, struct ceremony **out, struct err *e)
{
	return script_load_from(path, types, NULL, out, e);
}

int script_load_from(const char *path, const struct step_table *types, const struct script_input_source *source,
		     struct ceremony **out, struct err *e)
{
	struct ydoc *doc = NULL;
	*out = NULL;
	if (ydoc_load(path, &script_limits, ERR_SCRIPT, &doc, e))
		return -1;
	return script_build(doc, types, source, out, e);
}

int script_parse(const char *name, const uint8_t *data, size_t len, const struct step_table *types,
		 struct ceremony **out, struct err *e)
{
	return script_parse_from(name, data, len, types, NULL, out, e);
}

int script_parse_from(const char *name, const uint8_t *data, size_t len, const struct step_table *types,
		      const struct script_input_source *source, struct ceremony **out, struct err *e)
{
	struct ydoc *doc = NULL;
	*out = NULL;
	if (ydoc_parse(name, data, len, &script_limits, ERR_SCRIPT, &doc, e))
		return -1;
	return script_build(doc, types, source, out, e);
}

void script_free(struct ceremony *c)
{
	size_t i;
	if (!c)
		return;
	/* Steps whose head failed to load may be half filled; calloc left the rest NULL. */
	for (i = 0; c->steps && i < c->n_steps; i++) {
		free(c->steps[i].confirm);
		free(c->steps[i].signoff);
		free(c->steps[i].record);
		free(c->steps[i].priv);
	}
	free(c->steps);
	free(c->roles);
	free(c->tokens);
	script_inputs_free(c->inputs);
	script_imports_free(c->imports);
	ydoc_free(c->doc);
	free(c);
}

/* --- references between steps --- */

int script_ref(const struct ceremony *c, const struct step *from, const struct ynode *n, const struct step **target,
	       const char **artifact, struct err *e)
{
	char id[MAX_NAME + 1], found[YNODE_WHAT_MAX], q[YNODE_WHAT_MAX], list[512] = "";
	const char *text, *dot, *art = NULL;
	const struct step *t;
	const char *const *arts;
	size_t idlen, i;
	struct ynode_near near;

	if (n && n->kind == YN_MAP)
		return script_input_ref(c, from, n, target, artifact, e);
	if (!n || n->kind != YN_SCALAR || (n->plain && n->len == 0))
		return script_err(c, n ? n : from->node, e, "expected a reference to an earlier step ('STEP' or "
							    "'STEP.ARTIFACT', or {file: PATH}) in step '%s', found %s", from->id,
				  ynode_what(n, found, sizeof found));
	text = n->str;
	ynode_quote(text, q, sizeof q);
	dot = strchr(text, '.');
	idlen = dot ? (size_t)(dot - text) : n->len;
	t = NULL;
	if (idlen > 0 && idlen <= MAX_NAME) {
		memcpy(id, text, idlen);
		id[idlen] = 0;
		t = script_step(c, id);
	} else {
		snprintf(id, sizeof id, "%.*s", (int)(idlen > MAX_NAME ? MAX_NAME : idlen), text);
	}
	if (!t) {
		ynode_near_init(&near, id);
		for (i = 0; i < from->index && i < c->n_steps; i++)
			ynode_near_add(&near, c->steps[i].id);
		if (ynode_near_best(&near))
			return script_err(c, n, e, "unknown step in reference %s of step '%s' (did you mean '%s'?)", q,
					  from->id, ynode_near_best(&near));
		return script_err(c, n, e, "unknown step in reference %s of step '%s'; expected the id of an earlier step",
				  q, from->id);
	}
	if (t == from)
		return script_err(c, n, e, "step '%s' refers to itself in %s; expected an earlier step", from->id, q);
	if (t->index > from->index)
		return script_err(c, n, e, "reference %s of step '%s' names step '%s', which comes later (step %zu of %zu); "
					   "expected an earlier step", q, from->id, t->id, t->index + 1, c->n_steps);
	/* "IMPORT.STEP[.ARTIFACT]": what an earlier ceremony's transcript recorded. */
	if (dot && step_is(t, STEP_IMPORTS))
		return script_import_ref(c, from, n, t, dot + 1, target, artifact, e);
	arts = t->type->artifacts;
	if (!arts || !arts[0])
		return script_err(c, n, e, "reference %s of step '%s': step '%s' (type '%s') produces no artifact; "
					   "expected a step that does", q, from->id, t->id, t->type->name);
	if (!dot) {
		art = arts[0];
	} else {
		ynode_near_init(&near, dot + 1);
		for (i = 0; arts[i]; i++) {
			if (strcmp(arts[i], dot + 1) == 0)
				art = arts[i];
			ynode_near_add(&near, arts[i]);
			list_add(list, sizeof list, arts[i]);
		}
		if (!art && ynode_near_best(&near))
			return script_err(c, n, e, "reference %s of step '%s': step '%s' has no such artifact (did you mean "
						   "'%s.%s'?)", q, from->id, t->id, t->id, ynode_near_best(&near));
		if (!art)
			return script_err(c, n, e, "reference %s of step '%s': step '%s' has no such artifact; it produces: %s",
					  q, from->id, t->id, list);
	}
	if (target)
		*target = t;
	if (artifact)
		*artifact = art;
	return 0;
}
