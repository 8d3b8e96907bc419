/* x509_params: the PKI steps' script parameters (see x509_params.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "x509_params.h"
#include "../runner/x509_read.h"

int x509_params_subject(const struct ydoc *d, const struct ynode *n, struct x509_rdn *out, size_t *n_out,
			struct err *e)
{
	size_t k = 0;
	int ret = -1;
	if (ynode_want_map(d, n, "'subject' (a map such as {CN: Example Root CA, O: Example Inc., C: US})", e))
		goto out;
	if (!n->n) {
		ydoc_err(d, n, e, "expected at least one attribute in 'subject', found an empty map");
		goto out;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *type = n->keys[i]->str;
		const struct ynode *v = n->vals[i];
		if (!x509_rdn_type_known(type)) {
			struct ynode_near near;
			char list[400] = "";
			const char *t;
			ynode_near_init(&near, type);
			for (size_t j = 0; (t = x509_rdn_type_name(j)); j++) {
				ynode_near_add(&near, t);
				size_t used = strlen(list);
				snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", t);
			}
			if (ynode_near_best(&near))
				ydoc_err(d, n->keys[i], e, "unknown subject attribute '%s' (did you mean '%s'?)", type,
					 ynode_near_best(&near));
			else
				ydoc_err(d, n->keys[i], e, "unknown subject attribute '%s'; expected one of: %s", type, list);
			goto out;
		}
		size_t count = v->kind == YN_SEQ ? v->n : 1;
		for (size_t j = 0; j < count; j++) {
			const struct ynode *one = v->kind == YN_SEQ ? v->vals[j] : v;
			char what[80];
			snprintf(what, sizeof what, "subject attribute '%s'", type);
			if (k >= X509_MAX_RDN) {
				ydoc_err(d, one, e, "too many subject attributes: at most %d", X509_MAX_RDN);
				goto out;
			}
			if (ynode_want_str(d, one, what, &out[k].value, e))
				goto out;
			out[k].type = type;
			/* Built now, so that a bad value is reported at its line, not in the room. */
			if (x509_rdn_check(&out[k], e)) {
				ydoc_err(d, one, e, "%s", e->msg);
				goto out;
			}
			k++;
		}
		if (!count) {
			ydoc_err(d, v, e, "expected at least one value for subject attribute '%s'", type);
			goto out;
		}
	}
	*n_out = k;
	ret = 0;
out:
	return ret;
}

int x509_params_sigalg(const struct ydoc *d, const struct ynode *n, struct x509_sigalg *sa, struct err *e)
{
	static const char *const keys[] = {"hash", "padding", NULL};
	const struct ynode *h, *p;
	const char *s;
	memset(sa, 0, sizeof *sa);
	if (!n)
		return 0;
	if (ynode_want_map(d, n, "'signature' (a map such as {hash: sha384})", e) ||
	    ynode_only_keys(d, n, keys, "'signature'", e))
		return -1;
	if ((h = ynode_get(n, "hash"))) {
		if (ynode_want_str(d, h, "'hash'", &s, e))
			return -1;
		if (!strcmp(s, "sha256"))
			sa->hash = X509_HASH_SHA256;
		else if (!strcmp(s, "sha384"))
			sa->hash = X509_HASH_SHA384;
		else if (!strcmp(s, "sha512"))
			sa->hash = X509_HASH_SHA512;
		else
			return ydoc_err(d, h, e, "expected hash sha256, sha384 or sha512, found '%s'", s);
	}
	if ((p = ynode_get(n, "padding"))) {
		if (ynode_want_str(d, p, "'padding'", &s, e))
			return -1;
		if (!strcmp(s, "pss"))
			sa->padding = X509_PAD_PSS;
		else if (!strcmp(s, "pkcs1"))
			sa->padding = X509_PAD_PKCS1;
		else
			return ydoc_err(d, p, e, "expected padding pss or pkcs1 (RSA keys only), found '%s'", s);
	}
	return 0;
}

static int parse_time_key(const struct ydoc *d, const struct ynode *n, const char *what, int64_t *t, struct err *e)
{
	const char *s;
	if (ynode_want_str(d, n, what, &s, e))
		return -1;
	if (x509_time_parse(s, t))
		return ydoc_err(d, n, e, "expected %s as a UTC date and time such as \"2026-11-22T00:00:00Z\", found '%s'",
				what, s);
	return 0;
}

/* A list of strings (or one string), each checked by ok(). */
static int parse_list(const struct ydoc *d, const struct ynode *n, const char *what, const char **out, size_t *n_out,
		      const char *(*bad)(const char *), struct err *e)
{
	size_t count = n->kind == YN_SEQ ? n->n : 1;
	if (n->kind == YN_MAP)
		return ydoc_err(d, n, e, "expected %s as a list, found a map", what);
	if (count == 0)
		return ydoc_err(d, n, e, "expected at least one item in %s, found an empty list", what);
	if (count > X509_MAX_LIST)
		return ydoc_err(d, n, e, "expected at most %d items in %s, found %zu", X509_MAX_LIST, what, count);
	for (size_t i = 0; i < count; i++) {
		const struct ynode *one = n->kind == YN_SEQ ? n->vals[i] : n;
		const char *why;
		if (ynode_want_str(d, one, what, &out[i], e))
			return -1;
		if ((why = bad(out[i])))
			return ydoc_err(d, one, e, "%s in %s: '%s'", why, what, out[i]);
	}
	*n_out = count;
	return 0;
}

/* §4.2.1.13 and §4.2.2.1: a URI with a scheme; IA5String, so ASCII without blanks. */
static const char *bad_uri(const char *s)
{
	const char *p = s;
	if (!isalpha((unsigned char)*p))
		return "expected a URI such as http://crl.example.com/root.crl";
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) || !p[3])
		return "expected a URI with a scheme and a host, such as http://crl.example.com/root.crl";
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return "a URI is ASCII without blanks (IA5String)";
	return NULL;
}

static const char *bad_oid(const char *s)
{
	if (strspn(s, "0123456789.") != strlen(s) || !strchr(s, '.'))
		return "expected a dotted OID such as 2.23.140.1.2.1 (anyPolicy is 2.5.29.32.0)";
	if (!x509_oid_valid(s))
		return "not a valid OID";
	return NULL;
}

static const char *bad_eku(const char *s)
{
	if (x509_eku_name_known(s))
		return NULL;
	if (strspn(s, "0123456789.") == strlen(s))
		return bad_oid(s);
	return "expected serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning or a dotted OID";
}

static int parse_validity(const struct ydoc *d, const struct ynode *step, const char *id, struct x509_validity *v,
			  struct err *e)
{
	const struct ynode *days = ynode_get(step, "validity_days"), *nb = ynode_get(step, "not_before"),
			   *na = ynode_get(step, "not_after");
	memset(v, 0, sizeof *v);
	if (days && (nb || na))
		return ydoc_err(d, nb ? nb : na, e, "step '%s': give either 'validity_days' or 'not_before' and 'not_after', "
						    "not both", id);
	if (days)
		/* 100 years is far beyond any CA; the bound keeps the arithmetic in range. */
		return ynode_want_uint(d, days, "'validity_days'", 1, 36525, &v->days, e);
	if (!nb || !na)
		return ydoc_err(d, nb ? nb : na ? na : step, e,
				"step '%s': missing validity: 'validity_days: N', or both 'not_before' and 'not_after'", id);
	if (parse_time_key(d, nb, "'not_before'", &v->not_before, e) || parse_time_key(d, na, "'not_after'", &v->not_after, e))
		return -1;
	if (v->not_after <= v->not_before)
		return ydoc_err(d, na, e, "'not_after' must come after 'not_before'");
	if (v->not_after <= (int64_t)time(NULL))
		return ydoc_err(d, na, e, "'not_after' is in the past: the certificate would be expired when signed");
	return 0;
}

int x509_params_cert(const struct ydoc *d, const struct ynode *step, const char *id, bool self_signed,
		     struct x509_cert_spec *spec, struct err *e)
{
	const struct ynode *n;
	const char *s;
	memset(spec, 0, sizeof *spec);
	spec->pathlen = -1;
	if ((n = ynode_get(step, "profile"))) {
		if (ynode_want_str(d, n, "'profile'", &s, e))
			return -1;
		if (!strcmp(s, "root-ca"))
			spec->profile = X509_ROOT_CA;
		else if (!strcmp(s, "subordinate-ca"))
			spec->profile = X509_SUBORDINATE_CA;
		else if (!strcmp(s, "issuing-ca"))
			spec->profile = X509_ISSUING_CA;
		else
			return ydoc_err(d, n, e, "unknown profile '%s' (expected root-ca, subordinate-ca or issuing-ca)", s);
	} else if (!self_signed) {
		/* An issued CA's tier is a deliberate choice: the script says it. */
		return ydoc_err(d, step, e, "step '%s': missing 'profile' (subordinate-ca or issuing-ca)", id);
	}
	/* Defaults per tier: a subordinate certifies issuing CAs (1), an issuing CA only
	 * end entities (0), a root is left unconstrained. */
	spec->pathlen = spec->profile == X509_SUBORDINATE_CA ? 1 : spec->profile == X509_ISSUING_CA ? 0 : -1;
	if ((n = ynode_get(step, "pathlen"))) {
		uint64_t v;
		const char *why;
		if (ynode_want_uint(d, n, "'pathlen'", 0, 16, &v, e))
			return -1;
		spec->pathlen = (int)v;
		if ((why = x509_pathlen_problem(spec->profile, spec->pathlen)))
			return ydoc_err(d, n, e, "step '%s': pathlen %d does not fit profile %s: %s", id, spec->pathlen,
					x509_profile_name(spec->profile), why);
	}
	if ((n = ynode_get(step, "subject"))) {
		if (x509_params_subject(d, n, spec->subject, &spec->n_subject, e))
			return -1;
	} else if (self_signed) {
		return ydoc_err(d, step, e, "step '%s': missing 'subject' (a map such as {CN: Example Root CA, O: Example "
					    "Inc., C: US})", id);
	}
	if (parse_validity(d, step, id, &spec->validity, e))
		return -1;
	if ((n = ynode_get(step, "crl_distribution_points")) &&
	    parse_list(d, n, "'crl_distribution_points'", spec->crl_dp, &spec->n_crl_dp, bad_uri, e))
		return -1;
	if ((n = ynode_get(step, "authority_info_access"))) {
		static const char *const keys[] = {"ocsp", "ca_issuers", NULL};
		const struct ynode *o, *ci;
		if (ynode_want_map(d, n, "'authority_info_access' (a map {ocsp: [URI], ca_issuers: [URI]})", e) ||
		    ynode_only_keys(d, n, keys, "'authority_info_access'", e))
			return -1;
		if ((o = ynode_get(n, "ocsp")) && parse_list(d, o, "'ocsp'", spec->ocsp, &spec->n_ocsp, bad_uri, e))
			return -1;
		if ((ci = ynode_get(n, "ca_issuers")) &&
		    parse_list(d, ci, "'ca_issuers'", spec->ca_issuers, &spec->n_ca_issuers, bad_uri, e))
			return -1;
		if (!o && !ci)
			return ydoc_err(d, n, e, "expected 'ocsp' or 'ca_issuers' in 'authority_info_access'");
	}
	if ((n = ynode_get(step, "certificate_policies")) &&
	    parse_list(d, n, "'certificate_policies'", spec->policies, &spec->n_policies, bad_oid, e))
		return -1;
	if ((n = ynode_get(step, "extended_key_usage")) &&
	    parse_list(d, n, "'extended_key_usage'", spec->eku, &spec->n_eku, bad_eku, e))
		return -1;
	if ((n = ynode_get(step, "allow_csr_extensions"))) {
		if (self_signed)
			return ydoc_err(d, n, e, "'allow_csr_extensions' is for cert.issue");
		if (ynode_want_bool(d, n, "'allow_csr_extensions'", &spec->allow_csr_extensions, e))
			return -1;
	}
	return 0;
}
