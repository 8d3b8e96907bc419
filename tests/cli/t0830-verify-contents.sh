#!/bin/sh
# verify says what it checked (issue 13, item 1): beside the records, what they
# contain — embedded artifacts, certificates, CRLs and CSRs re-verified (with the
# key of an issuer in the same transcript, or in an earlier one of a chain given
# before it), the SHA-256 values steps show — and a chain of transcripts, each
# continuing the head of the one before. A rehearsal re-signed from genesis by the
# test writer (tests/vectors/forge.py's Key and Writer) with the intermediate
# certificate's signature broken, its record's hash made to match, is INVALID with
# the reason, for `ceremony verify` and the independent verify_cts.py alike.
. "$(dirname "$0")/lib.sh"
OFF="$TOP/tools/offline"
S="$TOP/ceremonies/company-root-intermediate.yaml"
expect_exit 0 "the root and intermediate ceremony rehearses" "$CEREMONY" rehearse "$S" \
	--answers "$TOP/examples/answers/company-root-intermediate.yaml" --out "$T/ri"
expect_exit 0 "verify with the script says VALID" "$CEREMONY" verify "$T/ri/transcript.cts" --script "$S"
cp "$T/out" "$T/v"
has "it says what it checked and what matched" "$T/v" "^checked:  every record" "^          script: matches the file given" \
	"^          artifacts: [1-9][0-9]* embedded, each hashes to its record" \
	"^          signatures: [1-9][0-9]* on certificates, CRLs and requests, each verifies \([1-9][0-9]* with an issuer's key found in the transcript\)" \
	"^          fingerprints: [1-9][0-9]* shown by steps, each the artifact's" "^steps:    0 failed or aborted"
expect_exit 0 "--json carries the same" "$CEREMONY" verify "$T/ri/transcript.cts" --json --script "$S"
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["checked"]
assert c["script"] == "matches" and c["artifacts"] > 0 and c["x509_chained"] > 0 and c["fingerprints"] > 0, c
assert d["steps"]["failed"] == 0, d["steps"]' "$T/out" && ok "the JSON's checked and steps" ||
	not_ok "the JSON's checked and steps" "$(cat "$T/out")"

# The test writer breaks the intermediate certificate's signature and re-signs.
"$PYTHON" - "$TOP/tests/tools" "$T/ri/transcript.cts" "$T/bad-issuer.cts" <<'P'
import hashlib, sys
sys.path.insert(0, sys.argv[1])
import resign
from cryptography import x509
from cryptography.hazmat.primitives import serialization
recs = resign.forge.read_records(sys.argv[2])
der = next(a[4] for r in recs if r.kind == resign.STEP_RESULT and r.body[0] == "intermediate-cert"
           for a in r.body.get(6, []) if a[0] == "certificate")
bad = bytearray(der); bad[-3] ^= 1; bad = bytes(bad)
pem = x509.load_der_x509_certificate(bad).public_bytes(serialization.Encoding.PEM)
old_sha = hashlib.sha256(der).hexdigest()
def body(r, b):
    if r.kind != resign.STEP_RESULT:
        return b
    arts = []
    for a in b.get(6, []):
        a = dict(a)
        if a.get(4) == der:
            a[4], a[1], a[2] = bad, hashlib.sha256(bad).digest(), len(bad)
        elif b[0] == "intermediate-cert" and a[0] == "certificate_pem":
            a[4], a[1], a[2] = pem, hashlib.sha256(pem).digest(), len(pem)
        arts.append(a)
    if arts:
        b[6] = arts
    if b[3].get("sha256") == old_sha:
        b[3] = dict(b[3], sha256=hashlib.sha256(bad).hexdigest())
    return b
resign.resign(sys.argv[2], sys.argv[3], "t0830 test writer", body=body)
P
expect_exit 1 "a certificate whose signature is broken, its record signed: INVALID" "$CEREMONY" verify "$T/bad-issuer.cts"
expect_out "with the reason" "^INVALID at seq [0-9]+: the certificate certificate of step 'intermediate-cert' does not verify with the key of its issuer CN=Dyber Root CA"
expect_exit 1 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/bad-issuer.cts"
expect_out "verify_cts.py: with the reason" "^INVALID at seq [0-9]+: the certificate certificate of step 'intermediate-cert' does not verify with the key of its issuer"

# A chain: root, intermediate, re-key, each building on the one before.
R="$T/root" I="$T/int" K="$T/rekey"
rehearse_sequence "$T"
expect_exit 0 "verify root intermediate re-key: the chain is VALID" "$CEREMONY" verify "$R/transcript.cts" \
	"$I/transcript.cts" "$K/transcript.cts"
cp "$T/out" "$T/chain"
[ "$(grep -c "the chain holds" "$T/chain")" -eq 2 ] && ok "each link holds" || not_ok "each link holds" "$(cat "$T/chain")"
has "each file is named" "$T/chain" "^== $R/transcript.cts$" "^== $I/transcript.cts$" "^== $K/transcript.cts$"
expect_exit 1 "out of order, the chain is broken" "$CEREMONY" verify "$I/transcript.cts" "$R/transcript.cts"
expect_out "it says where" "is NOT $I/transcript.cts's: the chain is broken here|builds on: nothing, so it does NOT continue"
expect_exit 1 "a link skipped (root, re-key), the chain is broken" "$CEREMONY" verify "$R/transcript.cts" "$K/transcript.cts"
expect_out "it says the re-key does not continue the root" "which is NOT $R/transcript.cts's: the chain is broken here"
expect_exit 2 "--kid with a chain is refused" "$CEREMONY" verify "$R/transcript.cts" "$I/transcript.cts" --kid 00
expect_exit 0 "a chain in --json: one object a transcript" "$CEREMONY" verify --json "$R/transcript.cts" "$I/transcript.cts"
[ "$(grep -c '"continues_previous":true' "$T/out")" -eq 1 ] && [ "$(wc -l <"$T/out")" -eq 2 ] &&
	ok "the second says it continues the first" || not_ok "the second says it continues the first" "$(cat "$T/out")"

# A step that failed and was run again, a refusal: the story verify tells first.
cat >"$T/s.yaml" <<'Y'
ceremony: 1
title: A ceremony with a slip, a retry and a refusal
roles:
  administrator: {count: 1, description: runs it}
  witness: {count: 1, description: watches}
steps:
  - id: attendance
    type: attendance
  - id: count
    type: manual
    performed_by: administrator
    record: {bags: number of bags}
    expect: {bags: "3"}
    on_fail: {retry: 1}
  - id: look
    type: manual
    performed_by: administrator
    signoff: [witness]
    on_refuse: deviation
Y
cat >"$T/a.yaml" <<'Y'
answers: 1
steps:
  attendance:
    administrator: {name: Ada, id_checked: "yes"}
    witness: {name: Wes, id_checked: "yes"}
  count:
    administrator: {bags: ["2", "3"], confirm: "yes"}
  look:
    administrator: {confirm: "yes"}
    witness: {signoff: "refuse", refusal_reason: "I looked away"}
Y
"$CEREMONY" rehearse "$T/s.yaml" --answers "$T/a.yaml" --out "$T/story" >"$T/story.log" 2>&1 </dev/null
expect_exit 0 "that ceremony's transcript is VALID" "$CEREMONY" verify "$T/story/transcript.cts"
has "verify tells the failure, the retry, the deviation and the refusal" "$T/out" \
	"^steps:    1 failed or aborted, 1 deviation, 1 run again, 1 refusal" \
	"^  seq [0-9]+ count: FAILED" "^  seq [0-9]+ count: run again" "^  seq [0-9]+ look: DEVIATION accepted" \
	"^  seq [0-9]+ look: Wes \(witness\) refused: I looked away"
echo "1..$n"
