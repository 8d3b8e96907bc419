/* key.backup: wraps a backup key (key.generate with `backup: true`) under the trusted
 * wrap key with CKM_AES_KEY_WRAP_PAD (RFC 5649), and/or unwraps it into a backup
 * token (design in backup.h).
 *
 *   key: root-key              a key.generate step with backup: true
 *   wrap_key: wrap-key         the wrapkey.create step
 *   to: backup                 optional: a second declared token that receives a copy
 *
 * The blob goes to OUT/backup/<step>.wrapped (never embedded); the transcript has its
 * SHA-256 and size. On the backup token the security officer re-creates the wrap key
 * from the value the run holds; the copy keeps the backup policy and its attributes
 * are recorded as checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backup.h"
#include "../runner/files.h"
#include "../runner/words.h"
#include "../runner/hash.h"

static bool token_declared(const struct ceremony *c, const char *name)
{
	for (size_t i = 0; i < c->n_tokens; i++)
		if (!strcmp(c->tokens[i].name, name))
			return true;
	return false;
}

const struct backup_priv *key_backup_of(const struct step *s)
{
	return step_is(s, STEP_BACKS_UP) ? s->priv : NULL;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *key = ynode_get(s->node, "key"), *wk = ynode_get(s->node, "wrap_key"),
			   *to = ynode_get(s->node, "to");
	struct backup_priv *p;
	if (!key || !wk)
		return script_err(c, s->node, e, "step '%s': missing '%s'", s->id, key ? "wrap_key" : "key");
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	if (step_keyref_parse(c, s, key, &p->key, e) || step_ref_flagged(c, s, wk, STEP_MAKES_WRAP_KEY, "wrapkey.create", &p->wrap, e))
		return -1;
	if (!p->key.made_by || !key_generate_backup(p->key.made_by))
		return script_err(c, key, e, "step '%s': the key must come from a key.generate step with 'backup: true' "
					     "(other keys are never extractable)", s->id);
	if (strcmp(p->wrap->token, p->key.token))
		return script_err(c, wk, e, "step '%s': the wrap key is on token '%s', the key on '%s'", s->id,
				  p->wrap->token, p->key.token);
	if (to) {
		if (ynode_want_str(c->doc, to, "'to' (a token name)", &p->to, e))
			return -1;
		if (!token_declared(c, p->to) || !strcmp(p->to, p->key.token))
			return script_err(c, to, e, "step '%s': 'to' must name another declared token, not '%s'", s->id,
					  p->to);
	}
	return 0;
}

static size_t needs(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max)
{
	const struct backup_priv *p = s->priv;
	size_t n = 0;
	(void)c;
	if (p && n < max)
		out[n++] = (struct step_need){.token = p->key.token, .algorithm = "aes key wrap", .mech = CKM_AES_KEY_WRAP_PAD};
	if (p && p->to && n < max)
		out[n++] = (struct step_need){.token = p->to, .algorithm = "aes key wrap", .mech = CKM_AES_KEY_WRAP_PAD};
	return n;
}

int backup_blob_path(const struct step_run *r, const char *backup_step, unsigned run, char *path, size_t cap,
		     struct err *e)
{
	int n = run > 1 ? snprintf(path, cap, "%s/backup/%s-run%u.wrapped", step_out_dir(r), backup_step, run)
			: snprintf(path, cap, "%s/backup/%s.wrapped", step_out_dir(r), backup_step);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_IO, "the backup file name under '%s' is too long", step_out_dir(r));
	return 0;
}

/* The label the wrapkey.create step wk gives its key (load-time checked). */
static const char *wrap_label(const struct step *wk)
{
	return ynode_get(wk->node, "label")->str;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct backup_priv *p = r->step->priv;
	struct tok_session *s;
	CK_OBJECT_HANDLE wrap, priv, pub, copy;
	CK_ULONG kt = 0;
	struct buf blob = {0}, id = {0};
	char alg[32], hex[80], dir[4096], path[4200];
	uint8_t sha[32];
	bool v;
	int ret = -1;

	/* The wrap key leaves the key's token at the end of a backup, so a retry rebuilds it
	 * there (outputs "source_wrap_key_..."); the backup token's is "wrap_key_...". */
	if (step_wrapkey_on(r, p->wrap->id, wrap_label(p->wrap), p->key.token, NULL, "source_wrap_key_", &wrap,
			    e) ||
	    step_session_on(r, p->key.token, &s, e) || tok_key_find(s, p->key.label, &priv, &pub, alg, sizeof alg, e) ||
	    tok_attr_ulong(s, priv, CKA_KEY_TYPE, &kt, e) || tok_attr(s, priv, CKA_ID, &id, e))
		goto out;
	if (tok_wrap(s, wrap, priv, &blob, e))
		goto out;
	hash_sha256(blob.p, blob.len, sha);
	if (backup_blob_path(r, r->step->id, step_attempts(r, r->step->id), path, sizeof path, e))
		goto out;
	int dn = snprintf(dir, sizeof dir, "%s/backup", step_out_dir(r));
	if (dn < 0 || (size_t)dn >= sizeof dir) {
		err_set(e, ERR_IO, "the backup folder name under '%s' is too long", step_out_dir(r));
		goto out;
	}
	if (files_mkdirs(dir, e) || files_write_new(path, blob.p, blob.len, e))
		goto out;
	step_show(r, "'%s' wrapped under '%s' (CKM_AES_KEY_WRAP_PAD): %zu bytes written to %s", p->key.label,
		  ynode_get(p->wrap->node, "label")->str, blob.len, path);
	if (step_output(r, "key_label", dcbor_text(p->key.label), e) || step_output(r, "key_algorithm", dcbor_text(alg), e) ||
	    step_output(r, "mechanism", dcbor_text("CKM_AES_KEY_WRAP_PAD"), e) ||
	    step_output(r, "blob_file", dcbor_text(path + strlen(step_out_dir(r)) + 1), e) ||
	    step_output(r, "blob_size", dcbor_uint(blob.len), e) ||
	    step_output(r, "blob_sha256", dcbor_text(words_hex(sha, sizeof sha, hex, sizeof hex)), e))
		goto out;
	if (p->to) {
		if (step_wrapkey_on(r, p->wrap->id, wrap_label(p->wrap), p->to, NULL, "wrap_key_", &wrap, e) || step_session_on(r, p->to, &s, e) ||
		    tok_unwrap_private(s, wrap, blob.p, blob.len, kt, p->key.label, id.p, id.len, TOK_GEN_BACKUP, &copy, e))
			goto out;
		static const struct { CK_ATTRIBUTE_TYPE t; const char *name; bool want; } pol[] = {
			{CKA_SENSITIVE, "backup copy CKA_SENSITIVE", true},
			{CKA_EXTRACTABLE, "backup copy CKA_EXTRACTABLE", true},
			{CKA_WRAP_WITH_TRUSTED, "backup copy CKA_WRAP_WITH_TRUSTED", true},
			{CKA_SIGN, "backup copy CKA_SIGN", true},
		};
		bool all = true;
		for (size_t i = 0; i < sizeof pol / sizeof pol[0]; i++) {
			if (tok_attr_bool(s, copy, pol[i].t, &v, e) ||
			    step_check(r, pol[i].name, dcbor_bool(pol[i].want), dcbor_bool(v), v == pol[i].want, e))
				goto out;
			all = all && v == pol[i].want;
		}
		if (!all) {
			err_set(e, ERR_KEY_ATTRIBUTES, "the backup copy of '%s' on token '%s' lacks the attributes it must have",
				p->key.label, p->to);
			goto out;
		}
		if (step_output(r, "backup_token", dcbor_text(p->to), e))
			goto out;
		step_show(r, "backup copy of '%s' unwrapped into token '%s'", p->key.label, p->to);
	}
	ret = 0;
out:
	/* The trusted wrap key is a public object (only the SO can set CKA_TRUSTED, and an
	 * SO session makes public objects only): left on a token, it would unwrap the blob
	 * for anyone holding the token, without a PIN or the custodians. It lives only for
	 * the operation; a later one re-creates it from the run's value or from the shares. */
	ret = step_wrapkey_remove(r, wrap_label(p->wrap), p->key.token, ret, e);
	if (p->to)
		ret = step_wrapkey_remove(r, wrap_label(p->wrap), p->to, ret, e);
	buf_free(&blob);
	buf_free(&id);
	return ret;
}

static const char *const keys[] = {"key", "wrap_key", "to", NULL};
static const char *const outputs[] = {"key_label", "key_algorithm", "mechanism", "blob_file", "blob_size",
				      "blob_sha256", "backup_token", NULL};

/* A resume: what an interrupted attempt put on the backup token (the copy, the wrap
 * key rebuilt there) is destroyed before the step runs again; the source token keeps
 * its wrap key, which the step uses (or rebuilds) again. */
static int interrupted(struct step_run *r, struct err *e)
{
	const struct backup_priv *p = r->step->priv;
	const char *labels[] = {p->key.label, ynode_get(p->wrap->node, "label")->str};
	if (!p->to) {
		step_resume_said(r, "step '%s' writes only a file, under a new name when it runs again", r->step->id);
		return 0;
	}
	return step_leftovers(r, p->to, labels, 2, e);
}

const struct step_type step_key_backup = {
	.name = "key.backup",
	.summary = "wraps a backup key under the trusted wrap key (CKM_AES_KEY_WRAP_PAD), optionally into a backup token",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
	.interrupted = interrupted,
	.needs = needs,
	.flags = STEP_BACKS_UP,
};
