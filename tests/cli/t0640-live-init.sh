#!/bin/sh
# A live run (`ceremony run --bind`) whose token.init initialises a blank token (the
# custody issue, item 3: "a blank partition"). The binding names the blank token by
# the URI `ceremony tokens` shows for it (its slot-id: a blank token has no label or
# serial); the runner accepts a blank token only for a script token whose first step
# is token.init, which gives it the script's label and generated PINs.
. "$(dirname "$0")/lib.sh"
S=$TOP/ceremonies/custodian-activation.yaml
MOD=$SOFTHSM_MODULE
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf

# A store with no initialised token: SoftHSM offers only its free slot.
softhsm2-util --show-slots >"$T/out" 2>&1
expect_out "softhsm2-util shows the free slot, not initialised" "Initialized: +no"
expect_exit 0 "ceremony tokens lists the store" "$CEREMONY" tokens --module "$MOD"
expect_out "it shows the blank token not initialised" "state: +not initialised"
expect_out "its URI names its slot" "uri: +pkcs11:slot-id=[0-9]+"
uri=$(sed -n 's/^  uri: *\(pkcs11:slot-id=.*\)$/\1/p' "$T/out" | head -n 1)
[ -n "$uri" ] && ok "the blank token's URI is read from ceremony tokens ($uri)" || not_ok "the blank token's URI is read from ceremony tokens"

printf 'binding: 1\nmodule: %s\ntokens:\n  hsm: "%s"\n' "$MOD" "$uri" >"$T/bind.yaml"
expect_exit 0 "the ceremony runs live, token.init initialising the blank token" \
	"$CEREMONY" run "$S" --bind "$T/bind.yaml" --answers "$TOP/examples/answers/custodian-activation.yaml" --out "$T/live"
expect_out "token.init says it initialised the token" "token 'hsm' initialised with label DYBER-ROOT-HSM"
expect_exit 0 "the live transcript is VALID" "$CEREMONY" verify "$T/live/transcript.cts" --script "$S"
expect_out "it says VALID" "VALID"
expect_out "it says live" "mode: +live"
"$PYTHON" "$TOP/tests/tools/cts_dump.py" "$T/live/transcript.cts" | head -n 1 >"$T/genesis"
grep -q '"10": {"hsm": {' "$T/genesis" && grep -q '"model": "SoftHSM v2"' "$T/genesis" &&
	grep -q '"initialised": "no"' "$T/genesis" && grep -q '"serial": "' "$T/genesis" &&
	grep -q "\"module\": \"$MOD\"" "$T/genesis" &&
	ok "genesis records what 'hsm' was bound to: module, slot, model, serial, blank" ||
	not_ok "genesis records what 'hsm' was bound to" "$(cat "$T/genesis" | cut -c1-600)"

pkcs11-tool --module "$MOD" --list-slots >"$T/out" 2>&1
expect_out "pkcs11-tool shows the token labelled as the script says" "token label +: DYBER-ROOT-HSM"
awk '/DYBER-ROOT-HSM/{p=1} p&&/token flags/{print; exit}' "$T/out" | grep -q "token initialized" &&
	ok "pkcs11-tool shows it initialised, its user PIN set" || not_ok "pkcs11-tool shows it initialised, its user PIN set" "$(cat "$T/out")"

# The token is initialised now: a second live run may not initialise it again.
tok=$(sed -n 's/^ *serial num *: *\([0-9a-f]*\)$/\1/p' "$T/out" | head -n 1)
printf 'binding: 1\nmodule: %s\ntokens:\n  hsm: "pkcs11:token=DYBER-ROOT-HSM;serial=%s"\n' "$MOD" "$tok" >"$T/again.yaml"
expect_exit 1 "token.init refuses a token initialised already" \
	"$CEREMONY" run "$S" --bind "$T/again.yaml" --answers "$TOP/examples/answers/custodian-activation.yaml" --out "$T/again"
expect_out "it says why" "initialised already"

# A blank token for a script token that no token.init initialises: refused before anything runs.
expect_exit 0 "ceremony tokens lists the new free slot" "$CEREMONY" tokens --module "$MOD"
uri2=$(sed -n 's/^  uri: *\(pkcs11:slot-id=.*\)$/\1/p' "$T/out" | head -n 1)
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "%s"\n' "$MOD" "$uri2" >"$T/blank.yaml"
expect_exit 1 "a blank token for a token no token.init initialises is refused" \
	"$CEREMONY" run "$TOP/ceremonies/course-exercise.yaml" --bind "$T/blank.yaml" \
	--answers "$TOP/examples/answers/course-exercise.yaml" --out "$T/blank"
expect_out "it says why" "the token bound to 'root' .* is not initialised; only a token whose first step is token.init may be bound blank"
[ ! -e "$T/blank/transcript.cts" ] && ok "no transcript for it" || not_ok "no transcript for it"

# A URI that matches the blank token and an initialised one is ambiguous.
printf 'binding: 1\nmodule: %s\ntokens:\n  hsm: "pkcs11:model=SoftHSM%%20v2"\n' "$MOD" >"$T/both.yaml"
expect_exit 1 "a URI matching two tokens is refused" \
	"$CEREMONY" run "$S" --bind "$T/both.yaml" --answers "$TOP/examples/answers/custodian-activation.yaml" --out "$T/both"
expect_out "it says how to name one" "2 tokens match .*slot-id= for a blank token"
# Live = rehearsal: a security-officer step after token.init in the same live run
# uses the SO PIN token.init generated (held in locked memory for the run), as a
# rehearsal uses the one it made; nobody is asked for a PIN nobody saw.
softhsm2-util --show-slots >/dev/null 2>&1
expect_exit 0 "ceremony tokens lists a free slot for the wrap-key run" "$CEREMONY" tokens --module "$MOD"
uri3=$(sed -n 's/^  uri: *\(pkcs11:slot-id=.*\)$/\1/p' "$T/out" | head -n 1)
sed -e 's/DYBER-ROOT-HSM/DYBER-WRAP-HSM/' "$S" >"$T/wrap.yaml"
cat >>"$T/wrap.yaml" <<'YAML'
  - id: wrap
    type: wrapkey.create
    title: The security officer creates a wrap key
    token: hsm
    label: live-wrap
YAML
printf 'binding: 1\nmodule: %s\ntokens:\n  hsm: "%s"\n' "$MOD" "$uri3" >"$T/bind3.yaml"
expect_exit 0 "check accepts token.init then wrapkey.create" "$CEREMONY" check "$T/wrap.yaml"
expect_exit 0 "live: wrapkey.create after token.init runs with the generated SO PIN" \
	"$CEREMONY" run "$T/wrap.yaml" --bind "$T/bind3.yaml" --answers "$TOP/examples/answers/custodian-activation.yaml" \
	--out "$T/wrap"
grep -q 'security officer PIN' "$T/out" && not_ok "nobody is asked for the SO PIN" "$(grep -n 'security officer PIN' "$T/out")" ||
	ok "nobody is asked for the SO PIN"
expect_exit 0 "its transcript is VALID" "$CEREMONY" verify "$T/wrap/transcript.cts" --script "$T/wrap.yaml"
# Nothing irreversible before every check: a blank token to be labelled DYBER-ROOT-HSM
# while another slot holds a token of that label already is refused before any
# share is shown or the blank token initialised.
expect_exit 0 "ceremony tokens lists a free slot for the duplicate-label run" "$CEREMONY" tokens --module "$MOD"
uri4=$(sed -n 's/^  uri: *\(pkcs11:slot-id=.*\)$/\1/p' "$T/out" | head -n 1)
printf 'binding: 1\nmodule: %s\ntokens:\n  hsm: "%s"\n' "$MOD" "$uri4" >"$T/dup.yaml"
expect_exit 1 "a run whose token.init would duplicate a label is refused" \
	"$CEREMONY" run "$S" --bind "$T/dup.yaml" --answers "$TOP/examples/answers/custodian-activation.yaml" --out "$T/dup"
expect_out "it says which slot holds the label and that nothing was done" \
	"token.init is to label token 'hsm' DYBER-ROOT-HSM, but slot [0-9]+ holds a token labelled DYBER-ROOT-HSM already.*nothing was done"
grep -q 'share #' "$T/out" && not_ok "no share was shown" "$(grep -n 'share #' "$T/out")" || ok "no share was shown"
softhsm2-util --show-slots 2>/dev/null | grep -c 'Label: *DYBER-ROOT-HSM' >"$T/count"
[ "$(cat "$T/count")" = 1 ] && ok "the blank token was not initialised" || not_ok "the blank token was not initialised" "$(cat "$T/count") tokens labelled DYBER-ROOT-HSM"
# Every problem found before anything acts is said at once: the duplicate label and
# an export medium that is not there.
cat "$S" >"$T/two.yaml"
cat >>"$T/two.yaml" <<Y
  - id: export
    type: artifact.export
    artifacts: [{of: root-key, name: root-key}]
    formats: [pem]
    media: [$T/no-such-drive]
Y
expect_exit 0 "the script with an export is valid" "$CEREMONY" check "$T/two.yaml"
expect_exit 1 "a run with two problems is refused" \
	"$CEREMONY" run "$T/two.yaml" --bind "$T/dup.yaml" --answers "$TOP/examples/answers/custodian-activation.yaml" --out "$T/two"
expect_out "both problems are said at once" \
	"2 problems, found before anything was done: 1\) token.init is to label token 'hsm' DYBER-ROOT-HSM, but slot [0-9]+ holds a token labelled DYBER-ROOT-HSM already: remove or relabel it first; 2\) step 'export': the export medium '$T/no-such-drive' is not a folder here"
[ -e "$T/two/transcript.cts" ] && not_ok "no transcript was begun" || ok "no transcript was begun"
echo "1..$n"
