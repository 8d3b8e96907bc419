/* ecdsa_sig: r||s <-> DER Ecdsa-Sig-Value (see ecdsa_sig.h). */
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include "ecdsa_sig.h"
#include "ossl.h"

enum { HALF_MAX = 66 };   /* P-521 */

int ecdsa_sig_to_der(const uint8_t *rs, size_t len, size_t half, struct buf *out, struct err *e)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int n, ret = -1;

	if (len != 2 * half)
		return err_set(e, ERR_SIGNATURE, "ECDSA signature is %zu bytes, expected %zu (r || s)", len, 2 * half);
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(rs, (int)half, NULL);
	s = BN_bin2bn(rs + half, (int)half, NULL);
	if (!sig || !r || !s) {
		err_openssl(e, "building ECDSA signature");
		goto out;
	}
	if (ossl_rc(ECDSA_SIG_set0(sig, r, s), e, "building ECDSA signature"))
		goto out;
	r = s = NULL;   /* owned by sig now */
	if ((n = i2d_ECDSA_SIG(sig, &der)) <= 0) {
		err_openssl(e, "encoding ECDSA signature");
		goto out;
	}
	ret = buf_append(out, der, (size_t)n, e);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	OPENSSL_free(der);
	return ret;
}

int ecdsa_sig_from_der(const uint8_t *der, size_t len, size_t half, struct buf *out, struct err *e)
{
	const uint8_t *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	uint8_t raw[2 * HALF_MAX];
	int ret = -1;

	if (!sig) {
		err_openssl(e, "decoding ECDSA signature");
		goto out;
	}
	if (half > HALF_MAX || BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, (int)half) < 0 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + half, (int)half) < 0) {
		err_set(e, ERR_CRYPTO, "ECDSA signature component longer than the curve");
		goto out;
	}
	ret = buf_append(out, raw, 2 * half, e);
out:
	ECDSA_SIG_free(sig);
	return ret;
}
