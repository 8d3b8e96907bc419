#!/bin/sh
# token.empty (issue 12, item 4): a new partition holds nothing; after a key is made
# there, or on a token that someone put a key on by hand (pkcs11-tool, a tool we did
# not write), the step fails naming what it found, the script's decision applies, and
# an `allow`ed label is let through.
. "$(dirname "$0")/lib.sh"
MOD=$SOFTHSM_MODULE
cat >"$T/s.yaml" <<'Y'
ceremony: 1
title: An empty partition
roles:
  administrator: {count: 1, description: runs the checks}
tokens:
  root: {label: EMPTY-TEST, description: the new partition}
steps:
  - id: partition-empty
    type: token.empty
    token: root
    title: The partition is empty
    performed_by: administrator
    expect: {empty: true, count: 0}
    on_fail: {decision: tampered}
  - id: key
    type: key.generate
    token: root
    algorithm: ec-p256
    label: new-key
  - id: not-empty-now
    type: token.empty
    token: root
    on_fail: {decision: tampered}
  - id: tampered
    type: decision
    only_on_fail: true
    question: The partition is not empty. Halt?
    choices: {halt: halt, "go on": key}
Y
expect_exit 0 "the script checks" "$CEREMONY" check "$T/s.yaml"
printf 'answers: 1\nsteps:\n  partition-empty:\n    administrator: {confirm: "yes"}\n  tampered:\n    administrator: {choice: halt}\n' >"$T/a.yaml"
expect_exit 1 "a rehearsal: empty at first, not once a key is made, and the decision halts" "$CEREMONY" rehearse \
	"$T/s.yaml" --answers "$T/a.yaml" --out "$T/r"
result "$T/r/transcript.cts" partition-empty >"$T/r1"
has "the new partition held nothing" "$T/r1" '"2": 0,' '"count": 0' '"empty": true' '"objects": \[\]'
result "$T/r/transcript.cts" not-empty-now >"$T/r2"
has "after key.generate it holds the key pair, named" "$T/r2" '"2": 1,' '"count": 2' \
	"\"private key 'new-key'\"" "\"public key 'new-key'\"" '"0": "token"'
expect_out "the failure names what was found" "step 'not-empty-now' failed: token 'root' is not empty: 2 objects found"
expect_exit 3 "sealed halted" "$CEREMONY" verify "$T/r/transcript.cts"

# allow lets a named object through.
sed 's/^    on_fail: {decision: tampered}$/&/; /^  - id: not-empty-now$/,/^    token: root$/ s/^    token: root$/    token: root\n    allow: [new-key]/' \
	"$T/s.yaml" >"$T/allow.yaml"
expect_exit 0 "with allow: [new-key] the same ceremony completes" "$CEREMONY" rehearse "$T/allow.yaml" \
	--answers "$T/a.yaml" --out "$T/allow"

# Live, on a token someone put a key on by hand.
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label EMPTY-TEST --so-pin 11223344 --pin 556677 >/dev/null
pkcs11-tool --module "$MOD" --token-label EMPTY-TEST --login --pin 556677 --keypairgen --key-type EC:prime256v1 \
	--label planted >/dev/null 2>&1
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=EMPTY-TEST"\n' "$MOD" >"$T/bind.yaml"
printf 'answers: 1\nsteps:\n  partition-empty:\n    administrator: {pin: "556677", confirm: "yes"}\n  tampered:\n    administrator: {choice: halt}\n' >"$T/live.yaml"
expect_exit 1 "live, a key planted on the token is found and the decision halts" "$CEREMONY" run "$T/s.yaml" \
	--bind "$T/bind.yaml" --answers "$T/live.yaml" --out "$T/live"
expect_out "it names the planted key" "step 'partition-empty' failed: token 'root' is not empty: 2 objects found \\(private key 'planted', public key 'planted'\\)"
dump "$T/live/transcript.cts" | grep '"kind": "step-begin"' | grep -q '"0": "key"' &&
	not_ok "no key is made on a token that was not empty" || ok "no key is made on a token that was not empty"
echo "1..$n"
