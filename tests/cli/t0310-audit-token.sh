#!/bin/sh
# t0310: the audit key kept in a token (`audit: {token: NAME}`, TRANSCRIPT.md "The
# audit key"): made there before the first step, never extractable, named in genesis
# by its URI (no PIN), signing every record, destroyed at the seal; left in the token
# when the run dies before its seal, so a resume can find the same signer. Checked
# against tokens this test made by hand, with pkcs11-tool, which we did not write.
. "$(dirname "$0")/lib.sh"
MOD=$SOFTHSM_MODULE

# The course exercise with a second token for the audit key.
sed -e 's/^  root: {label: ROOT-CA-DEMO, \(.*\)}$/  root: {label: ROOT-CA-DEMO, \1}\n  audit: {label: CEREMONY-AUDIT, description: holds the audit key alone}/' \
	-e 's/^steps:$/audit: {token: audit, role: administrator}\nsteps:/' \
	"$TOP/ceremonies/course-exercise.yaml" >"$T/s.yaml"
grep -q '^audit: {token: audit' "$T/s.yaml" && grep -q 'CEREMONY-AUDIT' "$T/s.yaml" && ok "test script made" ||
	not_ok "test script made"
expect_exit 0 "check accepts an audit token" "$CEREMONY" check "$T/s.yaml"

# --- bad scripts: refused before anything, with file:line:col ---
bad() {   # what, sed expression, expected message
	sed -e "$2" "$T/s.yaml" >"$T/bad.yaml"
	expect_exit 2 "$1 is refused" "$CEREMONY" check "$T/bad.yaml"
	expect_out "$1: says where and why" "$3"
}
bad "an undeclared audit token" 's/^audit: {token: audit,/audit: {token: audti,/' \
	"bad.yaml:[0-9]+:[0-9]+: 'audit' names the token 'audti', which 'tokens' does not declare"
bad "an audit token a step uses" 's/^    token: root$/    token: audit/' \
	"bad.yaml:[0-9]+:[0-9]+: step '[a-z-]+' uses token 'audit', which holds the audit key"
bad "an audit token with a quorum" 's/^  audit: {label: CEREMONY-AUDIT, \(.*\)}$/  audit: {label: CEREMONY-AUDIT, activation: {quorum: 2, of: witness}}/; s/^  witness: *{count: 1,/  witness: {count: 3,/' \
	"bad.yaml:[0-9]+:[0-9]+: the audit key's token 'audit' is activated by a quorum"
bad "an unknown key in audit" 's/^audit: {token: audit, role: administrator}/audit: {token: audit, rol: administrator}/' \
	"bad.yaml:[0-9]+:[0-9]+: unknown key 'rol'"
bad "a step called genesis" 's/^  - id: attendance$/  - id: genesis/' \
	"bad.yaml:[0-9]+:[0-9]+: step id 'genesis' is reserved"

# --- a rehearsal: throwaway tokens, the audit key in one of them ---
expect_exit 0 "the ceremony rehearses with its audit key in a token" "$CEREMONY" rehearse "$T/s.yaml" \
	--answers "$TOP/examples/answers/course-exercise.yaml" --out "$T/r"
expect_out "the audit key's URI is shown" "audit key in the token: pkcs11:token=CEREMONY-AUDIT;object=ceremony-audit-[0-9a-f]{16};type=private"
expect_out "it is destroyed at the seal" "the audit key was destroyed in its token"
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/r/transcript.cts"
expect_exit 0 "the independent verifier agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/r/transcript.cts"
"$PYTHON" "$TOP/tests/tools/cts_dump.py" "$T/r/transcript.cts" >"$T/dump" 2>&1
if grep -q '"3": "pkcs11:token=CEREMONY-AUDIT;object=ceremony-audit-[0-9a-f]*;type=private"' "$T/dump"; then
	ok "genesis records where the key lives, as a URI without a PIN"
else not_ok "genesis records where the key lives, as a URI without a PIN" "$(head -c 600 "$T/dump")"; fi

# --- a live run against tokens made by hand (test-only PINs on softhsm2-util's command line) ---
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label ROOT-CA-DEMO --so-pin 87654321 --pin 246810 >/dev/null
softhsm2-util --init-token --free --label CEREMONY-AUDIT --so-pin 87654321 --pin 135791 >/dev/null
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=ROOT-CA-DEMO"\n  audit: "pkcs11:token=CEREMONY-AUDIT"\n' \
	"$MOD" >"$T/bind.yaml"
# The example answers, with the root PIN for root-key and the audit token's PIN
# asked of the administrator before the first step (step "genesis").
awk '/^  root-key:$/ { print; print "    operator: {pin: \"246810\", confirm: \"yes\"}"; skip = 1; next }
     skip && /^    operator:/ { skip = 0; next }
     /^steps:$/ { print; print "  genesis:"; print "    administrator: {pin: \"135791\"}"; next }
     { print }' "$TOP/examples/answers/course-exercise.yaml" >"$T/a.yaml"
expect_exit 0 "the ceremony runs live with the audit key in the bound token" "$CEREMONY" run "$T/s.yaml" \
	--bind "$T/bind.yaml" --answers "$T/a.yaml" --out "$T/live"
expect_out "the audit token's PIN is asked without echo" "\[administrator\] user PIN of the audit key's token \(not echoed\)"
if grep -q 135791 "$T/out" "$T/live/transcript.cts"; then not_ok "the audit PIN is not printed or recorded"; else
	ok "the audit PIN is not printed or recorded"; fi
expect_exit 0 "the live transcript is VALID" "$CEREMONY" verify "$T/live/transcript.cts"
if pkcs11-tool --module "$MOD" --token-label CEREMONY-AUDIT --login --pin 135791 --list-objects >"$T/objects" 2>&1 &&
	! grep -q 'ceremony-audit' "$T/objects"; then ok "no audit key is left in the token after the seal"
else not_ok "no audit key is left in the token after the seal" "$(cat "$T/objects")"; fi

# Killed before the seal: the key stays in the token, never extractable, for a resume.
# (A fresh root token: the completed run above left its root key on the first.)
softhsm2-util --delete-token --token ROOT-CA-DEMO >/dev/null
softhsm2-util --init-token --free --label ROOT-CA-DEMO --so-pin 87654321 --pin 246810 >/dev/null
mkfifo "$T/in"
"$CEREMONY" run "$T/s.yaml" --bind "$T/bind.yaml" --out "$T/killed" <"$T/in" >"$T/killed.out" 2>&1 &
pid=$!
exec 3>"$T/in"
printf '135791\n' >&3   # the audit PIN; then the run waits at the first question
i=0
while [ $i -lt 100 ] && ! grep -q "Step 1 of" "$T/killed.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exec 3>&-
expect_exit 4 "the killed run's transcript is INCOMPLETE" "$CEREMONY" verify "$T/killed/transcript.cts"
uri=$(sed -n 's/^ *audit key in the token: //p' "$T/killed.out")
label=$(echo "$uri" | sed -n 's/.*object=\([^;]*\);.*/\1/p')
pkcs11-tool --module "$MOD" --token-label CEREMONY-AUDIT --login --pin 135791 --list-objects >"$T/objects" 2>&1
awk '/^Private Key Object/{p=1} p&&/^Public Key Object/{p=0} p' "$T/objects" >"$T/private"
if [ -n "$label" ] && grep -q "label: *$label" "$T/private"; then ok "the killed run's audit key is still in its token"
else not_ok "the killed run's audit key is still in its token" "label '$label'" "$(cat "$T/objects")"; fi
grep -Eq 'Access: .*sensitive.*always sensitive.*never extractable.*local' "$T/private" &&
	ok "pkcs11-tool shows the audit key sensitive and never extractable" ||
	not_ok "pkcs11-tool shows the audit key sensitive and never extractable" "$(cat "$T/private")"
# Its public key is the genesis signer's.
pkcs11-tool --module "$MOD" --token-label CEREMONY-AUDIT --read-object --type pubkey --label "$label" -o "$T/pub.der" >/dev/null 2>&1
"$PYTHON" "$TOP/tests/tools/cts_dump.py" "$T/killed/transcript.cts" >"$T/kdump" 2>&1
spki=$(od -An -tx1 -v "$T/pub.der" | tr -d ' \n')
if [ -n "$spki" ] && grep -q "\"1\": \"$spki\"" "$T/kdump"; then ok "the token's public key is the one genesis names"
else not_ok "the token's public key is the one genesis names" "$spki"; fi


# Resumed, the same token key signs on: no signer change, VALID without any --kid.
expect_exit 0 "the killed run resumes against the bound tokens" "$CEREMONY" resume "$T/killed/transcript.cts" \
	--bind "$T/bind.yaml" --answers "$T/a.yaml"
grep -q "new audit key" "$T/out" && not_ok "no new audit key is made: the token's signs on" "$(grep -i "audit" "$T/out")" ||
	ok "no new audit key is made: the token's signs on"
expect_exit 0 "the resumed transcript is VALID with no --kid" "$CEREMONY" verify "$T/killed/transcript.cts"
expect_out "one signer from genesis to the seal" "records 0\.\.[0-9]+ \(from genesis\)"
expect_exit 0 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/killed/transcript.cts"
"$PYTHON" "$TOP/tests/tools/cts_dump.py" "$T/killed/transcript.cts" >"$T/rdump" 2>&1
"$PYTHON" - "$T/rdump" <<'PY' && ok "the resume record names no new signer" || not_ok "the resume record names no new signer"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if '"kind": "resume"' in l]
sys.exit(0 if len(rs) == 1 and "4" not in rs[0]["body"] else 1)
PY
if pkcs11-tool --module "$MOD" --token-label CEREMONY-AUDIT --login --pin 135791 --list-objects >"$T/objects" 2>&1 &&
	! grep -q 'ceremony-audit' "$T/objects"; then ok "the audit key is destroyed at the resumed seal"
else not_ok "the audit key is destroyed at the resumed seal" "$(cat "$T/objects")"; fi

echo "1..$n"
