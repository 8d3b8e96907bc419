#!/bin/sh
# A live run (`ceremony run --bind`) of the example ceremony against a SoftHSM token
# the test made itself with softhsm2-util, so pkcs11-tool can log in afterwards and
# show, independently of our code, that the key is sensitive and never extractable.
. "$(dirname "$0")/lib.sh"
S=$TOP/ceremonies/course-exercise.yaml
MOD=$SOFTHSM_MODULE
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
# Test-only PINs on softhsm2-util's command line; ceremony itself never takes one there.
softhsm2-util --init-token --free --label ROOT-CA-DEMO --so-pin 87654321 --pin 246810 >/dev/null
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=ROOT-CA-DEMO"\n' "$MOD" >"$T/bind.yaml"
# The example answers, with the PIN the operator types when root-key first logs in.
awk '/^  root-key:$/ { print; print "    operator: {pin: \"246810\", confirm: \"yes\"}"; skip = 1; next }
     skip && /^    operator:/ { skip = 0; next }
     { print }' "$TOP/examples/answers/course-exercise.yaml" >"$T/a2.yaml"

expect_exit 0 "the ceremony runs live against the bound token" "$CEREMONY" run "$S" --bind "$T/bind.yaml" --answers "$T/a2.yaml" --out "$T/live"
expect_out "the PIN is asked without showing it, naming the token" "user PIN of token .root. \(label ROOT-CA-DEMO\), not echoed: \(secret"
if grep -q 246810 "$T/out"; then not_ok "the PIN is not printed"; else ok "the PIN is not printed"; fi
if grep -q 246810 "$T/live/transcript.cts" "$T/live/artifacts/"*; then not_ok "the PIN is not in the transcript or artifacts"; else
	ok "the PIN is not in the transcript or artifacts"; fi
expect_exit 0 "the live transcript is VALID" "$CEREMONY" verify "$T/live/transcript.cts" --script "$S"
expect_out "it says live" "live"

pkcs11-tool --module "$MOD" --token-label ROOT-CA-DEMO --login --pin 246810 --list-objects >"$T/objects" 2>&1
awk '/^Private Key Object/{p=1} p&&/^Public Key Object/{p=0} p' "$T/objects" >"$T/private"
grep -q 'label: *root-ca-key' "$T/private" && ok "pkcs11-tool finds the private key root-ca-key" ||
	not_ok "pkcs11-tool finds the private key root-ca-key" "$(cat "$T/objects")"
grep -q 'EC' "$T/objects" && ok "it is an EC key" || not_ok "it is an EC key"
grep -Eq 'Access: .*sensitive.*always sensitive.*never extractable.*local' "$T/private" &&
	ok "pkcs11-tool shows it sensitive, always sensitive, never extractable, local" ||
	not_ok "pkcs11-tool shows it sensitive, always sensitive, never extractable, local" "$(cat "$T/private")"
grep -Eq 'Usage: *sign$' "$T/private" && ok "its only usage is sign" || not_ok "its only usage is sign" "$(cat "$T/private")"
# The public key in the token is the one exported.
pkcs11-tool --module "$MOD" --token-label ROOT-CA-DEMO --read-object --type pubkey --label root-ca-key -o "$T/pub.der" >/dev/null 2>&1
cmp -s "$T/pub.der" "$T/live/artifacts/root-key.spki.der" && ok "the exported public key is the token's" ||
	not_ok "the exported public key is the token's"

# A second run makes a second key with the same label: refused, nothing overwritten.
expect_exit 1 "a key label that exists is refused" "$CEREMONY" run "$S" --bind "$T/bind.yaml" --answers "$T/a2.yaml" --out "$T/live2"
expect_out "it names the label" "root-ca-key"

printf 'binding: 1\ntokens:\n  root: "pkcs11:token=ROOT-CA-DEMO;pin-value=246810"\n' >"$T/pin.yaml"
expect_exit 2 "a binding with a PIN is refused" "$CEREMONY" run "$S" --bind "$T/pin.yaml" --answers "$T/a2.yaml" --out "$T/x"
expect_out "it says why" "a PIN never comes from a file"
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=NO-SUCH-TOKEN"\n' "$MOD" >"$T/none.yaml"
expect_exit 1 "a URI that matches no token fails" "$CEREMONY" run "$S" --bind "$T/none.yaml" --answers "$T/a2.yaml" --out "$T/y"
[ ! -e "$T/y/transcript.cts" ] && ok "no transcript for a ceremony that could not start" || not_ok "no transcript for a ceremony that could not start"
# A participant's key on a token that is not there: the message names the signer
# once, without an empty part ("...: : ...").
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=ROOT-CA-DEMO"\nsigners:\n  "Wendy Wu": "pkcs11:token=NO-SUCH-TOKEN;object=wendy"\n' "$MOD" >"$T/signer.yaml"
expect_exit 1 "a signer whose token is not there fails" "$CEREMONY" run "$S" --bind "$T/signer.yaml" --answers "$T/a2.yaml" --out "$T/s"
expect_out "it names the signer and its URI" "^ceremony run: signer 'Wendy Wu' \(pkcs11:token=NO-SUCH-TOKEN;object=wendy\): [^ :]"
if grep -q ': :' "$T/out"; then not_ok "the message has no empty part" "$(cat "$T/out")"; else ok "the message has no empty part"; fi
printf 'binding: 1\ntokens:\n  rooot: "pkcs11:token=ROOT-CA-DEMO"\n' >"$T/typo.yaml"
expect_exit 2 "a binding for an undeclared token is refused" "$CEREMONY" run "$S" --bind "$T/typo.yaml" --answers "$T/a2.yaml" --out "$T/z"
expect_out "it names file, line and column" "typo.yaml:3:3: the script declares no token 'rooot'"
# A wrong PIN typed in a live run is asked again (the token's counter allows it; its
# flags are read before each new try), recorded as an attempt without the PIN.
softhsm2-util --init-token --free --label PIN-RETRY --so-pin 87654321 --pin 135790 >/dev/null
sed 's/label: ROOT-CA-DEMO/label: PIN-RETRY/' "$S" >"$T/retry.yaml"
grep -q 'label: PIN-RETRY' "$T/retry.yaml" || not_ok "the retry script is made" "$(grep -n 'label:' "$S" | head -3)"
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=PIN-RETRY"\n' "$MOD" >"$T/bind-retry.yaml"
sed 's/{pin: "246810", confirm/{pin: ["975310", "135790"], confirm/' "$T/a2.yaml" >"$T/a-retry.yaml"
expect_exit 0 "a wrong PIN is asked again and the run completes" "$CEREMONY" run "$T/retry.yaml" --bind "$T/bind-retry.yaml" \
	--answers "$T/a-retry.yaml" --out "$T/retry"
expect_out "it says the PIN was wrong, what the token says of its counter, attempt 1 of 3" \
	"the PIN for token 'root' is wrong and the token says few tries are left \(attempt 1 of 3\)"
if grep -q -e 975310 -e 135790 "$T/out" "$T/retry/transcript.cts"; then not_ok "neither PIN is printed or recorded"; else
	ok "neither PIN is printed or recorded"; fi
"$PYTHON" "$TOP/tests/tools/cts_dump.py" "$T/retry/transcript.cts" | grep '"0": "root-key"' | grep '"kind": "step-result"' >"$T/rk"
grep -q '"11": \[{"0": "operator", "1": "pin", "2": "the PIN for token '"'"'root'"'"' is wrong' "$T/rk" &&
	ok "the wrong try is recorded as an attempt" || not_ok "the wrong try is recorded as an attempt" "$(cut -c1-400 "$T/rk")"
expect_exit 0 "its transcript is VALID" "$CEREMONY" verify "$T/retry/transcript.cts"
echo "1..$n"
