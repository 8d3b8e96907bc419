/* quorum: collects M custodian shares of a split, one custodian at a time, for the
 * steps that rebuild a secret from them (token.activate: a PIN; key.restore: a wrap
 * key). Each custodian present names themselves and types their share without echo
 * (the screen cleared before and after); the caller combines the shares in locked
 * memory and wipes them.
 *
 * Refused, each with a message that names the problem and no secret: fewer than M
 * shares, a custodian not present or giving twice, a mistyped share (the group is
 * named), a share of another split, the same share twice, a share held by another
 * custodian (when the split was made in this run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "steps.h"

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
		snprintf(q, sizeof q, "name of the %s giving share %zu of the %u needed (empty: no more %s)", role, *k + 1, m,
			 role);
		if (step_ask(r, role, "custodian", q, &name, e))
			goto out;
		if (!name[0]) {
			free(name);
			break;
		}
		const char *person = NULL;
		for (size_t i = 0; i < n_present && i < SHAMIR_MAX_SHARES; i++)
			if (!strcmp(present[i], name))
				person = present[i];
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
		step_clear_screen(r);
		snprintf(q, sizeof q, "%s: type your share (not echoed)", person);
		if (step_ask_secret(r, role, "share", q, split, typed, e))
			goto out;
		if (typed->len == 0)
			break;
		int rc = shamir_share_parse((const char *)typed->p, typed->len, &got[*k], e);
		secret_wipe(typed->p, typed->cap);
		step_clear_screen(r);
		if (rc) {
			err_wrap(e, "the share %s typed was refused", person);
			goto out;
		}
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
