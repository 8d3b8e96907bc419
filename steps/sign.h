/* sign: what a verify step reads of the sign step it checks (the sign step's
 * s->priv, one allocation). */
#ifndef CER_STEPS_SIGN_H
#define CER_STEPS_SIGN_H

#include "steps.h"
#include "x509_params.h"

struct sign_priv {
	struct step_keyref key;
	struct x509_sigalg asked;     /* as the script wrote it (defaults unresolved) */
	struct x509_sigalg sigalg;    /* resolved, when key.algorithm is known */
	const char *data;
	size_t data_len;
};

/* What sign step s parsed; NULL when s is not a sign step. */
const struct sign_priv *sign_of(const struct step *s);

#endif
