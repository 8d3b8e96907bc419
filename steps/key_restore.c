/* key.restore: proves a backup restores (seed 002 step 7, "Backup not verified").
 *
 *   token: restore-test        the target token
 *   from: root-backup          the key.backup step (its blob in OUT/backup/)
 *   public_key: root-cert      a certificate or public key the restored key must match
 *   label: Root-CA-2026-restored
 *   data: restore test         the text of the test signature
 *   shares: split-wrap         optional: the shares.split step that split the wrap key
 *
 * With `shares:`, m custodians present each type their share of the wrap key (no
 * echo, step_collect_shares); the shares are combined in locked memory and the
 * security officer rebuilds the wrap key in the target token from those bytes, which
 * are then wiped; fewer than m shares (or a refused one) restore nothing. Without
 * it, the wrap key is rebuilt from the value this run holds (the wrapkey.create step
 * of the same run; a script that splits the wrap key names the split). The blob is read
 * back from the output folder and checked against the SHA-256 the backup recorded,
 * unwrapped (sensitive, never extractable, sign only), and the restored key makes a
 * test signature that is verified in software with the certificate's public key:
 * a recorded check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include "backup.h"
#include "../runner/dcbor.h"
#include "../runner/files.h"
#include "../runner/words.h"
#include "../runner/x509_read.h"
#include "../runner/x509_sign.h"
#include "../runner/hash.h"


struct restore_priv {
	const struct step *from, *key_step;
	const struct step *shares;   /* the shares.split step of the wrap key, or NULL */
	const char *role;            /* its custodian role */
	unsigned threshold;
	const char *key_artifact, *label, *data;
	bool clear;                  /* `clear: true`: the restored key is destroyed once proved */
	/* A backup an earlier ceremony made (`from: IMPORT.STEP`, e.g. the annual recovery
	 * test): its blob read from the file that ceremony recorded, checked against the
	 * SHA-256 it recorded; the wrap key rebuilt from the custodians' shares of the
	 * split it recorded (`shares: IMPORT.STEP`). */
	const struct script_import *imp;
	const struct script_input *blob_in;
	char blob_sha[80], wrap_label[128], split_id[80], wrap_ref[200];
};

static bool type_is(const struct script_import_result *r, const char *type)
{
	return r && r->begin && dcbor_text_is(dcbor_get_u(r->begin, 2), type);
}

/* `from: IMPORT.STEP`: a key.backup an imported transcript recorded. */
static int validate_imported(const struct ceremony *c, struct step *s, struct restore_priv *p, const struct ynode *from,
			     struct err *e)
{
	const struct ynode *sh = ynode_get(s->node, "shares");
	const struct script_import_result *b = script_import_result(c, from->str, &p->imp), *w, *sp;
	char file[1024];
	if (!sh || sh->kind != YN_SCALAR || strncmp(sh->str, p->imp->step->id, strlen(p->imp->step->id)) ||
	    sh->str[strlen(p->imp->step->id)] != '.')
		return script_err(c, sh ? sh : s->node, e, "step '%s': a backup from '%s' is restored with the custodians' "
							   "shares of its wrap key: expected 'shares: %s.SPLIT', the shares.split step "
							   "that ceremony recorded", s->id, p->imp->step->id, p->imp->step->id);
	if (!p->imp->usable)
		return 0;   /* the run halts at the import: only the form is checked */
	if (!b || !type_is(b, "key.backup"))
		return script_err(c, from, e, "step '%s': '%s' is not a key.backup step the imported transcript recorded",
				  s->id, from->str);
	const cbor_item_t *out = dcbor_get_u(b->body, 3), *par = dcbor_get_u(b->begin, 3);
	dcbor_text_into(dcbor_get(out, "blob_file"), file, sizeof file);
	dcbor_text_into(dcbor_get(out, "blob_sha256"), p->blob_sha, sizeof p->blob_sha);
	char wid[128];
	dcbor_text_into(dcbor_get(par, "wrap_key"), wid, sizeof wid);
	snprintf(p->wrap_ref, sizeof p->wrap_ref, "%s.%s", p->imp->step->id, wid);
	w = script_import_result(c, p->wrap_ref, NULL);
	dcbor_text_into(w ? dcbor_get(dcbor_get_u(w->body, 3), "label") : NULL, p->wrap_label, sizeof p->wrap_label);
	if (!file[0] || !p->blob_sha[0] || !p->wrap_label[0])
		return script_err(c, from, e, "step '%s': the imported transcript does not record the backup file, its "
						"SHA-256 and its wrap key for '%s'", s->id, from->str);
	sp = script_import_result(c, sh->str, NULL);
	const cbor_item_t *spar = sp && sp->begin ? dcbor_get_u(sp->begin, 3) : NULL, *sec = dcbor_get(spar, "secret");
	char secstep[128], role[64];
	uint64_t th = 0;
	dcbor_text_into(dcbor_get(sec, "step"), secstep, sizeof secstep);
	dcbor_text_into(dcbor_get(spar, "custodian"), role, sizeof role);
	if (!sp || !type_is(sp, "shares.split") || strcmp(secstep, wid) ||
	    !dcbor_as_u64(dcbor_get(dcbor_get_u(sp->body, 3), "threshold"), &th) || !th)
		return script_err(c, sh, e, "step '%s': '%s' is not the imported ceremony's split of the wrap key '%s'",
				  s->id, sh->str, p->wrap_label);
	const struct role *ro = script_role(c, role);
	if (!ro)
		return script_err(c, sh, e, "step '%s': the wrap key's shares are held by role '%s' of the earlier "
					    "ceremony, which this script does not declare", s->id, role);
	p->role = ro->name;
	p->threshold = (unsigned)th;
	dcbor_text_into(dcbor_get(dcbor_get_u(sp->body, 3), "split_id"), p->split_id, sizeof p->split_id);
	return script_input_raw(c, s, from, file, &p->blob_in, e);
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *from = ynode_get(s->node, "from"), *pub = ynode_get(s->node, "public_key"),
			   *label = ynode_get(s->node, "label"), *data = ynode_get(s->node, "data");
	struct restore_priv *p;
	if (!from || !pub || !label || !data)
		return script_err(c, s->node, e, "step '%s': missing '%s'", s->id,
				  !from ? "from" : !pub ? "public_key" : !label ? "label" : "data");
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	const struct ynode *cl = ynode_get(s->node, "clear");
	if (cl && ynode_want_bool(c->doc, cl, "'clear' (true or false)", &p->clear, e))
		return -1;
	/* IMPORT.STEP: a backup an earlier ceremony made. */
	const char *dot = from->kind == YN_SCALAR ? strchr(from->str, '.') : NULL;
	char fid[128];
	snprintf(fid, sizeof fid, "%.*s", dot ? (int)(dot - from->str) : 0, dot ? from->str : "");
	const struct step *fi = dot ? script_step(c, fid) : NULL;
	if (fi && step_is(fi, STEP_IMPORTS) && fi->index < s->index) {
		if (script_ref(c, s, pub, &p->key_step, &p->key_artifact, e) ||
		    ynode_want_str(c->doc, label, "'label'", &p->label, e) ||
		    ynode_want_str(c->doc, data, "'data'", &p->data, e))
			return -1;
		if (pub->kind == YN_SCALAR && !strchr(pub->str, '.'))
			p->key_artifact = step_is(p->key_step, STEP_MAKES_KEY) ? "public_key" : "certificate";
		p->imp = script_import_of(c, fi);
		return validate_imported(c, s, p, from, e);
	}
	if (step_ref_flagged(c, s, from, STEP_BACKS_UP, "key.backup", &p->from, e) || script_ref(c, s, pub, &p->key_step, &p->key_artifact, e) ||
	    ynode_want_str(c->doc, label, "'label'", &p->label, e) || ynode_want_str(c->doc, data, "'data'", &p->data, e))
		return -1;
	if (pub->kind == YN_SCALAR && !strchr(pub->str, '.'))
		p->key_artifact = step_is(p->key_step, STEP_MAKES_KEY) ? "public_key" : "certificate";
	if (!p->label[0] || !p->data[0])
		return script_err(c, label, e, "step '%s': 'label' and 'data' must not be empty", s->id);
	const struct ynode *sh = ynode_get(s->node, "shares");
	if (sh) {
		const struct step *wrap = key_backup_of(p->from)->wrap;
		if (step_ref_flagged(c, s, sh, STEP_SPLITS, "shares.split", &p->shares, e))
			return -1;
		/* token.init splits too, but its split is of a PIN, never of a wrap key. */
		if (step_is(p->shares, STEP_INITS_TOKEN))
			return script_err(c, sh, e, "step '%s': '%s' is a %s step, not shares.split", s->id, p->shares->id,
					  p->shares->type->name);
		const struct ynode *sec = ynode_get(p->shares->node, "secret"), *st = sec ? ynode_get(sec, "step") : NULL,
				   *nm = sec ? ynode_get(sec, "name") : NULL, *th = ynode_get(p->shares->node, "threshold"),
				   *cu = ynode_get(p->shares->node, "custodian");
		if (!st || !nm || strcmp(st->str, wrap->id) || strcmp(nm->str, "wrap_key"))
			return script_err(c, sh, e, "step '%s': '%s' must split the wrap key of '%s' (secret: {step: %s, name: "
						    "wrap_key})", s->id, p->shares->id, p->from->id, wrap->id);
		p->threshold = (unsigned)strtoul(th->str, NULL, 10);
		p->role = cu->str;
	}
	return 0;
}

static CK_KEY_TYPE key_type_of(EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC: return CKK_EC;
	case EVP_PKEY_ED25519: return CKK_EC_EDWARDS;
	case EVP_PKEY_RSA: return CKK_RSA;
	default:   /* a provider's key (OpenSSL 3.5's ML-DSA) has no legacy id */
		return EVP_PKEY_is_a(k, "ML-DSA-65") ? CKK_ML_DSA : (CK_KEY_TYPE)-1;
	}
}

static int execute(struct step_run *r, struct err *e)
{
	const struct restore_priv *p = r->step->priv;
	const struct step *wrap_step = p->imp ? NULL : key_backup_of(p->from)->wrap;
	const char *wrap_label = p->imp ? p->wrap_label : ynode_get(wrap_step->node, "label")->str;
	const char *wrap_id = p->imp ? p->wrap_ref : wrap_step->id;
	bool with_shares = p->shares || p->imp;
	struct tok_session *s;
	struct x509_obj key = {0};
	struct x509_key k = {0};
	struct x509_sigalg sa = {0};
	struct buf sig = {0};
	uint8_t *blob = NULL, sha[32];
	struct shamir_share got[SHAMIR_MAX_SHARES];
	const char *who[SHAMIR_MAX_SHARES];
	size_t given = 0;
	struct secret *value = NULL;
	cbor_item_t *names = NULL;
	size_t blob_len = 0, kl;
	const uint8_t *kd;
	CK_OBJECT_HANDLE wrap;
	char path[4200], hex[80], alg[32];
	bool valid = false, v;
	int ret = -1;

	memset(got, 0, sizeof got);
	if (step_find_artifact(r, p->key_step->id, p->key_artifact, &kd, &kl, e) || x509_obj_parse(kd, kl, &key, e))
		goto out;
	if (!key.pub) {
		err_set(e, ERR_RESTORE, "%s.%s is not a public key or a certificate", p->key_step->id, p->key_artifact);
		goto out;
	}
	if (p->imp) {
		/* Read when the script loaded; it must be what the earlier ceremony wrapped. */
		if (!(blob = malloc(p->blob_in->len ? p->blob_in->len : 1))) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(blob, p->blob_in->data, p->blob_in->len);
		blob_len = p->blob_in->len;
	} else if (backup_blob_path(r, p->from->id, step_attempts(r, p->from->id), path, sizeof path, e) ||
		   files_read(path, 1 << 20, &blob, &blob_len, e)) {   /* the latest attempt of the backup passed */
		goto out;
	}
	hash_sha256(blob, blob_len, sha);
	if (step_output(r, "blob_sha256", dcbor_text(words_hex(sha, sizeof sha, hex, sizeof hex)), e) ||
	    step_output(r, "blob_size", dcbor_uint(blob_len), e))
		goto out;
	if (p->imp) {
		bool same = !strcmp(hex, p->blob_sha);
		char what[300];
		snprintf(what, sizeof what, "blob_sha256 (same as %s.blob_sha256)", ynode_get(r->step->node, "from")->str);
		if (step_output(r, "blob_file", dcbor_text(p->blob_in->name), e) ||
		    step_check(r, what, dcbor_text(p->blob_sha), dcbor_text(hex), same, e))
			goto out;
		if (!same) {
			err_set(e, ERR_RESTORE, "'%s' is not the backup the earlier ceremony wrote (SHA-256 %s, recorded %s)",
				p->blob_in->name, hex, p->blob_sha);
			goto out;
		}
	}
	if (with_shares) {
		/* Nothing touches the token before m shares have rebuilt the wrap key. */
		const char *wl = wrap_label;
		char for_what[160], if_short[200];
		snprintf(for_what, sizeof for_what, "the wrap key '%s'", wl);
		snprintf(if_short, sizeof if_short, "the wrap key '%s' is not rebuilt and nothing is restored", wl);
		if (step_collect_shares(r, p->role, p->threshold, p->shares ? p->shares->id : NULL, for_what, if_short, got,
					who, &given, e))
			goto out;
		/* The split the earlier ceremony recorded, and no other custodian card. */
		for (size_t i = 0; p->imp && i < given; i++) {
			char id[2 * SHAMIR_ID_LEN + 1];
			words_hex(got[i].split_id, SHAMIR_ID_LEN, id, sizeof id);
			if (strcmp(id, p->split_id)) {
				err_set(e, ERR_SHARES, "the share %s gave is of split %s, not of the wrap key's split %s", who[i], id,
					p->split_id);
				goto out;
			}
		}
		if (!(value = secret_new(256, e)) || shamir_combine(got, given, value, e))
			goto out;
		for (size_t i = 0; i < given; i++)
			shamir_share_clear(&got[i]);
		step_show(r, "the wrap key '%s' rebuilt from %zu shares (%s)", wl, given, p->role);
	}
	if (step_wrapkey_on(r, wrap_id, wrap_label, r->step->token, value, "wrap_key_", &wrap, e) ||
	    step_session_on(r, r->step->token, &s, e))
		goto out;
	if (tok_unwrap_private(s, wrap, blob, blob_len, key_type_of(key.pub), p->label, NULL, 0, 0, &k.priv, e))
		goto out;
	static const struct { CK_ATTRIBUTE_TYPE t; const char *name; bool want; } pol[] = {
		{CKA_SENSITIVE, "CKA_SENSITIVE", true}, {CKA_EXTRACTABLE, "CKA_EXTRACTABLE", false},
		{CKA_SIGN, "CKA_SIGN", true}, {CKA_DECRYPT, "CKA_DECRYPT", false},
	};
	for (size_t i = 0; i < sizeof pol / sizeof pol[0]; i++)
		if (tok_attr_bool(s, k.priv, pol[i].t, &v, e) ||
		    step_check(r, pol[i].name, dcbor_bool(pol[i].want), dcbor_bool(v), v == pol[i].want, e))
			goto out;
	/* The test signature: made by the restored key through the ceremony's own signing
	 * code, checked against the public key the script names. */
	k.sess = s;
	k.pkey = key.pub;
	EVP_PKEY_up_ref(key.pub);
	x509_pubkey_name(key.pub, alg, sizeof alg);
	snprintf(k.algorithm, sizeof k.algorithm, "%s", alg);
	if (buf_append(&k.spki, key.der.p, key.der.len, e) || x509_sigalg_resolve(alg, &sa, e))
		goto out;
	if (x509_sign(&k, &sa, (const uint8_t *)p->data, strlen(p->data), &sig, e))
		goto out;
	/* Checked against the certificate's key, not the one the restored key exports. */
	enum err_answer checked = x509_verify_data(key.pub, &sa, sig.p, sig.len, (const uint8_t *)p->data,
						   strlen(p->data), e);
	if (checked == ERR_ANSWER_ERROR)
		goto out;
	valid = checked == ERR_ANSWER_YES;
	char what[256];
	snprintf(what, sizeof what, "test signature of the restored key, checked with %s.%s", p->key_step->id,
		 p->key_artifact);
	if (step_check(r, what, dcbor_text("valid"), dcbor_text(valid ? "valid" : "not valid"), valid, e) ||
	    step_output(r, "label", dcbor_text(p->label), e) || step_output(r, "key_algorithm", dcbor_text(alg), e) ||
	    step_output(r, "signature_valid", dcbor_bool(valid), e) || step_output(r, "data", dcbor_text(p->data), e))
		goto out;
	if (!valid) {
		err_set(e, ERR_RESTORE, "the restored key's test signature does not verify with %s.%s", p->key_step->id,
			p->key_artifact);
		goto out;
	}
	step_show(r, "'%s' restored into token '%s'; its test signature verifies with %s", p->label, r->step->token,
		  p->key_step->id);
	/* A test partition is left as it was found: the restored key goes once proved. */
	if (p->clear) {
		if (tok_destroy(s, k.priv, e))
			goto out;
		k.priv = CK_INVALID_HANDLE;
		step_show(r, "'%s' destroyed on token '%s' (clear: true)", p->label, r->step->token);
	}
	if (step_output(r, "cleared", dcbor_bool(p->clear), e))
		goto out;
	ret = 0;
out:
	if (with_shares) {
		/* Who gave a share is recorded, success or not: names and a count, no share. A
		 * failure here is reported only when the step had none of its own. */
		struct err mine = {.kind = ERR_NONE}, *to = ret ? &mine : e;
		int rc = !(names = dcbor_array()) ? err_set(to, ERR_NOMEM, "out of memory") : 0;
		for (size_t i = 0; !rc && i < given; i++)
			rc = dcbor_push(names, dcbor_text(who[i]), to);
		if (!rc)
			rc = step_output(r, "shares_given", dcbor_uint(given), to);
		if (!rc) {
			rc = step_output(r, "custodians", names, to);   /* takes names, failing or not */
			names = NULL;
		}
		if (names)
			cbor_decref(&names);
		if (rc)
			ret = -1;
	}
	for (size_t i = 0; i < given; i++)
		shamir_share_clear(&got[i]);
	secret_free(value);
	/* Not left on the token: see key.backup. */
	ret = step_wrapkey_remove(r, wrap_label, r->step->token, ret, e);
	k.sess = NULL;
	x509_key_free(&k);
	buf_free(&sig);
	x509_obj_free(&key);
	free(blob);
	return ret;
}

/* A resume: the restored key and the wrap key an interrupted attempt put on the
 * target token are destroyed before the step runs again. */
static int interrupted(struct step_run *r, struct err *e)
{
	const struct restore_priv *p = r->step->priv;
	const char *labels[] = {p->label, p->imp ? p->wrap_label : ynode_get(key_backup_of(p->from)->wrap->node, "label")->str};
	return step_leftovers(r, r->step->token, labels, 2, e);
}

static const char *const keys[] = {"from", "public_key", "label", "data", "shares", "clear", NULL};
static const char *const outputs[] = {"blob_sha256", "blob_size", "blob_file", "label", "key_algorithm", "signature_valid",
				      "data", "shares_given", "custodians", "cleared", NULL};

static size_t questions(const struct ceremony *c, const struct step *s, struct step_question *out, size_t max)
{
	(void)c;
	const struct restore_priv *p = s->priv;
	if (max < 2 || !p->role)
		return 0;
	out[0] = (struct step_question){p->role, "custodian", p->threshold, NULL};
	out[1] = (struct step_question){p->role, "share", p->threshold, NULL};
	return 2;
}

static const char *const asks[] = {"custodian", "share", NULL};
const struct step_type step_key_restore = {
	.name = "key.restore",
	.summary = "restores a backup into a token and proves it with a test signature",
	.keys = keys,
	.outputs = outputs,
	.asks = asks,
	.flags = STEP_USES_TOKEN,
	.questions = questions,
	.validate = validate,
	.execute = execute,
	.interrupted = interrupted,
};
