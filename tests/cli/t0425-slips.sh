#!/bin/sh
# Slips in the room are asked again, never fatal (issue 10): a decision's choice, a
# fingerprint's groups read back and a person's name are matched with case and
# spacing forgiven, and an answer that is none of those offered is asked again with
# what was wrong and "attempt K of 3"; the canonical form is what is recorded and the
# transcript is VALID. Three slips still fail the step as before, and separation of
# duties sees through case and spacing.
. "$(dirname "$0")/lib.sh"

# A request from a file: its fingerprint is known before the rehearsal, so the
# answers can type it back the way a hurried witness would.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/req.key" -subj "/CN=Slip Issuing CA" \
	-outform DER -out "$T/request.csr" 2>/dev/null
sha=$(sha256sum "$T/request.csr" | cut -c1-64)
last=$(echo "$sha" | cut -c57-64)                                       # lower case, no space
shown=$(echo "$sha" | cut -c57-64 | tr a-f A-F | sed 's/^\(....\)/\1 /')  # as the screen shows it

cat >"$T/slips.yaml" <<'YAML'
ceremony: 1
title: Slips are asked again
roles:
  administrator: {count: 1}
  operator: {count: 1}
  witness: {count: 2}
tokens:
  root: {label: SLIP-ROOT}
steps:
  - id: attendance
    type: attendance
  - id: root-key
    type: key.generate
    token: root
    algorithm: ec-p256
    label: SLIP-ROOT
  - id: root-cert
    type: cert.self_signed
    key: root-key
    subject: {CN: Slip Root}
    validity_days: 3653
  - id: issue
    type: cert.issue
    issuer: root-cert
    csr: {file: request.csr}
    profile: issuing-ca
    validity_days: 1000
  - id: fp
    type: fingerprint
    of: issue.csr_input
    readback: {role: witness}
  - id: what-now
    type: decision
    question: Go on or stop?
    choices: {again: fp, stop: done}
  - id: done
    type: checkpoint
    label: end
YAML
answers() { # answers READBACK-LIST CHOICE-LIST: the answers file on stdout
	cat <<YAML
answers: 1
steps:
  attendance:
    administrator: {name: "  Ada   Admin ", id_checked: "yes"}
    operator: {name: Oscar Ortiz, id_checked: "yes"}
    witness: {name: ["", Wes Wong, Wanda Weiss], id_checked: ["yes", "yes"]}
  fp:
    witness: {readback_by: ["Walter", "wes  WONG", "wanda weiss"], readback: [$1]}
  what-now:
    administrator: {choice: [$2]}
YAML
}
answers "\"0000 0000\", \"$last\", \"(as shown)\"" '"Again?", "  Again ", "STOP"' >"$T/a.yaml"
expect_exit 0 "the script is valid" "$CEREMONY" check "$T/slips.yaml"
expect_exit 0 "a rehearsal with a slip at every question completes" \
	"$CEREMONY" rehearse "$T/slips.yaml" --answers "$T/a.yaml" --out "$T/r"
expect_out "sealed completed" "Transcript sealed: completed"
expect_out "an empty name is asked again" "an empty name for witness 1 of 2 \(attempt 1 of 3\)"
expect_out "a name of nobody present is asked again, naming who is" \
	"'Walter' is not present as witness: present are Wes Wong, Wanda Weiss \(attempt 1 of 3\)"
expect_out "a read-back that does not match is asked again" \
	"'0000 0000' does not match the fingerprint on the screen: Wes Wong, read the last 2 groups again \(attempt 1 of 3\)"
expect_out "a read-back in lower case without a space matches" "Wes Wong \(witness\) confirmed the fingerprint: $shown"
expect_out "an answer that is not a choice is asked again, with the choices" \
	"'Again\?' is not one of the choices: again / stop \(attempt 1 of 3\)"
grep -q "$sha" "$T/out" || grep -qi "$(echo "$sha" | cut -c1-4) $(echo "$sha" | cut -c5-8)" "$T/out" &&
	ok "the fingerprint was on the screen" || not_ok "the fingerprint was on the screen"
grep "attempt . of 3" "$T/out" | grep -qi "$(echo "$sha" | cut -c49-56)" &&
	not_ok "no slip message shows the expected groups" || ok "no slip message shows the expected groups"
expect_exit 0 "ceremony verify" "$CEREMONY" verify "$T/r/transcript.cts"
expect_out "ceremony verify says VALID" "^VALID"
expect_exit 0 "verify_cts.py" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/r/transcript.cts"
[ "$(head -1 "$T/out")" = VALID ] && ok "verify_cts.py says VALID" || not_ok "verify_cts.py says VALID" "$(head -1 "$T/out")"

result "$T/r/transcript.cts" attendance >"$T/att"
has "attendance records names with their spacing folded" "$T/att" '"name": "Ada Admin"' '"name": "Wes Wong"'
dump "$T/r/transcript.cts" | grep '"kind": "step-result"' | grep '"0": "fp"' >"$T/fps"
head -1 "$T/fps" >"$T/fp1"
has "the read-back is recorded as typed, the check as shown, by the attendance's name" "$T/fp1" \
	"\"readback\": \"$last\"" '"readback_by": "Wes Wong"' "\"1\": \"$shown\", \"2\": \"$shown\", \"3\": true"
tail -1 "$T/fps" >"$T/fp2"
has "the second run of the step: (as shown), by Wanda Weiss typed in lower case" "$T/fp2" \
	"\"readback\": \"$shown\"" '"readback_by": "Wanda Weiss"' '"3": true'
dump "$T/r/transcript.cts" | grep '"kind": "step-result"' | grep '"0": "what-now"' >"$T/dec"
has "the choices are recorded as the script spells them" "$T/dec" '"1": "again", "2": "fp"' '"1": "stop", "2": "done"'
has "the refused answer is recorded as an attempt (step-result 11)" "$T/dec" \
	'"11": \[\{"0": "administrator", "1": "choice", "2": "'"'"'Again\?'"'"' is not one of the choices: again / stop", "3": [0-9]+\}\]'
has "the refused read-back is recorded as an attempt" "$T/fp1" '\{"0": "witness", "1": "readback", "2": ' \
	"'0000 0000' does not match the fingerprint on the screen"

# Three slips are the end of the step, as before: what was wrong is the error.
answers '"0000 0000", "1111 1111", "2222 2222", "(as shown)"' '"stop"' >"$T/three.yaml"
expect_exit 1 "three wrong read-backs fail the step" \
	"$CEREMONY" rehearse "$T/slips.yaml" --answers "$T/three.yaml" --out "$T/r3"
expect_out "the third is attempt 3 of 3" "'2222 2222' does not match the fingerprint on the screen: .* \(attempt 3 of 3\)"
expect_out "the step fails as before" "Wes Wong typed '2222 2222' but the fingerprint ends '$shown'"
result "$T/r3/transcript.cts" fp >"$T/fp3"
has "the last typed is recorded, its check failed" "$T/fp3" '"readback": "2222 2222"' '"3": false' '"2": 1'
expect_exit 3 "its transcript is VALID, aborted" "$CEREMONY" verify "$T/r3/transcript.cts"
answers "\"$last\"" '"go", "on", "please"' >"$T/three-choices.yaml"
expect_exit 1 "three answers that are not choices fail the decision" \
	"$CEREMONY" rehearse "$T/slips.yaml" --answers "$T/three-choices.yaml" --out "$T/r4"
expect_out "as before" "'please' is not one of the choices of step 'what-now'"
# One wrong answer and nothing more in the file: the step fails for what was wrong.
answers "\"$last\"" '"Again?"' >"$T/one.yaml"
expect_exit 1 "one wrong choice with no answer left fails for what was wrong" \
	"$CEREMONY" rehearse "$T/slips.yaml" --answers "$T/one.yaml" --out "$T/r5"
expect_out "the error names the answer, not the answers file" "'Again\?' is not one of the choices of step 'what-now'"

# Two choices that an answer could not tell apart are refused at load time.
sed 's/choices: {again: fp, stop: done}/choices: {again: fp, Again: done}/' "$T/slips.yaml" >"$T/twin.yaml"
expect_exit 2 "two choices differing only in case are refused" "$CEREMONY" check "$T/twin.yaml"
expect_out "the refusal says why" "twin.yaml:[0-9]+:[0-9]+: choice 'Again' differs from choice 'again' only in case or spacing"

# --- custodians: named with case and spacing forgiven, a stranger asked again ----
C="$TOP/ceremonies/custodian-activation.yaml"
sed 's/custodian: \[Alice Abara, Carol Cruz\]/custodian: [Mallory, "alice  abara", CAROL CRUZ]/' \
	"$TOP/examples/answers/custodian-activation.yaml" >"$T/c.yaml"
expect_exit 0 "an activation with a stranger named first completes" "$CEREMONY" rehearse "$C" --answers "$T/c.yaml" --out "$T/c"
expect_out "the stranger is asked again" "'Mallory' is not present as custodian: present are Alice Abara, Bob Brandt, Carol Cruz \(attempt 1 of 3\)"
expect_out "sealed completed" "Transcript sealed: completed"
expect_exit 0 "ceremony verify" "$CEREMONY" verify "$T/c/transcript.cts"
expect_out "ceremony verify says VALID" "^VALID"
grep -q "cs1 " "$T/c.yaml" "$T/out" && not_ok "no share text in the output" || ok "no share text in the output"
sed 's/custodian: \[Alice Abara, Carol Cruz\]/custodian: [Mallory, Eve, Trent]/' \
	"$TOP/examples/answers/custodian-activation.yaml" >"$T/c3.yaml"
expect_exit 1 "three strangers fail the activation" "$CEREMONY" rehearse "$C" --answers "$T/c3.yaml" --out "$T/c3"
expect_out "as before" "'Trent' is not present as custodian and cannot give a share"

# Separation of duties: "ada  alvarez" as custodian beside administrator Ada Alvarez.
sed 's/name: \[Alice Abara, Bob Brandt, Carol Cruz\]/name: ["ada  alvarez", Bob Brandt, Carol Cruz]/' \
	"$TOP/examples/answers/custodian-activation.yaml" >"$T/sep.yaml"
expect_exit 1 "one person in two roles, typed differently, is refused" "$CEREMONY" rehearse "$C" --answers "$T/sep.yaml" --out "$T/sep"
expect_out "separation names the attendance's name" \
	"'Ada Alvarez' is already present as administrator and cannot also be custodian: the script requires separation of duties"

# A refusal is first-class: the witness refuses the key's sign-off with a reason. By
# default the step fails and the ceremony aborts; with on_refuse: deviation it is
# recorded as a deviation with the reason and the ceremony completes. Both
# verifiers accept either transcript.
sed 's/^    witness: {signoff: "yes"}$/&/' "$TOP/examples/answers/course-exercise.yaml" |
	awk 'BEGIN{k=0} /^  root-key:$/{k=1} k&&/witness: \{signoff: "yes"\}/{sub(/signoff: "yes"/, "signoff: \"refuse\", refusal_reason: \"the key label was read wrong\""); k=0} {print}' \
	>"$T/refuse.yaml"
grep -q 'refusal_reason' "$T/refuse.yaml" || not_ok "the refusal answers are made" "$(grep -n -A3 'root-key:' "$T/refuse.yaml")"
expect_exit 1 "a refused sign-off fails the step" "$CEREMONY" rehearse "$TOP/ceremonies/course-exercise.yaml" \
	--answers "$T/refuse.yaml" --out "$T/ref1"
expect_out "it says who refused and why" "Wendy Wu \(witness\) refused: the key label was read wrong"
expect_exit 3 "its transcript is VALID, ABORTED" "$CEREMONY" verify "$T/ref1/transcript.cts"
expect_exit 3 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/ref1/transcript.cts"
result "$T/ref1/transcript.cts" root-key >"$T/ref1.rec"
has "the refusal is recorded with who and why" "$T/ref1.rec" \
	'"12": \[\{"0": "witness", "1": "Wendy Wu", "2": "the key label was read wrong"' '"code"|"0": "refused"'
awk '{print} /^    label: root-ca-key$/{print "    on_refuse: deviation"}' "$TOP/ceremonies/course-exercise.yaml" >"$T/dev.yaml"
expect_exit 0 "on_refuse: deviation is a valid script" "$CEREMONY" check "$T/dev.yaml"
expect_exit 0 "with on_refuse: deviation the ceremony completes" "$CEREMONY" rehearse "$T/dev.yaml" \
	--answers "$T/refuse.yaml" --out "$T/ref2"
expect_out "it says the refusal is recorded as a deviation" "deviation: Wendy Wu \(witness\) refused: the key label was read wrong"
expect_exit 0 "its transcript is VALID" "$CEREMONY" verify "$T/ref2/transcript.cts" --script "$T/dev.yaml"
expect_exit 0 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/ref2/transcript.cts"
result "$T/ref2/transcript.cts" root-key >"$T/ref2.rec"
has "the step is a deviation with the refusal and a note" "$T/ref2.rec" '"2": 4' '"12": \[\{"0": "witness"' \
	'"8": "deviation: Wendy Wu \(witness\) refused'
# An empty record value is asked again; a field the script makes optional takes it.
sed 's/{seal_number: TEB-0042117, confirm/{seal_number: ["", "  ", "TEB-0042117"], confirm/' \
	"$TOP/examples/answers/course-exercise.yaml" >"$T/empty.yaml"
expect_exit 0 "an empty seal number is asked again, then recorded" "$CEREMONY" rehearse \
	"$TOP/ceremonies/course-exercise.yaml" --answers "$T/empty.yaml" --out "$T/empty"
expect_out "it says the empty answer is not recorded" "an empty answer for 'seal_number' is not recorded: type the value \(attempt 2 of 3\)"
result "$T/empty/transcript.cts" seal >"$T/seal.rec"
has "the value typed at last is recorded, the empty tries as attempts" "$T/seal.rec" '"seal_number": "TEB-0042117"' \
	'"1": "seal_number", "2": "an empty answer'
sed 's/{seal_number: TEB-0042117, confirm/{seal_number: ["", "", ""], confirm/' \
	"$TOP/examples/answers/course-exercise.yaml" >"$T/empty3.yaml"
expect_exit 1 "three empty answers fail the step" "$CEREMONY" rehearse "$TOP/ceremonies/course-exercise.yaml" \
	--answers "$T/empty3.yaml" --out "$T/empty3"
expect_out "it says no value was given" "no value was given for 'seal_number'"
sed 's/^      seal_number: seal number of the tamper-evident bag$/      seal_number: {question: seal number of the bag, optional: true}/' \
	"$TOP/ceremonies/course-exercise.yaml" >"$T/optional.yaml"
grep -q 'optional: true' "$T/optional.yaml" || not_ok "the optional script is made"
sed 's/{seal_number: TEB-0042117, confirm/{seal_number: "", confirm/' \
	"$TOP/examples/answers/course-exercise.yaml" >"$T/empty1.yaml"
expect_exit 0 "an optional field takes an empty answer" "$CEREMONY" rehearse "$T/optional.yaml" --answers "$T/empty1.yaml" \
	--out "$T/optional"
result "$T/optional/transcript.cts" seal >"$T/opt.rec"
has "the empty value is recorded" "$T/opt.rec" '"seal_number": ""'
# An on_fail decision that would also run when nothing failed is pointed out by check;
# with only_on_fail: true it is not.
cat >"$T/onfail.yaml" <<'YAML'
ceremony: 1
title: on_fail decision
roles:
  administrator: {count: 1}
steps:
  - id: seal
    type: manual
    say: Seal the bag.
    on_fail: {decision: what-now}
  - id: what-now
    type: decision
    question: Try again?
    choices: {again: seal, stop: halt}
YAML
expect_exit 0 "check accepts the on_fail decision" "$CEREMONY" check "$T/onfail.yaml"
expect_out "and warns that it also runs when nothing failed" \
	"decision 'what-now' is the on_fail decision of step 'seal' but also runs in order when nothing failed; add 'only_on_fail: true'"
sed 's/^    choices: {again: seal, stop: halt}$/&\n    only_on_fail: true/' "$T/onfail.yaml" >"$T/onfail2.yaml"
expect_exit 0 "check accepts only_on_fail" "$CEREMONY" check "$T/onfail2.yaml"
grep -q "also runs in order" "$T/out" && not_ok "no warning with only_on_fail" || ok "no warning with only_on_fail"
echo "1..$n"
