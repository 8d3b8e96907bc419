/* Helpers shared by step types: key references, issuers, and what the certificate steps
 * share (their tier-validity warning and the mechanism their signature needs). */
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "x509_params.h"
#include "../runner/pem.h"
#include "../runner/x509_read.h"

int step_keyref_parse(const struct ceremony *c, const struct step *s, const struct ynode *n, struct step_keyref *out,
		      struct err *e)
{
	static const char *const keys[] = {"token", "label", NULL};
	memset(out, 0, sizeof *out);
	if (n->kind == YN_SCALAR) {
		const struct step *k = script_step(c, n->str);
		if (!k || k->index >= s->index)
			return script_err(c, n, e, "step '%s': '%s' is not an earlier step (expected the id of a key.generate "
						   "step, or {token: NAME, label: LABEL})",
					  s->id, n->str);
		if (!step_is(k, STEP_MAKES_KEY))
			return script_err(c, n, e, "step '%s': '%s' is a %s step, not key.generate", s->id, n->str,
					  k->type->name);
		out->made_by = k;
		out->token = k->token;
		out->label = ynode_get(k->node, "label")->str;
		out->algorithm = ynode_get(k->node, "algorithm")->str;
		return 0;
	}
	char what[128];
	snprintf(what, sizeof what, "the key of step '%s'", s->id);
	if (ynode_want_map(c->doc, n, "a key: a key.generate step id or {token: NAME, label: LABEL}", e) ||
	    ynode_only_keys(c->doc, n, keys, what, e))
		return -1;
	const struct ynode *t = ynode_get(n, "token"), *l = ynode_get(n, "label");
	if (!t || !l)
		return script_err(c, n, e, "step '%s': a key on a token needs both 'token' and 'label'", s->id);
	if (ynode_want_str(c->doc, t, "'token'", &out->token, e) || ynode_want_str(c->doc, l, "'label'", &out->label, e))
		return -1;
	if (!script_token(c, out->token))
		return script_err(c, t, e, "step '%s': no token '%s' is declared", s->id, out->token);
	if (!out->label[0] || strlen(out->label) > 64)
		return script_err(c, l, e, "expected a key label of 1 to 64 bytes");
	return 0;
}

bool step_tier_warning(const struct ceremony *c, const struct step *s, char *buf, size_t len)
{
	const struct x509_step *p = s->priv;
	(void)c;
	if (!p)
		return false;
	const struct x509_validity *v = &p->cert.validity;
	int64_t seconds = v->days ? (int64_t)v->days * 86400 : v->not_after - v->not_before;
	return x509_tier_note(p->cert.profile, seconds, buf, len);
}

bool step_makes_certificate(const struct step *t)
{
	return t->priv && step_is(t, STEP_MAKES_CERT);
}

const struct x509_step *step_x509_of(const struct step *t)
{
	return t && t->type && (t->type->flags & (STEP_MAKES_CERT | STEP_MAKES_CSR | STEP_MAKES_CRL)) ? t->priv : NULL;
}

int step_ref_flagged(const struct ceremony *c, const struct step *s, const struct ynode *n, unsigned flags,
		     const char *what, const struct step **out, struct err *e)
{
	const char *id;
	if (ynode_want_str(c->doc, n, "a step id", &id, e))
		return -1;
	for (size_t i = 0; i < s->index; i++) {
		if (strcmp(c->steps[i].id, id))
			continue;
		if (!step_is(&c->steps[i], flags))
			return script_err(c, n, e, "step '%s': '%s' is a %s step, not %s", s->id, id, c->steps[i].type->name,
					  what);
		*out = &c->steps[i];
		return 0;
	}
	return script_err(c, n, e, "step '%s': no %s step '%s' comes before it", s->id, what, id);
}

/* The issuer's certificate (a reference) and key (given, or the key the issuer
 * certificate certifies when the script knows it). */
int step_issuer_parse(const struct ceremony *c, const struct step *s, struct x509_step *p, const struct x509_step **ip,
		      struct err *e)
{
	const struct ynode *n = ynode_get(s->node, "issuer"), *kn = ynode_get(s->node, "issuer_key");
	const struct step *t;
	const char *art;
	if (!n)
		return script_err(c, s->node, e, "step '%s': missing 'issuer' (the cert.self_signed or cert.issue step "
						 "whose key signs)", s->id);
	if (script_ref(c, s, n, &t, &art, e))
		return -1;
	bool file = script_is_input(t) && step_is(t, STEP_MAKES_CERT);
	if (!step_makes_certificate(t) && !file)
		return script_err(c, n, e, "step '%s': issuer '%s' is a %s step; expected a cert.self_signed or cert.issue "
					   "step, or {file: PATH} of a certificate", s->id, t->id, t->type->name);
	if (strcmp(art, "certificate"))
		return script_err(c, n, e, "step '%s': the issuer is the DER certificate: write '%s' or '%s.certificate'",
				  s->id, t->id, t->id);
	p->issuer_step = t->id;
	*ip = file ? NULL : step_x509_of(t);
	if (file && !kn)
		return script_err(c, s->node, e, "step '%s': the issuer is the certificate in '%s': name its key with "
						 "'issuer_key: {token: NAME, label: LABEL}'", s->id, t->id + 5);
	if (file) {
		struct step_keyref kr;
		if (step_keyref_parse(c, s, kn, &kr, e))
			return -1;
		p->key_token = kr.token;
		p->key_label = kr.label;
		p->key_algorithm = kr.algorithm;
		return 0;
	}
	if (kn) {
		struct step_keyref kr;
		if (step_keyref_parse(c, s, kn, &kr, e))
			return -1;
		if ((*ip)->subject_token && (strcmp((*ip)->subject_token, kr.token) || strcmp((*ip)->subject_label, kr.label)))
			return script_err(c, kn, e, "step '%s': issuer_key is '%s' on token '%s', but issuer '%s' certifies "
						    "key '%s' on token '%s'", s->id, kr.label, kr.token, t->id,
					  (*ip)->subject_label, (*ip)->subject_token);
		p->key_token = kr.token;
		p->key_label = kr.label;
		p->key_algorithm = kr.algorithm ? kr.algorithm : (*ip)->subject_token ? (*ip)->subject_algorithm : NULL;
	} else if ((*ip)->subject_token) {
		p->key_token = (*ip)->subject_token;
		p->key_label = (*ip)->subject_label;
		p->key_algorithm = (*ip)->subject_algorithm;
	} else {
		return script_err(c, s->node, e, "step '%s': missing 'issuer_key' (the key of issuer '%s': a key.generate "
						 "step or {token: NAME, label: LABEL})", s->id, t->id);
	}
	return 0;
}

size_t step_signing_needs(const struct ceremony *c, const struct step *s, struct step_need *out, size_t max)
{
	const struct x509_step *p = s->priv;
	(void)c;
	if (!p || !p->key_algorithm || !max)
		return 0;
	out[0] = (struct step_need){p->key_token, p->key_algorithm, x509_sigalg_mech(p->key_algorithm, &p->sigalg)};
	return out[0].mech ? 1 : 0;
}

int step_own_key_parse(const struct ceremony *c, struct step *s, struct x509_step **out, struct err *e)
{
	const struct ynode *key = ynode_get(s->node, "key"), *sig = ynode_get(s->node, "signature");
	struct step_keyref kr;
	struct x509_step *p = calloc(1, sizeof *p);
	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = *out = p;
	if (!key)
		return script_err(c, s->node, e, "step '%s': missing 'key' (a key.generate step, or {token: NAME, label: LABEL})",
				  s->id);
	if (step_keyref_parse(c, s, key, &kr, e))
		return -1;
	p->key_token = p->subject_token = kr.token;
	p->key_label = p->subject_label = kr.label;
	p->key_algorithm = p->subject_algorithm = kr.algorithm;
	if (x509_params_sigalg(c->doc, sig, &p->sigalg, e))
		return -1;
	if (kr.algorithm && x509_sigalg_resolve(kr.algorithm, &p->sigalg, e))
		return script_err(c, sig ? sig : key, e, "step '%s': %s", s->id, e->msg);
	return 0;
}

int step_certificate_result(struct step_run *r, const struct x509_step *p, const char *key_algorithm,
			    const struct x509_sigalg *sa, const struct buf *der, struct err *e)
{
	struct x509_info in;
	struct buf pem = {0};
	char file[128], note[256];
	int ret = -1;
	if (x509_cert_info(der->p, der->len, &in, e) || pem_write("CERTIFICATE", der->p, der->len, &pem, e))
		goto out;
	/* Seed 003's tier ranges: a warning shown in the room and kept as an output, so
	 * `expect: {warnings: none}` can make it a failure where a script wants that. */
	bool warn = x509_tier_note(p->cert.profile, in.t_not_after - in.t_not_before, note, sizeof note);
	if (warn)
		step_show(r, "warning: %s", note);
	snprintf(file, sizeof file, "%s.crt.der", r->step->id);
	if (step_artifact(r, "certificate", file, "application/pkix-cert", der->p, der->len, e))
		goto out;
	snprintf(file, sizeof file, "%s.crt.pem", r->step->id);
	if (step_artifact(r, "certificate_pem", file, "application/x-pem-file", pem.p, pem.len, e))
		goto out;
	if (step_output(r, "serial", dcbor_text(in.serial), e) || step_output(r, "subject", dcbor_text(in.subject), e) ||
	    step_output(r, "issuer", dcbor_text(in.issuer), e) || step_output(r, "not_before", dcbor_text(in.not_before), e) ||
	    step_output(r, "not_after", dcbor_text(in.not_after), e) ||
	    step_output(r, "validity_days", dcbor_uint((uint64_t)(in.t_not_after - in.t_not_before) / 86400), e) ||
	    step_output(r, "profile", dcbor_text(x509_profile_name(p->cert.profile)), e) ||
	    step_output(r, "pathlen", in.pathlen >= 0 ? dcbor_uint((uint64_t)in.pathlen) : dcbor_text("none"), e) ||
	    step_output(r, "signature_algorithm", dcbor_text(x509_sigalg_label(key_algorithm, sa)), e) ||
	    step_output(r, "ski", dcbor_text(in.ski), e) ||
	    (in.aki[0] && step_output(r, "aki", dcbor_text(in.aki), e)) ||
	    step_output(r, "public_key_sha256", dcbor_text(in.public_key_sha256), e) ||
	    step_output(r, "sha256", dcbor_text(in.sha256), e) || step_output(r, "warnings", dcbor_text(warn ? note : "none"), e))
		goto out;
	ret = 0;
out:
	buf_free(&pem);
	return ret;
}

const char *step_class_name(CK_ULONG c)
{
	switch (c) {
	case CKO_PRIVATE_KEY: return "private key";
	case CKO_PUBLIC_KEY: return "public key";
	case CKO_SECRET_KEY: return "secret key";
	case CKO_CERTIFICATE: return "certificate";
	case CKO_DATA: return "data";
	default: return "object";
	}
}

/* Whoever planted an object chose its label's bytes: printable ASCII as it is (but
 * the backslash and the quote that delimit it), any other byte as \xNN, so it is
 * always safe to record and to cut. */
void step_label_text(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 5 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'')
			out[k++] = (char)p[i];
		else
			k += (size_t)snprintf(out + k, cap - k, "\\x%02x", p[i]);
	}
	out[k] = 0;
}
