/* pem: the one PEM writer and the one PEM reader of the project (RFC 7468 textual
 * encoding: "-----BEGIN LABEL-----", base64 of the DER in 64 columns, "-----END
 * LABEL-----"). Certificates, requests, CRLs and public keys are written with it and
 * every input that may be PEM or DER is told apart and read with it.
 *
 * Ownership: output bufs are appended to and owned by the caller (who frees them on
 * failure too: what was appended is taken back, the allocation may stay); *label
 * from pem_read is malloc'ed and freed by the caller with free().
 */
#ifndef CER_PEM_H
#define CER_PEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

/* The PEM text of der under label ("CERTIFICATE", "CERTIFICATE REQUEST", "X509 CRL",
 * "PUBLIC KEY"), 64-column base64 (RFC 7468 §2), appended to out. */
int pem_write(const char *label, const uint8_t *der, size_t len, struct buf *out, struct err *e) CER_MUST_CHECK;

/* True when data, after leading white space, begins "-----BEGIN ": PEM, not DER. */
bool pem_is(const uint8_t *data, size_t len);

/* The first PEM block of data: its label (*label, malloc'ed) and its content
 * appended to der. On failure (not PEM, bad base64, no END line) code "crypto" with
 * the message `what` and OpenSSL's reason, *label NULL and der as it was. */
int pem_read(const uint8_t *data, size_t len, const char *what, char **label, struct buf *der,
	     struct err *e) CER_MUST_CHECK;

/* data as DER: data itself when it is not PEM, else the content of its PEM block,
 * which must be labelled label ("NEW CERTIFICATE REQUEST" is taken for "CERTIFICATE
 * REQUEST", RFC 7468 §7; another label: code "x509"). Appended to der. */
int pem_der_of(const char *label, const uint8_t *data, size_t len, struct buf *der, struct err *e) CER_MUST_CHECK;

#endif
