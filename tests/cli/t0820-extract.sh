#!/bin/sh
# ceremony extract (issue 13, item 6): the embedded script and every artifact of a
# rehearsed ceremony, written for tools we did not write: the script is the reviewed
# file byte for byte, openssl reads and verifies the certificate and the CRL it
# extracted, certtool the chain; nothing is overwritten, and a damaged transcript
# gives nothing.
. "$(dirname "$0")/lib.sh"
S="$TOP/ceremonies/company-root-intermediate.yaml"
expect_exit 0 "the root and intermediate ceremony rehearses" "$CEREMONY" rehearse "$S" \
	--answers "$TOP/examples/answers/company-root-intermediate.yaml" --out "$T/r"
expect_exit 0 "extract writes what the transcript embeds" "$CEREMONY" extract "$T/r/transcript.cts" --out "$T/x"
expect_out "it says the verdict first" "^$T/r/transcript.cts: VALID$"
cmp -s "$S" "$T/x/script.yaml" && ok "script.yaml is the script, byte for byte" || not_ok "script.yaml is the script, byte for byte"
cmp -s "$T/r/artifacts/root-cert.crt.der" "$T/x/root-cert.certificate.der" 2>/dev/null ||
	cmp -s "$T/r/usb-1/dyber-root-ca.der" "$T/x/root-cert.certificate.der"
[ $? -eq 0 ] && ok "the root certificate is the one exported" || not_ok "the root certificate is the one exported" "$(ls "$T/x")"
expect_exit 0 "openssl verifies the extracted intermediate against the extracted root" openssl verify -x509_strict \
	-CAfile "$T/x/root-cert.certificate.pem" "$T/x/intermediate-cert.certificate.pem"
expect_exit 0 "openssl verifies the extracted root CRL with the root" openssl crl -in "$T/x/root-crl.crl.pem" \
	-CAfile "$T/x/root-cert.certificate.pem" -noout
expect_out "openssl says the CRL verifies" "verify OK"
expect_exit 0 "certtool verifies the extracted chain" certtool --verify --load-ca-certificate \
	"$T/x/root-cert.certificate.pem" --infile "$T/x/intermediate-cert.certificate.pem"
expect_exit 0 "openssl reads the extracted CSR and its signature" openssl req -in "$T/x/intermediate-csr.csr.pem" \
	-verify -noout
[ ! -e "$T/x/root-cert.certificate_pem.pem" ] && ok "a step's PEM twin is not written twice" ||
	not_ok "a step's PEM twin is not written twice"
ls "$T/x" >"$T/before"
expect_exit 2 "extract into the same folder again is refused" "$CEREMONY" extract "$T/r/transcript.cts" --out "$T/x"
expect_out "it names the file that exists" "'$T/x/script.yaml' exists: nothing is written, nothing overwritten"
ls "$T/x" | cmp -s - "$T/before" && cmp -s "$S" "$T/x/script.yaml" && ok "and nothing there changed" ||
	not_ok "and nothing there changed"
cp "$T/r/transcript.cts" "$T/bad.cts"
"$PYTHON" - "$T/bad.cts" <<'P'
import sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read()); d[len(d) // 2] ^= 1; open(p, 'wb').write(bytes(d))
P
expect_exit 1 "a damaged transcript is not extracted" "$CEREMONY" extract "$T/bad.cts" --out "$T/y"
[ ! -e "$T/y" ] && ok "and no folder was made" || not_ok "and no folder was made" "$(ls "$T/y")"
echo "1..$n"
