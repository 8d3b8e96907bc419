/* script_input: the files a script names where it names an artifact ({file: PATH};
 * see script.h). Read and parsed once, while the script loads, so that a missing or
 * unreadable file stops `check` (FILE:LINE:COL), not the room; the steps then take
 * them as they take an earlier step's artifact. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "files.h"
#include "hash.h"
#include "script.h"
#include "step.h"
#include "x509_read.h"

enum { INPUT_MAX_BYTES = 1 << 20 };   /* a certificate, CSR, CRL or key: far below a megabyte */

static const char *const cert_arts[] = {"certificate", NULL};
static const char *const csr_arts[] = {"csr", NULL};
static const char *const crl_arts[] = {"crl", NULL};
static const char *const key_arts[] = {"public_key", NULL};
/* What an input stands as: the flags of the step types that make the same. */
static const struct step_type input_cert = {.name = "file (certificate)", .artifacts = cert_arts,
					    .flags = STEP_MAKES_CERT};
static const struct step_type input_csr = {.name = "file (certificate request)", .artifacts = csr_arts,
					   .flags = STEP_MAKES_CSR};
static const struct step_type input_crl = {.name = "file (CRL)", .artifacts = crl_arts, .flags = STEP_MAKES_CRL};
static const struct step_type input_key = {.name = "file (public key)", .artifacts = key_arts};
static const char *const data_arts[] = {"data", NULL};
static const struct step_type input_data = {.name = "file (data)", .artifacts = data_arts};

/* in stands in references as a step of type t, id prefix + name, placed at no
 * position of the script (index SIZE_MAX), named at n; appended to c's inputs. */
static void stand_in(const struct ceremony *c, struct script_input *in, const struct step_type *t, const struct ynode *n,
		     const char *prefix, const char *name)
{
	in->step.type = t;
	in->kind = t->artifacts[0];
	snprintf(in->id, sizeof in->id, "%s%s", prefix, name);
	in->step.id = in->id;
	in->step.title = in->id;
	in->step.index = SIZE_MAX;
	in->step.node = n;
	c->inputs->v[c->inputs->n++] = in;
}

bool script_is_input(const struct step *t)
{
	return t && (t->type == &input_cert || t->type == &input_csr || t->type == &input_crl || t->type == &input_key ||
		     t->type == &input_data);
}

const struct script_input *script_input_of(const struct step *t)
{
	return script_is_input(t) ? (const struct script_input *)((const char *)t - offsetof(struct script_input, step))
				  : NULL;
}

void script_inputs_free(struct script_inputs *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i]->path);
		free(in->v[i]->data);
		free(in->v[i]);
	}
	free(in->v);
	free(in);
}

/* Relative to the script's folder, as a reviewer reads the script. */
char *script_path_of(const struct ceremony *c, const char *name)
{
	const char *slash = strrchr(c->doc->name, '/');
	char *p = NULL;
	if (name[0] == '/' || !slash)
		return strdup(name);
	return asprintf(&p, "%.*s/%s", (int)(slash - c->doc->name), c->doc->name, name) < 0 ? NULL : p;
}

int script_input_ref(const struct ceremony *c, const struct step *from, const struct ynode *n, const struct step **target,
		     const char **artifact, struct err *e)
{
	const struct ynode *f = ynode_get(n, "file");
	struct script_inputs *all = c->inputs;
	struct script_input *in = NULL;
	struct x509_obj o = {0};
	const char *name;
	if (!f || n->n != 1)
		return script_err(c, n, e, "expected a reference to an earlier step ('STEP' or 'STEP.ARTIFACT', or "
					   "{file: PATH}) in step '%s', found a map without just 'file'", from->id);
	if (ynode_want_str(c->doc, f, "'file' (a path)", &name, e))
		return -1;
	if (!name[0])
		return script_err(c, f, e, "step '%s': an empty file name", from->id);
	for (size_t i = 0; i < all->n; i++)
		if (!all->v[i]->imported && !strcmp(all->v[i]->name, name)) {
			*target = &all->v[i]->step;
			*artifact = all->v[i]->kind;
			return 0;
		}
	struct script_input **nv = realloc(all->v, (all->n + 1) * sizeof *nv);
	if (!nv || !(in = calloc(1, sizeof *in)) || !(in->path = script_path_of(c, name))) {
		if (nv)
			all->v = nv;
		free(in);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	all->v = nv;
	in->name = name;
	int rc = c->source ? c->source->read(c->source->ctx, name, in->path, INPUT_MAX_BYTES, &in->data, &in->len, e)
			   : files_read(in->path, INPUT_MAX_BYTES, &in->data, &in->len, e);
	if (rc || x509_obj_parse(in->data, in->len, &o, e)) {
		script_err(c, f, e, "step '%s': '%s': %s", from->id, name, e->msg);
		goto fail;
	}
	switch (o.kind) {
	case X509_OBJ_CERT: in->step.type = &input_cert; break;
	case X509_OBJ_CSR: in->step.type = &input_csr; break;
	case X509_OBJ_CRL: in->step.type = &input_crl; break;
	case X509_OBJ_PUBKEY: in->step.type = &input_key; break;
	default:
		script_err(c, f, e, "step '%s': '%s' is not a certificate, certificate request, CRL or public key (PEM or DER)",
			   from->id, name);
		goto fail;
	}
	/* Genesis has the file as read; the steps have its DER (a fingerprint is of the DER). */
	hash_sha256(in->data, in->len, in->sha256);
	in->file_len = in->len;
	uint8_t *der = malloc(o.der.len ? o.der.len : 1);
	if (!der) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	memcpy(der, o.der.p, o.der.len);
	free(in->data);
	in->data = der;
	in->len = o.der.len;
	x509_obj_free(&o);
	stand_in(c, in, in->step.type, n, "file:", name);
	*target = &in->step;
	*artifact = in->kind;
	return 0;
fail:
	x509_obj_free(&o);
	free(in->path);
	free(in->data);
	free(in);
	return -1;
}

static const struct step_type *type_of_kind(const char *kind)
{
	return !strcmp(kind, "certificate") ? &input_cert
	       : !strcmp(kind, "csr")       ? &input_csr
	       : !strcmp(kind, "crl")       ? &input_crl
	       : !strcmp(kind, "public_key") ? &input_key
					     : NULL;
}

int script_input_imported(const struct ceremony *c, const struct script_import *imp, const char *id, const char *kind,
			  const uint8_t *der, size_t len, const struct ynode *n, const struct step **target, struct err *e)
{
	struct script_inputs *all = c->inputs;
	struct script_input *in = NULL;
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i]->imported == imp && !strcmp(all->v[i]->id, id) && !strcmp(all->v[i]->kind, kind)) {
			*target = &all->v[i]->step;
			return 0;
		}
	struct script_input **nv = realloc(all->v, (all->n + 1) * sizeof *nv);
	if (nv)
		all->v = nv;
	if (!nv || !(in = calloc(1, sizeof *in)) || (der && !(in->data = malloc(len ? len : 1)))) {
		free(in);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	if (der)
		memcpy(in->data, der, len);
	in->len = len;
	in->imported = imp;
	stand_in(c, in, type_of_kind(kind), n, "", id);
	in->name = in->id;
	*target = &in->step;
	return 0;
}

int script_input_raw(const struct ceremony *c, const struct step *from, const struct ynode *n, const char *name,
		     const struct script_input **out, struct err *e)
{
	struct script_inputs *all = c->inputs;
	struct script_input *in = NULL;
	for (size_t i = 0; i < all->n; i++)
		if (!all->v[i]->imported && all->v[i]->step.type == &input_data && !strcmp(all->v[i]->name, name)) {
			*out = all->v[i];
			return 0;
		}
	struct script_input **nv = realloc(all->v, (all->n + 1) * sizeof *nv);
	if (nv)
		all->v = nv;
	if (!nv || !(in = calloc(1, sizeof *in)) || !(in->path = script_path_of(c, name))) {
		free(in);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	int rc = c->source ? c->source->read(c->source->ctx, name, in->path, INPUT_MAX_BYTES, &in->data, &in->len, e)
			   : files_read(in->path, INPUT_MAX_BYTES, &in->data, &in->len, e);
	if (rc) {
		script_err(c, n, e, "step '%s': '%s': %s", from->id, name, e->msg);
		free(in->path);
		free(in);
		return -1;
	}
	hash_sha256(in->data, in->len, in->sha256);
	in->file_len = in->len;
	stand_in(c, in, &input_data, n, "file:", name);
	in->name = in->id + 5;   /* name may be borrowed from what an import recorded */
	*out = in;
	return 0;
}
