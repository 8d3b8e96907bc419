#!/bin/sh
# Inputs from outside the script (issue 12, item 1): where a step names an artifact
# it may name a file, {file: PATH} (a certificate, CSR, CRL or public key, PEM or
# DER, relative to the script's folder), read once when the script loads: `check`
# refuses a missing or unparseable one with FILE:LINE:COL; genesis records its name,
# SHA-256 and size; the step that uses it embeds its DER. A fingerprint of a PEM file
# is the certificate's (of its DER, as openssl says); a resume finds the same bytes.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/drive"
expect_exit 0 "a root to put on the drive is rehearsed" "$CEREMONY" rehearse "$TOP/ceremonies/generic-root.yaml" \
	--answers "$TOP/examples/answers/generic-root.yaml" --out "$T/root"
pem=$(ls "$T"/root/artifacts/*.crt.pem | head -n 1)
cp "$pem" "$T/drive/root.pem"
cat >"$T/drive/s.yaml" <<'Y'
ceremony: 1
title: The root certificate from the drive
roles:
  administrator: {count: 1, description: reads it}
steps:
  - id: root-fp
    type: fingerprint
    of: {file: root.pem}
  - id: root-chain
    type: chain.verify
    chain: [{cert: {file: root.pem}, profile: root-ca}]
Y
printf 'answers: 1\nsteps:\n  resume:\n    administrator: {name: Ada Alvarez, signoff: "yes"}\n' >"$T/a.yaml"
expect_exit 0 "check accepts {file: PATH}" "$CEREMONY" check "$T/drive/s.yaml"
"$PYTHON" - "$TOP/schemas/ceremony.schema.json" "$T/drive/s.yaml" >"$T/v" 2>&1 <<'PY'
import json, sys, jsonschema, yaml
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for err in v.iter_errors(yaml.safe_load(open(sys.argv[2]))):
    print(err.message)
PY
[ -z "$(cat "$T/v")" ] && ok "and so does the schema" || not_ok "and so does the schema" "$(cat "$T/v")"
sed 's/{cert: {file: root.pem}/{cert: {file: gone.pem}/' "$T/drive/s.yaml" >"$T/drive/gone.yaml"
expect_exit 2 "a missing file is refused by check" "$CEREMONY" check "$T/drive/gone.yaml"
expect_out "with FILE:LINE:COL and why" "gone.yaml:11:[0-9]+: step 'root-chain': 'gone.pem': .*No such file"
echo "not a certificate" >"$T/drive/junk.pem"
sed 's/{file: root.pem}$/{file: junk.pem}/' "$T/drive/s.yaml" >"$T/drive/junk.yaml"
expect_exit 2 "a file that is no certificate, CSR, CRL or key is refused" "$CEREMONY" check "$T/drive/junk.yaml"
expect_out "saying so" "junk.yaml:8:[0-9]+: step 'root-fp': 'junk.pem' is not a certificate, certificate request, CRL or public key"
printf '%s\n' "  - id: sub" "    type: cert.issue" "    issuer: {file: root.pem}" "    csr: {file: root.pem}" >>"$T/drive/junk.yaml"
sed -i 's/{file: junk.pem}/{file: root.pem}/' "$T/drive/junk.yaml"
expect_exit 2 "an issuer from a file needs its key named" "$CEREMONY" check "$T/drive/junk.yaml"
expect_out "saying how" "the issuer is the certificate in 'root.pem': name its key with 'issuer_key"

expect_exit 0 "the ceremony rehearses with the file" "$CEREMONY" rehearse "$T/drive/s.yaml" --answers "$T/a.yaml" --out "$T/r"
want=$(openssl x509 -in "$T/drive/root.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
result "$T/r/transcript.cts" root-fp >"$T/fp"
has "the fingerprint is the certificate's, as openssl gives it" "$T/fp" "\"sha256\": \"$want\""
sha=$(sha256sum "$T/drive/root.pem" | cut -d' ' -f1) size=$(wc -c <"$T/drive/root.pem")
dump "$T/r/transcript.cts" >"$T/all" && head -n 1 "$T/all" >"$T/g"
has "genesis records the file's name, SHA-256 and size" "$T/g" "\"9\": \\[\\{\"0\": \"root.pem\", \"1\": \"$sha\", \"2\": $size\\}\\]"
der=$(openssl x509 -in "$T/drive/root.pem" -outform der | od -An -tx1 -v | tr -d ' \n')
has "the step that uses it embeds its DER" "$T/fp" "\"0\": \"file:root.pem\", \"1\": \"$want\", \"2\": [0-9]+, \"3\": \"application/pkix-cert\", \"4\": \"$der\""
result "$T/r/transcript.cts" root-chain >"$T/ch"
has "the chain from the file verifies" "$T/ch" '"chain_valid": true' '"2": 0,'
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/r/transcript.cts"
expect_exit 0 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/r/transcript.cts"

# A resume reads the file again: where it is run, or beside the transcript, and only
# with the bytes genesis recorded.
CEREMONY_TEST_CRASH=after:2 "$CEREMONY" rehearse "$T/drive/s.yaml" --answers "$T/a.yaml" --out "$T/k" >/dev/null 2>&1 </dev/null
cd "$T" || exit 1
expect_exit 2 "resumed where the file is not, it is refused" "$CEREMONY" resume "$T/k/transcript.cts" --answers "$T/a.yaml"
expect_out "naming the file and where it looked" "the file the ceremony read as 'root.pem' \\(SHA-256 $sha\\) is neither at 'root.pem' nor at '$T/k/root.pem'"
echo "changed" >>"$T/k/root.pem"
cat "$T/drive/root.pem" >"$T/k/root.pem.tmp" && echo "# changed" >>"$T/k/root.pem.tmp" && mv "$T/k/root.pem.tmp" "$T/k/root.pem"
expect_exit 2 "a file with other bytes is refused" "$CEREMONY" resume "$T/k/transcript.cts" --answers "$T/a.yaml"
cp "$T/drive/root.pem" "$T/k/root.pem"
expect_exit 0 "beside the transcript with the recorded bytes, the resume completes" "$CEREMONY" resume \
	"$T/k/transcript.cts" --answers "$T/a.yaml"
kid=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/out" | tr -d ' ')
expect_exit 0 "VALID with the new kid" "$CEREMONY" verify "$T/k/transcript.cts" --kid "$kid"
echo "1..$n"
