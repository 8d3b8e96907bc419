/* artifact.export: public artifacts copied to export media (seed 004 §4: "copied to
 * two USB drives in both PEM and DER format"), never overwriting a file, then each
 * copy read back and its content's SHA-256 compared with the artifact's: the
 * fingerprint read aloud is the fingerprint of what is on the drive.
 *
 *   artifacts: [root-cert, {of: root-key.public_key, name: root-ca-key}]
 *   formats: [pem, der]          optional, default [pem]
 *   media: [usb-1, /media/usb2]
 *
 * A medium is a folder. An absolute path must exist already (a mounted drive: a
 * missing mount must not turn into a folder on the workstation's disk). A relative
 * path is a folder under the run's output folder (--out DIR), made when missing: that
 * is what rehearsals and tests use. Files are named NAME.pem / NAME.der, NAME being
 * the step id of the artifact unless the entry gives `name`.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "steps.h"
#include "../runner/x509_read.h"
#include "../runner/files.h"
#include "../runner/words.h"
#include "../runner/hash.h"

enum { MAX_EXPORTS = 16, MAX_MEDIA = 8, MAX_FILE_NAME = 100, MAX_EXPORT_BYTES = 16 * 1024 * 1024 };

struct ex_item {
	const struct step *step;
	const char *artifact;
	const char *name;          /* file name without extension */
};

/* One allocation (s->priv is freed with free()). */
struct ex_priv {
	struct ex_item items[MAX_EXPORTS];
	size_t n;
	bool pem, der;
	const char *media[MAX_MEDIA];
	size_t n_media;
};

static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MAX_FILE_NAME || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* A relative medium stays under the output folder: no ".." component, no empty one. */
static bool safe_relative(const char *s)
{
	const char *p = s;
	if (!*s)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return s[strlen(s) - 1] != '/';
}

static int parse_item(const struct ceremony *c, struct step *s, const struct ynode *n, size_t i, struct ex_item *out,
		      struct err *e)
{
	static const char *const keys[] = {"of", "name", NULL};
	const struct ynode *ref = n, *name = NULL;
	char what[128];
	if (n->kind == YN_MAP) {
		snprintf(what, sizeof what, "entry %zu of 'artifacts' of step '%s'", i + 1, s->id);
		if (ynode_only_keys(c->doc, n, keys, what, e))
			return -1;
		if (!(ref = ynode_get(n, "of")))
			return script_err(c, n, e, "%s: missing 'of' (STEP or STEP.ARTIFACT)", what);
		name = ynode_get(n, "name");
	}
	if (script_ref(c, s, ref, &out->step, &out->artifact, e))
		return -1;
	out->name = out->step->id;
	if (name) {
		if (ynode_want_str(c->doc, name, "'name' (a file name without extension)", &out->name, e))
			return -1;
		if (!plain_name(out->name))
			return script_err(c, name, e,
					  "expected a plain file name for 'name' (letters, digits, '.', '_', '-'; up to %d), "
					  "found '%s'", MAX_FILE_NAME, out->name);
	}
	return 0;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	const struct ynode *arts = ynode_get(s->node, "artifacts"), *formats = ynode_get(s->node, "formats"),
			   *media = ynode_get(s->node, "media");
	struct ex_priv *p;
	if (!arts)
		return script_err(c, s->node, e, "step '%s': missing 'artifacts' (the steps or STEP.ARTIFACTs to export)",
				  s->id);
	if (!media)
		return script_err(c, s->node, e, "step '%s': missing 'media' (the export folders)", s->id);
	if (ynode_want_seq(c->doc, arts, "'artifacts' (a list of STEP or STEP.ARTIFACT)", e) ||
	    ynode_want_seq(c->doc, media, "'media' (a list of folders)", e) ||
	    (formats && ynode_want_seq(c->doc, formats, "'formats' (a list of pem and der)", e)))
		return -1;
	if (arts->n == 0 || arts->n > MAX_EXPORTS)
		return script_err(c, arts, e, "step '%s': expected 1 to %d artifacts, found %zu", s->id, MAX_EXPORTS, arts->n);
	if (media->n == 0 || media->n > MAX_MEDIA)
		return script_err(c, media, e, "step '%s': expected 1 to %d media, found %zu", s->id, MAX_MEDIA, media->n);
	if (!(p = calloc(1, sizeof *p)))
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	for (size_t i = 0; i < arts->n; i++) {
		if (parse_item(c, s, arts->vals[i], i, &p->items[i], e))
			return -1;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(p->items[k].name, p->items[i].name))
				return script_err(c, arts->vals[i], e,
						  "step '%s': two artifacts would be written as '%s'; give one of them a "
						  "'name' ({of: REF, name: NAME})",
						  s->id, p->items[i].name);
		p->n++;
	}
	if (!formats) {
		p->pem = true;
	} else {
		if (formats->n == 0)
			return script_err(c, formats, e, "step '%s': expected pem, der or both in 'formats'", s->id);
		for (size_t i = 0; i < formats->n; i++) {
			const char *f;
			if (ynode_want_str(c->doc, formats->vals[i], "a format (pem or der)", &f, e))
				return -1;
			bool *flag = !strcmp(f, "pem") ? &p->pem : !strcmp(f, "der") ? &p->der : NULL;
			if (!flag)
				return script_err(c, formats->vals[i], e, "unknown format '%s' (expected pem or der)", f);
			if (*flag)
				return script_err(c, formats->vals[i], e, "format '%s' is listed twice", f);
			*flag = true;
		}
	}
	for (size_t i = 0; i < media->n; i++) {
		const char *m;
		if (ynode_want_str(c->doc, media->vals[i], "a medium (an export folder)", &m, e))
			return -1;
		if (strlen(m) >= PATH_MAX / 2)
			return script_err(c, media->vals[i], e, "the folder name is too long");
		if (m[0] != '/' && !safe_relative(m))
			return script_err(c, media->vals[i], e,
					  "expected an absolute folder or a relative one under the output folder (no '.', "
					  "'..' or empty parts), found '%s'",
					  m);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(p->media[k], m))
				return script_err(c, media->vals[i], e, "medium '%s' is listed twice", m);
		p->media[p->n_media++] = m;
	}
	return 0;
}

/* ---- execution ------------------------------------------------------------- */

struct copy {
	char path[PATH_MAX];       /* where it is written */
	char shown[PATH_MAX];      /* as recorded: relative to the output folder, or absolute */
	const struct ex_item *item;
	const struct x509_obj *obj;
	bool pem;
};

/* Whether an absolute medium is a mounted drive: a folder on another file system than
 * its parent's (a mount point's folder exists with nothing mounted on it, and files
 * must never land on the workstation's disk). Else why, into why. */
static bool medium_mounted(const char *m, char *why, size_t len)
{
	struct stat st, pst;
	char parent[PATH_MAX];
	if (stat(m, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "the export medium '%s' is not a folder here: is the drive mounted?", m);
		return false;
	}
	if (snprintf(parent, sizeof parent, "%s/..", m) >= (int)sizeof parent || stat(parent, &pst) != 0 ||
	    pst.st_dev == st.st_dev) {
		snprintf(why, len, "the export medium '%s' is not a mounted drive (same file system as its parent folder): "
				   "mount the drive first", m);
		return false;
	}
	return true;
}

static int medium_dir(struct step_run *r, const char *m, char *dir, size_t len, struct err *e)
{
	if (m[0] == '/') {
		char why[ERR_MSG_MAX];
		if (!medium_mounted(m, why, sizeof why))
			return err_set(e, ERR_EXPORT, "%s", why);
		if (snprintf(dir, len, "%s", m) >= (int)len)
			return err_set(e, ERR_IO, "path too long: '%s'", m);
		return 0;
	}
	if (snprintf(dir, len, "%s/%s", step_out_dir(r), m) >= (int)len)
		return err_set(e, ERR_IO, "path too long: '%s/%s'", step_out_dir(r), m);
	return files_mkdirs(dir, e);
}

/* Before the first token is touched: every absolute medium is a mounted drive now. */
static bool preflight(const struct step *s, char *why, size_t len)
{
	const struct ex_priv *p = s->priv;
	size_t used = 0;
	for (size_t m = 0; m < p->n_media && used < len; m++) {
		char one[ERR_MSG_MAX];
		if (p->media[m][0] == '/' && !medium_mounted(p->media[m], one, sizeof one))
			used += (size_t)snprintf(why + used, len - used, "%s%s", used ? "; " : "", one);
	}
	return used == 0;
}

static int verify_copy(struct step_run *r, const struct copy *cp, const struct buf *written, cbor_item_t *files,
		       struct err *e)
{
	uint8_t *back = NULL, sha_file[32], sha_want[32], sha_got[32];
	size_t back_len = 0;
	struct x509_obj o = {0};
	char want[80], got[ERR_MSG_MAX + 100], file_hex[80], what[PATH_MAX + 64];
	int ret = -1;
	if (files_read(cp->path, MAX_EXPORT_BYTES, &back, &back_len, e))
		return -1;
	hash_sha256(back, back_len, sha_file);
	hash_sha256(cp->obj->der.p, cp->obj->der.len, sha_want);
	words_hex(sha_want, sizeof sha_want, want, sizeof want);
	bool same_bytes = back_len == written->len && !memcmp(back, written->p, back_len);
	/* What the copy holds, read as a relying party would read it. */
	if (x509_obj_parse(back, back_len, &o, e))
		snprintf(got, sizeof got, "unreadable: %s", e->msg);
	else if (o.kind != cp->obj->kind)
		snprintf(got, sizeof got, "not a %s", x509_obj_kind_name(cp->obj->kind));
	else
		(hash_sha256(o.der.p, o.der.len, sha_got), words_hex(sha_got, sizeof sha_got, got, sizeof got));
	bool held = same_bytes && o.kind == cp->obj->kind && !strcmp(got, want);
	if (!same_bytes && o.kind == cp->obj->kind)
		snprintf(got + strlen(got), sizeof got - strlen(got), " (the file differs from what was written)");
	snprintf(what, sizeof what, "%s: SHA-256 of the %s read back", cp->shown, x509_obj_kind_name(cp->obj->kind));
	cbor_item_t *f = dcbor_map();
	if (!f) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (dcbor_put(f, "file", dcbor_text(cp->shown), e) ||
	    dcbor_put(f, "sha256", dcbor_text(words_hex(sha_file, sizeof sha_file, file_hex, sizeof file_hex)), e) ||
	    dcbor_put(f, "bytes", dcbor_uint(back_len), e)) {
		cbor_decref(&f);
		goto out;
	}
	if (dcbor_push(files, f, e))   /* takes f, failing or not */
		goto out;
	if (step_check(r, what, dcbor_text(want), dcbor_text(got), held, e))
		goto out;
	if (!held) {
		err_set(e, ERR_EXPORT, "the copy '%s' does not read back as the artifact %s.%s", cp->shown, cp->item->step->id,
			cp->item->artifact);
		goto out;
	}
	ret = 0;
out:
	x509_obj_free(&o);
	free(back);
	return ret;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct ex_priv *p = r->step->priv;
	struct x509_obj objs[MAX_EXPORTS] = {{0}};
	struct copy *copies = NULL;
	size_t n_copies = 0;
	cbor_item_t *files = dcbor_array();
	struct buf bytes = {0};
	int ret = -1;

	if (!files || !(copies = calloc(p->n * p->n_media * 2, sizeof *copies))) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct ex_item *it = &p->items[i];
		const uint8_t *d;
		size_t l;
		if (step_find_artifact(r, it->step->id, it->artifact, &d, &l, e) || x509_obj_parse(d, l, &objs[i], e))
			goto out;
		if (objs[i].kind == X509_OBJ_UNKNOWN) {
			err_set(e, ERR_EXPORT, "%s.%s is not a certificate, CRL, certificate request or public key; only those are "
					     "exported", it->step->id, it->artifact);
			goto out;
		}
	}
	/* Every name is checked before anything is written: a refused export leaves no
	 * half-filled drive behind. */
	for (size_t m = 0; m < p->n_media; m++) {
		char dir[PATH_MAX];
		if (medium_dir(r, p->media[m], dir, sizeof dir, e))
			goto out;
		for (size_t i = 0; i < p->n; i++)
			for (int f = 0; f < 2; f++) {
				if (!(f == 0 ? p->pem : p->der))
					continue;
				struct copy *cp = &copies[n_copies++];
				const char *ext = f == 0 ? "pem" : "der";
				cp->item = &p->items[i];
				cp->obj = &objs[i];
				cp->pem = f == 0;
				if (snprintf(cp->path, sizeof cp->path, "%s/%s.%s", dir, cp->item->name, ext) >= (int)sizeof cp->path ||
				    snprintf(cp->shown, sizeof cp->shown, "%s/%s.%s", p->media[m], cp->item->name, ext) >=
					    (int)sizeof cp->shown) {
					err_set(e, ERR_IO, "path too long in '%s'", dir);
					goto out;
				}
				/* A resume's adopted attempt compares what is there instead. */
				if (access(cp->path, F_OK) == 0 && !step_adopting(r)) {
					err_set(e, ERR_EXPORT, "'%s' exists already: export files are never overwritten; use a fresh "
							     "medium or remove the file after checking what it is",
						cp->path);
					goto out;
				}
			}
	}
	for (size_t i = 0; i < n_copies; i++) {
		struct copy *cp = &copies[i];
		bytes.len = 0;
		if (cp->pem ? x509_obj_pem(cp->obj, &bytes, e) : buf_append(&bytes, cp->obj->der.p, cp->obj->der.len, e))
			goto out;
		if (step_adopting(r) && access(cp->path, F_OK) == 0) {
			step_show(r, "%s was written before the interruption: read back and compared", cp->shown);
		} else {
			if (files_write_new(cp->path, bytes.p, bytes.len, e))
				goto out;
			step_show(r, "%s written (%zu bytes)", cp->shown, bytes.len);
		}
		if (verify_copy(r, cp, &bytes, files, e))
			goto out;
	}
	step_show(r, "%zu file%s exported and read back", n_copies, n_copies == 1 ? "" : "s");
	ret = 0;
out:
	/* What was written is recorded even when a later copy failed. */
	if (files && cbor_array_size(files)) {
		struct err oe = {.kind = ERR_NONE};
		struct err *to = ret ? &oe : e;
		if (step_output(r, "count", dcbor_uint(cbor_array_size(files)), to)) {
			ret = -1;
		} else {
			int rc = step_output(r, "files", files, to);
			files = NULL;   /* handed over, even on failure */
			if (rc)
				ret = -1;
		}
	}
	if (files)
		cbor_decref(&files);
	buf_free(&bytes);
	free(copies);
	for (size_t i = 0; i < MAX_EXPORTS; i++)
		x509_obj_free(&objs[i]);
	return ret;
}

/* A resume: an interrupted export may have left temporary files (files_write_new
 * writes NAME.tmp-RANDOM, then links it to NAME) and some whole copies. The
 * temporary ones are removed; the whole ones are kept and compared, byte for byte,
 * with the artifact when the step runs again (step_adopt): one that differs fails it. */
static int interrupted(struct step_run *r, struct err *e)
{
	const struct ex_priv *p = r->step->priv;
	size_t tidied = 0, there = 0;
	for (size_t m = 0; m < p->n_media; m++) {
		char dir[PATH_MAX], path[PATH_MAX + 8];
		if (medium_dir(r, p->media[m], dir, sizeof dir, e))
			return -1;
		DIR *d = opendir(dir);
		struct dirent *de;
		if (!d)
			continue;   /* not made yet: nothing was written there */
		while ((de = readdir(d)))
			for (size_t i = 0; i < p->n; i++)
				for (int f = 0; f < 2; f++) {
					char prefix[300];
					snprintf(prefix, sizeof prefix, "%s.%s.tmp-", p->items[i].name, f ? "der" : "pem");
					if (strncmp(de->d_name, prefix, strlen(prefix)))
						continue;
					if (unlinkat(dirfd(d), de->d_name, 0) != 0) {
						err_errno(e, "removing the temporary file '%s/%s'", dir, de->d_name);
						closedir(d);
						return -1;
					}
					tidied++;
				}
		closedir(d);
		for (size_t i = 0; i < p->n; i++)
			for (int f = 0; f < 2; f++) {
				snprintf(path, sizeof path, "%s/%s.%s", dir, p->items[i].name, f ? "der" : "pem");
				if ((f ? p->der : p->pem) && access(path, F_OK) == 0)
					there++;
			}
	}
	if (tidied)
		step_resume_said(r, "%zu temporary file%s of the interrupted export removed", tidied, tidied == 1 ? "" : "s");
	if (!there) {
		step_resume_said(r, "the interrupted export of step '%s' wrote no whole copy; it runs again", r->step->id);
		return 0;
	}
	step_adopt(r);
	step_resume_said(r, "%zu cop%s the interrupted export wrote stay and are compared with the artifacts when step "
			    "'%s' runs again", there, there == 1 ? "y" : "ies", r->step->id);
	return 0;
}

static const char *const keys[] = {"artifacts", "formats", "media", NULL};
static const char *const outputs[] = {"count", "files", NULL};

const struct step_type step_artifact_export = {
	.name = "artifact.export",
	.summary = "writes artifacts as PEM and/or DER to export media, never overwriting, and reads each copy back",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
	.interrupted = interrupted,
	.preflight = preflight,
};
