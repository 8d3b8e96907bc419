#!/bin/sh
# Custody: activation quorums checked at load time, the 2-of-3 and 3-of-5 custodian
# ceremonies rehearsed unattended (shares handed to the answers backend in memory),
# no share text anywhere on disk or in the output, and every refusal of
# token.activate named in the output and the transcript.
. "$(dirname "$0")/lib.sh"
PREFIX='cs1 '   # SHAMIR_TEXT_PREFIX: every share's text form starts with it

# --- quorum against the roster, at check time ----------------------------------
roster() { # roster COUNT QUORUM: a script whose custodian role has COUNT people
	cat <<YAML
ceremony: 1
title: Quorum roster
roles:
  administrator: {count: 1}
  custodian: {count: $1}
tokens:
  hsm: {label: QUORUM-TEST, activation: {quorum: $2, of: custodian}}
steps:
  - id: attendance
    type: attendance
YAML
}
roster 1 2 >"$T/q-short.yaml"
expect_exit 2 "check: a quorum of 2 with 1 custodian is refused" "$CEREMONY" check "$T/q-short.yaml"
expect_out "the refusal names the line and says why" "q-short.yaml:7:[0-9]+: .*quorum of 2 custodian but the roster has only 1"
roster 2 2 >"$T/q-tight.yaml"
"$CEREMONY" check "$T/q-tight.yaml" >"$T/stdout" 2>"$T/stderr"; rc=$?
[ $rc -eq 0 ] && ok "check: a quorum of 2 with 2 custodians is valid" || not_ok "check: 2 of 2 is valid" "exit $rc"
grep -q "warning: token 'hsm' needs 2 of 2 custodian: the roster leaves no margin" "$T/stderr" &&
	ok "check warns on stderr when the roster leaves no margin" || not_ok "check warns on no margin" "$(cat "$T/stderr")"
roster 3 2 >"$T/q-ok.yaml"
"$CEREMONY" check "$T/q-ok.yaml" >"$T/stdout" 2>"$T/stderr"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/stderr" ] && grep -q "activation: quorum 2 of 3 custodian" "$T/stdout" &&
	ok "check: 2 of 3 is valid, shown in the plan, no warning" || not_ok "check: 2 of 3" "$(cat "$T/stderr" "$T/stdout")"
roster 3 1 >"$T/q-one.yaml"
expect_exit 2 "check: a quorum of 1 is no quorum" "$CEREMONY" check "$T/q-one.yaml"
sed 's/of: custodian/of: auditor/' "$T/q-ok.yaml" >"$T/q-role.yaml"
expect_exit 2 "check: a quorum of an undeclared role is refused" "$CEREMONY" check "$T/q-role.yaml"
cat >"$T/no-activation.yaml" <<'YAML'
ceremony: 1
title: token.init without a quorum
roles:
  custodian: {count: 3}
tokens:
  hsm: {label: NO-QUORUM}
steps:
  - id: init
    type: token.init
    token: hsm
YAML
expect_exit 2 "check: token.init on a token without activation is refused" "$CEREMONY" check "$T/no-activation.yaml"
expect_out "and says why" "has no 'activation"
# A key made on a quorum token before any token.activate would fail in the room.
cat >"$T/no-activate.yaml" <<'YAML'
ceremony: 1
title: key.generate before the quorum activates the token
roles:
  custodian: {count: 3}
tokens:
  hsm: {label: QUORUM-LOGIN, activation: {quorum: 2, of: custodian}}
steps:
  - id: key
    type: key.generate
    token: hsm
    label: k
    algorithm: ec-p256
  - id: activate
    type: token.activate
    token: hsm
YAML
expect_exit 2 "check: a login to a quorum token before token.activate is refused" "$CEREMONY" check "$T/no-activate.yaml"
expect_out "it names the line and says why" \
	"no-activate.yaml:10:12: step 'key' logs in to token 'hsm' before any token.activate step: the token is activated by a quorum of 2 custodian"

# --- the two ceremonies rehearse; nothing secret is on disk or in the output -----
for name in custodian-activation quorum-3-of-5; do
	out="$T/r-$name"
	expect_exit 0 "$name: rehearse with its answers" "$CEREMONY" rehearse "$TOP/ceremonies/$name.yaml" \
		--answers "$TOP/examples/answers/$name.yaml" --out "$out"
	cp "$T/out" "$T/log-$name"
	expect_out "$name: sealed completed" "Transcript sealed: completed"
	expect_out "$name: the shares were shown to custodians one at a time" "shown on the terminal only"
	expect_exit 0 "$name: the transcript is VALID" "$CEREMONY" verify "$out/transcript.cts"
	# No share's text form in any file of the output folder (transcript included) nor
	# in what the rehearsal printed, nor in the decoded transcript.
	if grep -rIaq -- "$PREFIX" "$out" || grep -q -- "$PREFIX" "$T/log-$name"; then
		not_ok "$name: no share text in the output folder or the output" "$(grep -rIal -- "$PREFIX" "$out")"
	else ok "$name: no share text in the output folder or the output"; fi
	dump "$out/transcript.cts" >"$T/dump-$name"
	grep -q -- "$PREFIX" "$T/dump-$name" && not_ok "$name: no share text in the decoded transcript" ||
		ok "$name: no share text in the decoded transcript"
	grep -q '"split_id"' "$T/dump-$name" && grep -q '"custodians"' "$T/dump-$name" &&
		ok "$name: the transcript records the split id and the custodians" ||
		not_ok "$name: the transcript records the split id and the custodians"
done
grep -q '"subsets_checked": 10' "$T/dump-quorum-3-of-5" && ok "3-of-5: all 10 subsets checked" ||
	not_ok "3-of-5: all 10 subsets checked" "$(grep subsets "$T/dump-quorum-3-of-5")"

# --- token.activate refuses, naming the problem ---------------------------------
cat >"$T/act.yaml" <<'YAML'
ceremony: 1
title: Activation refusals
roles:
  administrator: {count: 1}
  custodian: {count: 3}
tokens:
  hsm: {label: ACT-TEST, activation: {quorum: 2, of: custodian}}
steps:
  - id: attendance
    type: attendance
  - id: init
    type: token.init
    token: hsm
  - id: other
    type: shares.split
    secret: {random: 16}
    threshold: 2
    custodian: custodian
    purpose: other
  - id: activate
    type: token.activate
    token: hsm
  - id: key
    type: key.generate
    token: hsm
    algorithm: ec-p256
    label: act-key
YAML
act() { # act NAME 'custodian list' 'share list': rehearses with that activation
	cat >"$T/a-$1.yaml" <<YAML
answers: 1
steps:
  attendance:
    administrator: {name: Ada, id_checked: "yes"}
    custodian: {name: [Alice, Bob, Carol], id_checked: ["yes", "yes", "yes"]}
  init:
    custodian: {ready: ["yes", "yes", "yes"], checksum: ["(as shown)", "(as shown)", "(as shown)"]}
  other:
    custodian: {ready: ["yes", "yes", "yes"], checksum: ["(as shown)", "(as shown)", "(as shown)"]}
  activate:
    custodian: {custodian: [$2], share: [$3]}
YAML
	"$CEREMONY" rehearse "$T/act.yaml" --answers "$T/a-$1.yaml" --out "$T/act-$1" >"$T/out" 2>&1
}
refused() { # refused NAME 'what' PATTERN: the step failed, the output and the transcript say PATTERN
	rc=$1; shift
	[ "$rc" -eq 1 ] && grep -q "step 'activate' failed: .*$2" "$T/out" &&
		ok "activate refuses $1" || not_ok "activate refuses $1" "exit $rc" "$(grep -E "failed|answers" "$T/out")"
	dump "$T/act-$3/transcript.cts" >"$T/d"
	grep -q "$2" "$T/d" && ! grep -q -- "$PREFIX" "$T/d" && ! grep -rIaq -- "$PREFIX" "$T/act-$3" &&
		ok "$1: recorded in the transcript, no share anywhere" || not_ok "$1: recorded in the transcript" "$(grep error "$T/d")"
	"$CEREMONY" verify "$T/act-$3/transcript.cts" >/dev/null 2>&1
	[ $? -eq 3 ] && ok "$1: the transcript is VALID, aborted" || not_ok "$1: the transcript is VALID, aborted"
}
act good '"Alice", "Carol"' '"(share 1)", "(share 3)"'; rc=$?
[ $rc -eq 0 ] && ok "activate: 2 of 3 shares log in, the key is generated" || not_ok "activate: 2 of 3" "$(tail -20 "$T/out")"
act fewer '"Alice", ""' '"(share 1)"'; refused $? "fewer than m shares" "only 1 of the 2 shares needed were given" fewer
act twice '"Alice", "Bob"' '"(share 1)", "(share 1)"'; refused $? "a repeated share" "share #1 was given twice" twice
act typo '"Alice"' '"(share 1 typo 3)"'; refused $? "a mistyped share, naming the group" "group 3 is wrong" typo
# A mistyped share is asked again, its reason left on the screen (not cleared), and
# an empty retry is a slip, not the end of the quorum.
act retry '"Alice", "Carol"' '"(share 1 typo 2)", "", "(share 1)", "(share 3)"'; rc=$?
[ $rc -eq 0 ] && ok "a mistyped share, then an empty retry, then the share: activation succeeds" ||
	not_ok "a mistyped share, then an empty retry, then the share: activation succeeds" "exit $rc" "$(grep -E "refused|typed|failed" "$T/out")"
grep -A1 "the share Alice typed was refused: group 2 is wrong" "$T/out" | grep -q "screen cleared" &&
	not_ok "the reason is not cleared before the retry" || ok "the reason is not cleared before the retry"
grep -q "Alice typed nothing: type the share (attempt 2 of 3)" "$T/out" && ok "the empty retry is a slip" ||
	not_ok "the empty retry is a slip" "$(grep -n attempt "$T/out")"
act split '"Alice", "Bob"' '"(share 1)", "(share 2 of other)"'; refused $? "a share of another split" "belongs to another split" split
act theirs '"Alice"' '"(share 2)"'; refused $? "another custodian's share" "share #2 was given to Bob, not to Alice" theirs
act same '"Alice", "Alice"' '"(share 1)"'; refused $? "one custodian twice" "Alice has given a share already" same
act absent '"Mallory"' '"(share 1)"'; refused $? "someone not present" "'Mallory' is not present as custodian" absent

# A custodian who cannot type their share's checksum back (three tries) stops the
# split before the token is initialised.
sed '0,/checksum: \[[^]]*\]/s//checksum: ["ZZZZ", "ZZZY", "ZZZX"]/' "$T/a-good.yaml" >"$T/a-sum.yaml"
"$CEREMONY" rehearse "$T/act.yaml" --answers "$T/a-sum.yaml" --out "$T/sum" >"$T/out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "step 'init' failed: Alice typed a checksum that is not the one of share #1" "$T/out" &&
	[ "$(grep -c "that is not the checksum of share #1: Alice, look at the screen again (attempt [123] of 3)" "$T/out")" -eq 3 ] &&
	ok "token.init: a wrong checksum is asked again, then refused" ||
	not_ok "token.init: a wrong checksum is asked again, then refused" "exit $rc" "$(grep -E "failed|checksum" "$T/out")"
result "$T/sum/transcript.cts" init >"$T/init.rec"
has "each wrong checksum is recorded as an attempt, not the checksum typed" "$T/init.rec" \
	'"11": \[\{"0": "custodian", "1": "checksum", "2": "that is not the checksum of share #1: Alice, look at the screen again"'
grep -q 'ZZZY' "$T/init.rec" && not_ok "the typed checksums are not in the attempts" || ok "the typed checksums are not in the attempts"

# A quorum token cannot be used before it is activated: refused when the script is
# loaded (it used to be found in the room, after token.init had acted).
sed '/- id: activate/,/token: hsm/d' "$T/act.yaml" >"$T/noact.yaml"
sed '/^  activate:/,/custodian: {custodian/d' "$T/a-good.yaml" >"$T/a-noact.yaml"
"$CEREMONY" rehearse "$T/noact.yaml" --answers "$T/a-noact.yaml" --out "$T/noact" >"$T/out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "before any token.activate step: the token is activated by a quorum" "$T/out" &&
	[ ! -e "$T/noact/transcript.cts" ] &&
	ok "a quorum token refuses a login without token.activate, before anything runs" ||
	not_ok "a quorum token refuses a login without token.activate, before anything runs" "exit $rc" "$(head -5 "$T/out")"

echo "1..$n"
