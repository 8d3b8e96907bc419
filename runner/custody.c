/* custody: the splits a run holds (shares in locked memory until the run ends),
 * handing shares out to their custodians and collecting a quorum of them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interp_int.h"
#include "keepsafe.h"
#include "fold.h"
#include "dcbor.h"
#include "words.h"

/* Keeps a split step made for the run (takes ownership of the n shares, freed on
 * failure too; holders' names are copied). An answers file can then type share K of
 * it back as "(share K)" (prompt.h). A live run writes nothing of it anywhere; a
 * rehearsal (persist) keeps the shares in its keepsafe, as its custodians' cards. */
static int keep_share(struct interp *in, const struct step *step, const struct shamir_share *sh, const char *holder,
		      const struct secret *text, struct err *e)
{
	char name[300];
	snprintf(name, sizeof name, "%u%s%s", sh->index, holder ? ":" : "", holder ? holder : "");
	return keepsafe_put(in->o->keepsafe, KEEPSAFE_SHARE, step->id, name, text->p, text->len, e);
}

int interp_keep_split(struct interp *in, const struct step *step, struct shamir_share *shares, size_t n,
		      const char *const *holders, bool persist, struct err *e)
{
	struct run_split *ns = realloc(in->splits, (in->n_splits + 1) * sizeof *ns);
	struct secret *text = NULL;
	char **h = calloc(n ? n : 1, sizeof *h);
	int ret = -1;
	if (ns)
		in->splits = ns;
	if (!ns || !h) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (holders && holders[i] && !(h[i] = strdup(holders[i]))) {
			err_set(e, ERR_NOMEM, "out of memory");
			goto fail;
		}
	/* An unattended rehearsal types shares back from memory ("(share K)"). */
	if (!(text = secret_new(1024, e)))
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (shamir_share_format(&shares[i], text, e) ||
		    prompt_remember_share(in->o->prompt, step->id, shares[i].index, text, e) ||
		    (persist && in->o->keepsafe && keep_share(in, step, &shares[i], h[i], text, e)))
			goto fail;
	in->splits[in->n_splits++] = (struct run_split){
		.pub = {.step_id = step->id, .purpose = shares[0].purpose, .threshold = shares[0].threshold,
			.count = n, .shares = shares, .holders = (const char *const *)h},
		.holders = h,
		.shares = shares,
	};
	ret = 0;
	secret_free(text);
	return ret;
fail:
	secret_free(text);
	for (size_t i = 0; h && i < n; i++)
		free(h[i]);
	free(h);
	shamir_shares_free(shares, n);
	return ret;
}

const struct step_split *step_find_split(const struct step_run *r, const char *step_id)
{
	for (size_t i = r->in->n_splits; i-- > 0;)
		if (!strcmp(r->in->splits[i].pub.step_id, step_id))
			return &r->in->splits[i].pub;
	return NULL;
}

/* ---- a split handed out: every m-subset proved, each share shown to its holder ---- */

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
		step_show(r, "share #%zu of %zu (%u needed) for %s, %s: only %s looks at the screen now", i + 1, n, m,
			  names[i], role, names[i]);
		snprintf(q, sizeof q, "%s: the others have turned away and you are ready to write your share down? type yes",
			 names[i]);
		if (step_confirm(r, role, "ready", q, e))
			goto out;
		/* Cleared only now: what was read aloud before the first share stays on the
		 * screen until its holder is ready (the previous share was cleared after its
		 * checksum). */
		step_clear_screen(r);
		if (shamir_share_format_rows(&shares[i], text, e))
			goto out;
		snprintf(what, sizeof what, "share #%zu of %s", i + 1, purpose);
		if (step_show_secret(r, names[i], what, text, e))
			goto out;
		secret_wipe(text->p, text->cap);
		(void)shamir_share_checksum(&shares[i], sum);
		snprintf(q, sizeof q, "%s: type the share's checksum (its last group without the last character)",
			 names[i]);
		bool same = false;
		/* A slip of the finger must not throw the split away: asked again, each wrong
		 * try recorded (PROMPT_ATTEMPTS in all; the checksum is not the share). */
		for (unsigned attempt = 1;; attempt++) {
			if (step_ask_readback(r, role, "checksum", q, sum, &typed, e))
				goto out;
			same = strlen(typed) == SHAMIR_CHECK_LEN;
			for (size_t k = 0; same && k < SHAMIR_CHECK_LEN; k++)
				same = (char)toupper((unsigned char)typed[k]) == sum[k];
			free(typed);
			if (same || !step_slip(r, role, "checksum", attempt,
					       "that is not the checksum of share #%zu: %s, look at the screen again", i + 1,
					       names[i]))
				break;
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
		if (!h || dcbor_put(h, "index", dcbor_uint(i + 1), e) || dcbor_put(h, "name", dcbor_text(names[i]), e)) {
			if (h)
				cbor_decref(&h);
			goto out;
		}
		/* dcbor_push takes h, failing or not: nothing of it is ours to free after. */
		if (dcbor_push(who, h, e))
			goto out;
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
	ret = interp_keep_split(r->in, r->step, shares, n, names, true, e);
	shares = NULL;
out:
	if (who)
		cbor_decref(&who);
	secret_free(text);
	shamir_shares_free(shares, n);
	return ret;
}

/* ---- a quorum collected ---------------------------------------------------
 * M custodian shares of a split, one custodian at a time, for the
 * steps that rebuild a secret from them (token.activate: a PIN; key.restore: a wrap
 * key). Each custodian present names themselves and types their share without echo
 * (the screen cleared before and after); the caller combines the shares in locked
 * memory and wipes them.
 *
 * Refused, each with a message that names the problem and no secret: fewer than M
 * shares, a custodian not present or giving twice, a mistyped share (the group is
 * named), a share of another split, the same share twice, a share held by another
 * custodian (when the split was made in this run). */
int step_collect_shares(struct step_run *r, const char *role, unsigned m, const char *split, const char *for_what,
			const char *if_short, struct shamir_share *got, const char **who, size_t *k, struct err *e)
{
	const struct step_split *sp = split ? step_find_split(r, split) : NULL;
	const char *present[SHAMIR_MAX_SHARES];
	size_t n_present = step_present(r, role, present, SHAMIR_MAX_SHARES);
	struct secret *typed = NULL;
	int ret = -1;

	*k = 0;
	if (m > SHAMIR_MAX_SHARES)
		return err_set(e, ERR_QUORUM, "a quorum of %u is more than %d shares", m, SHAMIR_MAX_SHARES);
	if (!(typed = secret_new(1024, e)))
		return -1;
	while (*k < m) {
		char q[256], *name = NULL;
		const char *person = NULL;
		snprintf(q, sizeof q, "name of the %s giving share %zu of the %u needed (empty: no more %s)", role, *k + 1, m,
			 role);
		/* "alice" is Alice (fold.h), recorded as the attendance spells her; a name of
		 * nobody present is asked again (PROMPT_ATTEMPTS in all). */
		for (unsigned attempt = 1;; attempt++) {
			if (step_ask(r, role, "custodian", q, &name, e))
				goto out;
			if (fold_same(name, ""))
				break;
			for (size_t i = 0; i < n_present && i < SHAMIR_MAX_SHARES && !person; i++)
				if (fold_same(present[i], name))
					person = present[i];
			char names[512] = "";
			for (size_t i = 0, used = 0; i < n_present && i < SHAMIR_MAX_SHARES && used < sizeof names; i++)
				used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", present[i]);
			if (person || !step_slip(r, role, "custodian", attempt, "'%s' is not present as %s: present are %s", name,
						 role, names))
				break;
			free(name);
			name = NULL;
		}
		if (fold_same(name, "")) {
			free(name);
			break;
		}
		for (size_t i = 0; person && i < *k; i++)
			if (!strcmp(who[i], person)) {
				err_set(e, ERR_QUORUM, "%s has given a share already: a quorum counts distinct custodians", person);
				free(name);
				goto out;
			}
		if (!person) {
			err_set(e, ERR_NOT_PRESENT, "'%s' is not present as %s and cannot give a share", name, role);
			free(name);
			goto out;
		}
		free(name);
		/* The share this person was given in this run, when known: the prompt names it
		 * (a custodian may hold shares of several splits) and its header
		 * "cs1 PURPOSE M-of-N #I" need not be typed. */
		const struct shamir_share *known = NULL;
		for (unsigned i = 0; sp && i < sp->count && !known; i++)
			if (sp->holders[i] && !strcmp(sp->holders[i], person))
				known = &sp->shares[i];
		if (known)
			snprintf(q, sizeof q, "%s: type share #%u of %s, its groups (its header line may be left out; not "
					      "echoed)",
				 person, known->index, known->purpose);
		else
			/* A share handed out at an earlier ceremony: which of their cards is named. */
			snprintf(q, sizeof q, "%s: type your share for %s, from 'cs1' to its last group (not echoed)", person,
				 for_what);
		/* A mistyped share is asked again (PROMPT_ATTEMPTS in all); the message names
		 * the wrong group, never the share. */
		bool none = false;
		for (unsigned attempt = 1;; attempt++) {
			/* Cleared before the first try (the screen may show what is not theirs);
			 * not before a retry, which must show why the share was refused. */
			if (attempt == 1)
				step_clear_screen(r);
			if (step_ask_secret(r, role, "share", q, split, typed, e))
				goto out;
			/* Empty at the first try: no more custodians; after a refused try it is
			 * a slip like the others, not the end of the quorum. */
			if (typed->len == 0 && attempt == 1) {
				none = true;
				break;
			}
			if (typed->len == 0) {
				if (!step_slip(r, role, "share", attempt, "%s typed nothing: type the share", person)) {
					err_set(e, ERR_SHARES, "%s typed no share", person);
					goto out;
				}
				continue;
			}
			struct err why = {0};
			int rc = shamir_share_parse_known((const char *)typed->p, typed->len, known, &got[*k], &why);
			secret_wipe(typed->p, typed->cap);
			typed->len = 0;
			if (!rc)
				break;
			if (!step_slip(r, role, "share", attempt, "the share %s typed was refused: %s", person, why.msg)) {
				*e = why;
				err_wrap(e, "the share %s typed was refused", person);
				goto out;
			}
		}
		step_clear_screen(r);
		if (none)
			break;
		who[(*k)++] = person;
		const struct shamir_share *s = &got[*k - 1];
		for (size_t i = 0; i + 1 < *k; i++)
			if (got[i].index == s->index && !memcmp(got[i].split_id, s->split_id, SHAMIR_ID_LEN)) {
				err_set(e, ERR_SHARES, "share #%u was given twice (by %s and %s): each share counts once", s->index,
					who[i], person);
				goto out;
			}
		if (sp && memcmp(s->split_id, sp->shares[0].split_id, SHAMIR_ID_LEN)) {
			err_set(e, ERR_SHARES, "the share %s typed belongs to another split than the one step '%s' made for %s",
				person, split, for_what);
			goto out;
		}
		if (sp && s->index <= sp->count && sp->holders[s->index - 1] && strcmp(sp->holders[s->index - 1], person)) {
			err_set(e, ERR_SHARES, "share #%u was given to %s, not to %s: each custodian types their own share",
				s->index, sp->holders[s->index - 1], person);
			goto out;
		}
	}
	if (*k < m) {
		err_set(e, ERR_QUORUM, "only %zu of the %u shares needed were given: %s", *k, m, if_short);
		goto out;
	}
	ret = 0;
out:
	secret_free(typed);
	return ret;
}
