#!/bin/sh
# Through the test-only PKCS#11 shim (tests/tools/p11shim.c, in front of SoftHSM):
# every rehearsal's PINs and wrap-key bytes, recorded by the shim, appear nowhere in
# the transcript, the output folder or the output; and a token that fails mid-step
# (device removed, PIN locked) fails the step, is recorded and the script's decision
# applies.
. "$(dirname "$0")/lib.sh"
SHIM=${BUILD:-$TOP/build}/tests/p11shim.so
case $SHIM in /*) ;; *) SHIM=$TOP/$SHIM ;; esac
if [ ! -f "$SHIM" ]; then
	not_ok "the shim is built" "missing $SHIM (make $SHIM)"
	echo "1..$n"
	exit 0
fi
unset CEREMONY_SHIM_FAIL CEREMONY_SHIM_SECRETS

# leaks SECRETS PATH...: prints each place a recorded secret is found, as hex text
# (either case), as its raw bytes, or (a PIN is text) as that text in either case.
leaks() {
	"$PYTHON" - "$@" <<'PY'
import os, sys
secrets = [bytes.fromhex(l.strip()) for l in open(sys.argv[1]) if l.strip()]
needles = set()
for s in secrets:
    h = s.hex()
    needles |= {h.encode(), h.upper().encode(), s}
    if all(32 < b < 127 for b in s):
        needles |= {s.lower(), s.upper()}
files = []
for p in sys.argv[2:]:
    if os.path.isdir(p):
        files += [os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs]
    else:
        files.append(p)
for f in files:
    data = open(f, "rb").read()
    for x in needles:
        if x in data:
            print("%s holds %s" % (f, x.hex()))
PY
}

# --- 1. every example ceremony, its secrets searched for --------------------------
for script in "$TOP"/ceremonies/*.yaml; do
	name=$(basename "$script" .yaml)
	answers="$TOP/examples/answers/$name.yaml"
	[ -f "$answers" ] || continue
	out="$T/r-$name"; sec="$T/secrets-$name"
	after=$(after_args "$script")
	CEREMONY_SHIM_SECRETS="$sec" $(runner_for "$script") rehearse "$script" --answers "$answers" $after --out "$out" \
		--module "$SHIM" >"$T/stdout-$name" 2>&1 </dev/null; rc=$?
	[ $rc -eq 0 ] && ok "$name: rehearses through the shim" ||
		not_ok "$name: rehearses through the shim" "exit $rc" "$(tail -c 2000 "$T/stdout-$name")"
	"$CEREMONY" verify "$out/transcript.cts" >"$T/out" 2>&1; rc=$?
	[ $rc -eq 0 ] && grep -q VALID "$T/out" && ok "$name: the transcript is VALID" ||
		not_ok "$name: the transcript is VALID" "exit $rc" "$(head -c 2000 "$T/out")"
	# No recorded secret means the search below would prove nothing.
	if [ -s "$sec" ]; then
		ok "$name: the shim saw $(sort -u "$sec" | wc -l) distinct PINs and key values"
	else
		not_ok "$name: the shim saw the PINs" "the secrets file is empty"
	fi
	found=$(leaks "$sec" "$out" "$T/stdout-$name")
	# The raw bytes by grep too, a second look independent of the Python search
	# (grep -f takes one pattern a line: bytes with a newline or NUL are left to Python).
	while read -r hex; do
		[ -n "$hex" ] || continue
		"$PYTHON" -c 'import sys; b = bytes.fromhex(sys.argv[1]); sys.stdout.buffer.write(b"" if b"\n" in b or b"\0" in b else b)' \
			"$hex" >"$T/needle"
		if [ -s "$T/needle" ] && LC_ALL=C grep -rqaF -f "$T/needle" "$out" "$T/stdout-$name"; then
			found="$found
grep -F finds the raw bytes of $hex"
		fi
	done <"$sec"
	[ -z "$found" ] && ok "$name: no PIN or key value in the transcript, the output folder or the output" ||
		not_ok "$name: no PIN or key value in the transcript, the output folder or the output" "$found"
done

# --- 2. a token failing mid-step --------------------------------------------------
cat >"$T/fail.yaml" <<'YAML'
ceremony: 1
title: Token failure
roles:
  administrator: {count: 1}
tokens:
  t: {label: SHIM-TEST}
steps:
  - id: attendance
    type: attendance
  - id: key
    type: key.generate
    token: t
    algorithm: ec-p256
    label: shim-key
    performed_by: administrator
  - id: test-sign
    type: sign
    key: key
    data: hello
    performed_by: administrator
    on_fail: {decision: what-now}
  - id: unreachable
    type: manual
    performed_by: administrator
  - id: what-now
    type: decision
    performed_by: administrator
    question: The token failed. Continue or stop?
    choices: {continue: last, stop: halt}
  - id: last
    type: manual
    performed_by: administrator
YAML
answers_for() { # answers_for CHOICE
	cat <<YAML
answers: 1
steps:
  attendance:
    administrator: {name: Ada, id_checked: "yes"}
  key:
    administrator: {confirm: "yes"}
  test-sign:
    administrator: {confirm: "yes"}
  unreachable:
    administrator: {confirm: "yes"}
  what-now:
    administrator: {choice: $1, confirm: "yes"}
  last:
    administrator: {confirm: "yes"}
YAML
}
answers_for continue >"$T/fail-continue.yaml"
answers_for stop >"$T/fail-stop.yaml"
expect_exit 0 "the token-failure script is valid" "$CEREMONY" check "$T/fail.yaml"

CEREMONY_SHIM_FAIL=C_Sign:1:CKR_DEVICE_REMOVED expect_exit 0 "device removed at C_Sign, decision continue: completes" \
	"$CEREMONY" rehearse "$T/fail.yaml" --answers "$T/fail-continue.yaml" --out "$T/f1" --module "$SHIM"
expect_out "the failure is named" "CKR_DEVICE_REMOVED"
expect_exit 0 "its transcript is VALID" "$CEREMONY" verify "$T/f1/transcript.cts"
dump "$T/f1/transcript.cts" >"$T/d1"
grep '"kind": "step-result"' "$T/d1" | grep '"0": "test-sign"' | grep -q '"9": {"0": "CKR_DEVICE_REMOVED"' &&
	ok "the step-result records CKR_DEVICE_REMOVED" ||
	not_ok "the step-result records CKR_DEVICE_REMOVED" "$(grep test-sign "$T/d1")"
grep '"kind": "step-result"' "$T/d1" | grep '"0": "test-sign"' | grep -q '"2": 1' &&
	ok "the sign step is recorded as failed" || not_ok "the sign step is recorded as failed" "$(grep test-sign "$T/d1")"
grep -q '"0": "unreachable"' "$T/d1" && not_ok "on_fail went to the decision" || ok "on_fail went to the decision"
grep '"kind": "step-result"' "$T/d1" | grep '"0": "what-now"' | grep -q '"1": "continue", "2": "last"' &&
	ok "the decision is recorded, continuing to the last step" ||
	not_ok "the decision is recorded, continuing to the last step" "$(grep what-now "$T/d1")"
grep '"kind": "step-begin"' "$T/d1" | grep -q '"0": "last"' && ok "the last step ran" || not_ok "the last step ran"
grep '"kind": "seal"' "$T/d1" | grep -q '"0": 0' && ok "sealed completed" || not_ok "sealed completed" "$(grep seal "$T/d1")"

CEREMONY_SHIM_FAIL=C_Sign:1:0x32 expect_exit 1 "device removed (by number), decision stop: the rehearsal fails" \
	"$CEREMONY" rehearse "$T/fail.yaml" --answers "$T/fail-stop.yaml" --out "$T/f2" --module "$SHIM"
"$CEREMONY" verify "$T/f2/transcript.cts" >"$T/out" 2>&1; rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] && ok "the halted transcript verifies (exit $rc)" ||
	not_ok "the halted transcript verifies" "exit $rc" "$(head -c 2000 "$T/out")"
dump "$T/f2/transcript.cts" >"$T/d2"
grep -q '"0": "last"' "$T/d2" && not_ok "the decision to stop halts" "$(grep last "$T/d2")" || ok "the decision to stop halts"
grep '"kind": "step-result"' "$T/d2" | grep '"0": "test-sign"' | grep -q '"9": {"0": "CKR_DEVICE_REMOVED"' &&
	ok "the halted transcript records CKR_DEVICE_REMOVED" ||
	not_ok "the halted transcript records CKR_DEVICE_REMOVED" "$(grep test-sign "$T/d2")"

# The PIN locked at the first login a step needs. Making the token logs in once as
# the security officer (C_Login call 1); key.generate's login is call 2.
CEREMONY_SHIM_FAIL=C_Login:2:CKR_PIN_LOCKED expect_exit 1 "a locked PIN fails the rehearsal" \
	"$CEREMONY" rehearse "$T/fail.yaml" --answers "$T/fail-continue.yaml" --out "$T/f3" --module "$SHIM"
expect_out "the message names CKR_PIN_LOCKED" "CKR_PIN_LOCKED"
"$CEREMONY" verify "$T/f3/transcript.cts" >"$T/out" 2>&1; rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] && ok "its transcript verifies (exit $rc)" ||
	not_ok "its transcript verifies" "exit $rc" "$(head -c 2000 "$T/out")"
dump "$T/f3/transcript.cts" >"$T/d3"
grep '"kind": "step-result"' "$T/d3" | grep '"0": "key"' | grep -q '"9": {"0": "CKR_PIN_LOCKED"' &&
	ok "key.generate's step-result records CKR_PIN_LOCKED" ||
	not_ok "key.generate's step-result records CKR_PIN_LOCKED" "$(grep '"key"' "$T/d3")"
grep -q '"0": "test-sign"' "$T/d3" && not_ok "nothing runs after the halt" || ok "nothing runs after the halt"

# A locked PIN at the very first login: the token cannot even be made.
CEREMONY_SHIM_FAIL=C_Login:1:CKR_PIN_LOCKED expect_exit 1 "a PIN locked while making the token fails" \
	"$CEREMONY" rehearse "$T/fail.yaml" --answers "$T/fail-continue.yaml" --out "$T/f4" --module "$SHIM"
expect_out "and names CKR_PIN_LOCKED" "C_Login\\(security officer\\): CKR_PIN_LOCKED"

# A failure the shim cannot inject is refused, not silently ignored.
CEREMONY_SHIM_FAIL=C_NoSuch:1:CKR_PIN_LOCKED expect_exit 1 "the shim refuses an unknown function" \
	"$CEREMONY" rehearse "$T/fail.yaml" --answers "$T/fail-continue.yaml" --out "$T/f5" --module "$SHIM"
expect_out "and says so" "p11shim: cannot use CEREMONY_SHIM_FAIL"
echo "1..$n"
