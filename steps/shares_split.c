/* shares.split: splits a secret the runner holds m-of-n among the custodians present
 * (Shamir over GF(2^8), runner/shamir.h), one share to each custodian.
 *
 *   - id: split-wrap
 *     type: shares.split
 *     secret: {random: 32}            # a fresh random secret of N bytes (kept for the run), or
 *     # secret: {step: STEP, name: NAME}   a secret an earlier step kept (e.g. a wrap key)
 *     threshold: 3
 *     custodian: custodian            # the role whose present members each get one share
 *     purpose: wrap:backup            # printed on every share
 *
 * Each custodian sees their share alone: the screen is cleared, they confirm the
 * others look away, the share is shown on the terminal (never the transcript, a log
 * or a file), they re-type its checksum, and the screen is cleared again. The
 * transcript gets the split id, threshold, count, purpose and who holds which index.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"
#include "../runner/dcbor.h"
#include "../runner/words.h"

struct split_params {
	unsigned random_len;       /* > 0: a fresh random secret of this many bytes */
	const char *from_step, *from_name;
	unsigned threshold;
	const char *role;
	const char *purpose;
};

static int want_custodian_role(const struct ceremony *c, const struct ynode *n, const char **out, struct err *e)
{
	if (!n || n->kind != YN_SCALAR)
		return script_err(c, n, e, "expected the role of the custodians (a role declared in 'roles')");
	if (!script_role(c, n->str))
		return script_err(c, n, e, "undeclared role '%s'; expected a role declared in 'roles'", n->str);
	*out = n->str;
	return 0;
}

static int validate(const struct ceremony *c, struct step *s, struct err *e)
{
	struct split_params *p = calloc(1, sizeof *p);
	const struct ynode *sec = ynode_get(s->node, "secret"), *th = ynode_get(s->node, "threshold"),
			   *cu = ynode_get(s->node, "custodian"), *pu = ynode_get(s->node, "purpose");
	uint64_t u;
	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->priv = p;
	if (!sec || sec->kind != YN_MAP)
		return script_err(c, sec ? sec : s->node, e,
				  "step '%s' needs 'secret': {random: N} (bytes) or {step: STEP, name: NAME}", s->id);
	if (ynode_get(sec, "random")) {
		if (ynode_want_uint(c->doc, ynode_get(sec, "random"), "'random' (bytes of the secret)", 1, 64, &u, e))
			return -1;
		p->random_len = (unsigned)u;
	} else {
		const struct ynode *st = ynode_get(sec, "step"), *nm = ynode_get(sec, "name");
		if (!st || !nm || st->kind != YN_SCALAR || nm->kind != YN_SCALAR)
			return script_err(c, sec, e, "expected 'secret': {random: N} or {step: STEP, name: NAME}");
		const struct step *from = script_step(c, st->str);
		if (!from || from->index >= s->index)
			return script_err(c, st, e, "'%s' is not a step before '%s'", st->str, s->id);
		p->from_step = st->str;
		p->from_name = nm->str;
	}
	if (!th)
		return script_err(c, s->node, e, "missing required key 'threshold' in step '%s'", s->id);
	if (ynode_want_uint(c->doc, th, "'threshold' (shares needed)", 2, 255, &u, e))
		return -1;
	p->threshold = (unsigned)u;
	if (!cu)
		return script_err(c, s->node, e, "missing required key 'custodian' in step '%s'", s->id);
	if (want_custodian_role(c, cu, &p->role, e))
		return -1;
	const struct role *ro = script_role(c, p->role);
	if (ro->count < p->threshold)
		return script_err(c, th, e, "a threshold of %u needs at least %u %s, the roster has %u", p->threshold,
				  p->threshold, p->role, ro->count);
	p->purpose = "secret";
	if (pu && ynode_want_str(c->doc, pu, "'purpose'", &p->purpose, e))
		return -1;
	if (strlen(p->purpose) > SHAMIR_PURPOSE_MAX || strspn(p->purpose, "abcdefghijklmnopqrstuvwxyz0123456789:._-") !=
								 strlen(p->purpose))
		return script_err(c, pu, e, "expected a purpose of 1 to %d characters a-z 0-9 : . _ -, found '%s'",
				  SHAMIR_PURPOSE_MAX, p->purpose);
	return 0;
}

static unsigned long binomial(unsigned n, unsigned k)
{
	unsigned long r = 1;
	for (unsigned i = 1; i <= k; i++) {
		r = r * (n - k + i) / i;
		if (r > 10000000UL)
			return r;
	}
	return r;
}

int step_split_verify(const struct step_split *sp, const struct secret *want, unsigned long *subsets, struct err *e)
{
	unsigned m = sp->threshold, n = sp->count, idx[SHAMIR_MAX_SHARES];
	struct shamir_share pick[SHAMIR_MAX_SHARES];
	struct secret *first = NULL, *got = NULL;
	int ret = -1;

	*subsets = 0;
	if (binomial(n, m) > 100000UL)
		return err_set(e, ERR_SHARES, "%u-of-%u has too many subsets to check one by one", m, n);
	if (!(first = secret_new(sp->shares[0].data->len, e)) || !(got = secret_new(sp->shares[0].data->len, e)))
		goto out;
	for (unsigned i = 0; i < m; i++)
		idx[i] = i;
	for (;;) {
		for (unsigned i = 0; i < m; i++)
			pick[i] = sp->shares[idx[i]];
		if (shamir_combine(pick, m, got, e))
			goto out;
		const struct secret *ref = want ? want : (*subsets ? first : NULL);
		if (!ref && secret_set(first, got->p, got->len, e))
			goto out;
		if (ref && (ref->len != got->len || memcmp(ref->p, got->p, got->len))) {
			char which[256] = "";
			for (unsigned i = 0; i < m; i++)
				snprintf(which + strlen(which), sizeof which - strlen(which), "%s#%u", i ? ", " : "",
					 idx[i] + 1);
			err_set(e, ERR_SHARES, "shares %s do not rebuild the secret: the split is unusable", which);
			goto out;
		}
		(*subsets)++;
		/* the next m-combination of 0..n-1 in lexicographic order */
		int i = (int)m - 1;
		while (i >= 0 && idx[i] == n - m + (unsigned)i)
			i--;
		if (i < 0)
			break;
		idx[i]++;
		for (unsigned j = (unsigned)i + 1; j < m; j++)
			idx[j] = idx[j - 1] + 1;
	}
	ret = 0;
out:
	secret_wipe(pick, sizeof pick);
	secret_free(first);
	secret_free(got);
	return ret;
}

int step_split_among(struct step_run *r, const struct secret *secret, unsigned m, const char *role,
		     const char *purpose, struct err *e)
{
	const char *names[SHAMIR_MAX_SHARES];
	struct shamir_share *shares = NULL;
	struct secret *text = NULL;
	size_t n = step_present(r, role, names, SHAMIR_MAX_SHARES);
	cbor_item_t *who = NULL;
	char hex[2 * SHAMIR_ID_LEN + 1];
	int ret = -1;

	if (n > SHAMIR_MAX_SHARES)
		return err_set(e, ERR_SHARES, "%zu %s present: at most %d shares", n, role, SHAMIR_MAX_SHARES);
	if (n < m)
		return err_set(e, ERR_QUORUM, "a %u-of-n split needs at least %u %s present, %zu %s", m, m, role, n,
			       n == 1 ? "is" : "are");
	if (shamir_split(secret, m, (unsigned)n, purpose, &shares, e))
		return -1;
	/* Before anyone writes a share down: every m of them rebuild the secret. */
	struct step_split probe = {.threshold = m, .count = (unsigned)n, .shares = shares};
	unsigned long subsets;
	if (step_split_verify(&probe, secret, &subsets, e))
		goto out;
	if (!(text = secret_new(1024, e)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		char q[256], sum[SHAMIR_CHECK_LEN + 1], what[64], *typed = NULL;
		step_clear_screen(r);
		step_show(r, "share #%zu of %zu (%u needed) for %s, %s: only %s looks at the screen now", i + 1, n, m,
			  names[i], role, names[i]);
		snprintf(q, sizeof q, "%s: the others have turned away and you are ready to write your share down? type yes",
			 names[i]);
		if (step_confirm(r, role, "ready", q, e))
			goto out;
		if (shamir_share_format(&shares[i], text, e))
			goto out;
		snprintf(what, sizeof what, "share #%zu of %s", i + 1, purpose);
		if (step_show_secret(r, names[i], what, text, e))
			goto out;
		secret_wipe(text->p, text->cap);
		(void)shamir_share_checksum(&shares[i], sum);
		snprintf(q, sizeof q, "%s: type the share's checksum (its last group without the last character)",
			 names[i]);
		bool same = false;
		/* Three tries: a slip of the finger must not throw the split away. */
		for (int attempt = 0; attempt < 3 && !same; attempt++) {
			if (attempt)
				step_show(r, "that is not the checksum of share #%zu: %s, look at the screen again", i + 1,
					  names[i]);
			if (step_ask_readback(r, role, "checksum", q, sum, &typed, e))
				goto out;
			same = strlen(typed) == SHAMIR_CHECK_LEN;
			for (size_t k = 0; same && k < SHAMIR_CHECK_LEN; k++)
				same = (char)toupper((unsigned char)typed[k]) == sum[k];
			free(typed);
		}
		step_clear_screen(r);
		if (!same) {
			err_set(e, ERR_SHARES, "%s typed a checksum that is not the one of share #%zu: the share was not "
					     "written down correctly; split again",
				names[i], i + 1);
			goto out;
		}
	}
	who = dcbor_array();
	if (!who) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cbor_item_t *h = dcbor_map();
		if (!h || dcbor_put(h, "index", dcbor_uint(i + 1), e) || dcbor_put(h, "name", dcbor_text(names[i]), e) ||
		    dcbor_push(who, h, e)) {
			if (h)
				cbor_decref(&h);
			goto out;
		}
	}
	words_hex(shares[0].split_id, SHAMIR_ID_LEN, hex, sizeof hex);
	if (step_output(r, "split_id", dcbor_text(hex), e) || step_output(r, "purpose", dcbor_text(purpose), e) ||
	    step_output(r, "threshold", dcbor_uint(m), e) || step_output(r, "count", dcbor_uint(n), e) ||
	    step_output(r, "subsets_checked", dcbor_uint(subsets), e))
		goto out;
	ret = step_output(r, "custodians", who, e);
	who = NULL;
	if (ret)
		goto out;
	ret = step_keep_split(r, shares, n, names, e);
	shares = NULL;
out:
	if (who)
		cbor_decref(&who);
	secret_free(text);
	shamir_shares_free(shares, n);
	return ret;
}

static int execute(struct step_run *r, struct err *e)
{
	const struct split_params *p = r->step->priv;
	struct secret *s = NULL;
	const struct secret *use;
	if (p->random_len) {
		if (!(s = secret_new(p->random_len, e)) || secret_random(s, p->random_len, e)) {
			secret_free(s);
			return -1;
		}
		/* Kept for the run, so a later step can use what the custodians now hold. */
		if (step_secret_keep(r, "secret", s, e))
			return -1;
		use = s;
	} else {
		use = step_secret_find(r, p->from_step, p->from_name);
		if (!use)
			return err_set(e, ERR_SHARES, "step '%s' kept no secret '%s' in this run", p->from_step, p->from_name);
	}
	return step_split_among(r, use, p->threshold, p->role, p->purpose, e);
}

static const char *const keys[] = {"secret", "threshold", "custodian", "purpose", NULL};
static const char *const outputs[] = {"split_id", "purpose", "threshold", "count", "custodians", "subsets_checked",
				      NULL};

const struct step_type step_shares_split = {
	.name = "shares.split",
	.summary = "splits a secret m-of-n among the custodians present, one share shown to each alone",
	.keys = keys,
	.outputs = outputs,
	.validate = validate,
	.execute = execute,
};
