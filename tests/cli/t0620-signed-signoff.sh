#!/bin/sh
# Signed sign-offs (TRANSCRIPT.md signoff method 1): the witness has a key of her own
# on her own token (made here with softhsm2-util and pkcs11-tool), the binding names
# it under `signers`, and each of her sign-offs in a live run is a COSE_Sign1 by that
# key, which `ceremony verify`, the independent verifier and plain python
# cryptography all check. Tampering is covered by tests/unit/test_transcript.c.
. "$(dirname "$0")/lib.sh"
S=$TOP/ceremonies/course-exercise.yaml
MOD=$SOFTHSM_MODULE
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
# Test-only PINs on the tools' command lines; ceremony itself never takes one there.
softhsm2-util --init-token --free --label ROOT-CA-DEMO --so-pin 87654321 --pin 246810 >/dev/null
softhsm2-util --init-token --free --label WENDY-WU --so-pin 11223344 --pin 135790 >/dev/null
pkcs11-tool --module "$MOD" --token-label WENDY-WU --login --pin 135790 --keypairgen --key-type EC:prime256v1 \
	--label wendy >"$T/keygen" 2>&1 && ok "pkcs11-tool makes the witness's P-256 key" ||
	not_ok "pkcs11-tool makes the witness's P-256 key" "$(cat "$T/keygen")"
pkcs11-tool --module "$MOD" --token-label WENDY-WU --read-object --type pubkey --label wendy -o "$T/wendy.der" >/dev/null 2>&1

printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=ROOT-CA-DEMO"\nsigners:\n  "Wendy Wu": "pkcs11:token=WENDY-WU;object=wendy"\n' \
	"$MOD" >"$T/bind.yaml"
# The example answers, with the operator's PIN and the witness's own PIN at each
# sign-off of a step (a resume's sign-offs, at its end, are attested: never signed).
awk '/^  root-key:$/ { print; print "    operator: {pin: \"246810\", confirm: \"yes\"}"; skip = 1; next }
     skip && /^    operator:/ { skip = 0; next }
     { print }' "$TOP/examples/answers/course-exercise.yaml" |
	sed '/^  resume:$/,$b; /witness/s/signoff: "yes"/signoff: "yes", signing_pin: "135790"/' >"$T/a.yaml"

expect_exit 0 "the ceremony runs live with the witness signing" "$CEREMONY" run "$S" --bind "$T/bind.yaml" --answers "$T/a.yaml" --out "$T/live"
expect_out "her PIN is asked without showing it" "Wendy Wu: PIN of your own token.*\(not echoed\)"
if grep -q 135790 "$T/out" "$T/live/transcript.cts" "$T/live/artifacts/"*; then not_ok "her PIN is in no output"; else
	ok "her PIN is in no output"; fi
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/live/transcript.cts" --script "$S"
KID=$($PYTHON -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$T/wendy.der")
expect_out "verify counts her six signed sign-offs by her key's kid" "signed sign-offs: 6 verified, by kid $KID"
expect_exit 0 "the independent verifier says VALID" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/live/transcript.cts"
expect_out "it counts the same" "signed sign-offs: 6, by kid $KID"

# Without our code: each COSE_Sign1 at key 5 verifies with python cryptography
# against the SPKI at key 6, which is the public key on her token.
cat >"$T/check.py" <<'EOF'
import sys, cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
data, token_spki = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
import io
f, n = io.BytesIO(data), 0
while f.tell() < len(data):
    entry = cbor2.loads(cbor2.load(f).value[2])
    if entry[4] != 2:
        continue
    for so in entry[5].get(5, []):
        if so[4] != 1:
            continue
        assert so[6] == token_spki, "key 6 is not the token's public key"
        prot, _, payload, sig = cbor2.loads(so[5]).value
        assert cbor2.loads(prot)[1] == -7
        key = serialization.load_der_public_key(so[6])
        tbs = cbor2.dumps(["Signature1", prot, b"", payload])
        key.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")), tbs,
                   ec.ECDSA(hashes.SHA256()))
        p = cbor2.loads(payload)
        assert (p[4], p[5], p[6]) == (so[0], so[1], so[2]) and p[2] and len(p[3]) == 32
        n += 1
print("checked", n)
EOF
expect_exit 0 "python cryptography verifies every signed sign-off against her token's key" "$PYTHON" "$T/check.py" "$T/live/transcript.cts" "$T/wendy.der"
expect_out "all six" "checked 6"

# The binding refuses a signer URI without the key's label, and a key on a ceremony token.
sed 's/;object=wendy//' "$T/bind.yaml" >"$T/nolabel.yaml"
expect_exit 2 "a signer URI without object= is refused" "$CEREMONY" run "$S" --bind "$T/nolabel.yaml" --answers "$T/a.yaml" --out "$T/x"
expect_out "it says what a signer URI needs" "pkcs11:token=\.\.\.;object=LABEL"
sed 's/token=WENDY-WU/token=ROOT-CA-DEMO/' "$T/bind.yaml" >"$T/same.yaml"
expect_exit 1 "a signer key on the ceremony token is refused" "$CEREMONY" run "$S" --bind "$T/same.yaml" --answers "$T/a.yaml" --out "$T/y"
expect_out "it says why" "participant's own token"
[ ! -e "$T/y/transcript.cts" ] && ok "no transcript for a run that could not start" || not_ok "no transcript for a run that could not start"
echo "1..$n"
