#!/bin/sh
# The interpreter's flow: retry on a mismatch, a failing token step recorded with
# its error, on_fail leading to a decision, decisions that jump, and the seal.
. "$(dirname "$0")/lib.sh"

cat >"$T/flow.yaml" <<'YAML'
ceremony: 1
title: Flow test
roles:
  administrator: {count: 1}
  witness: {count: 1}
tokens:
  t: {label: FLOW-TEST}
steps:
  - id: attendance
    type: attendance
  - id: seal-number
    type: manual
    performed_by: administrator
    record: {seal_number: seal number read from the bag}
    expect: {seal_number: TEB-7}
    on_fail: {retry: 2}
  - id: key-a
    type: key.generate
    token: t
    algorithm: ec-p384
    label: same-label
    performed_by: administrator
    expect: {curve: P-384}
  - id: test-sign
    type: sign
    key: key-a
    data: hello
    performed_by: administrator
    record: {looks_right: does the signature look right}
    expect: {looks_right: "yes"}
    on_fail: retry
  - id: key-b
    type: sign
    key: {token: t, label: no-such-key}
    data: hello
    performed_by: administrator
    on_fail: {decision: what-now}
  - id: unreachable
    type: manual
    performed_by: administrator
  - id: what-now
    type: decision
    performed_by: administrator
    question: The test signature could not be made. Continue or stop?
    choices: {continue: last, stop: halt}
  - id: last
    type: checkpoint
    label: end
    signoff: [witness]
YAML
cat >"$T/answers.yaml" <<'YAML'
answers: 1
steps:
  attendance:
    administrator: {name: Ada, id_checked: "yes"}
    witness: {name: Wes, id_checked: "yes"}
  seal-number:
    administrator: {seal_number: [TEB-1, TEB-7], confirm: "yes"}
  key-a:
    administrator: {confirm: "yes"}
  test-sign:
    administrator: {looks_right: ["no", "yes"], confirm: "yes"}
  key-b:
    administrator: {confirm: "yes"}
  what-now:
    administrator: {choice: continue, confirm: "yes"}
  last:
    witness: {signoff: "yes"}
YAML
expect_exit 0 "the flow script is valid" "$CEREMONY" check "$T/flow.yaml"
expect_exit 0 "the flow ceremony completes" "$CEREMONY" rehearse "$T/flow.yaml" --answers "$T/answers.yaml" --out "$T/f1"
expect_out "a mismatch is shown" "seal_number +Expected: TEB-7 +Actual: TEB-1 +\[MISMATCH\]"
expect_out "the step is tried again" "retrying step 'seal-number'"
expect_out "the missing key is named" "no-such-key"
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/f1/transcript.cts"
ls "$T/f1/artifacts/" >"$T/arts"
grep -q '^test-sign\.' "$T/arts" && grep -q '^test-sign-run2\.' "$T/arts" &&
	ok "a step run again writes its files under new names, the first run's kept" ||
	not_ok "a step run again writes its files under new names, the first run's kept" "$(cat "$T/arts")"
dump "$T/f1/transcript.cts" >"$T/d1"
n_begin=$(grep '"kind": "step-begin"' "$T/d1" | grep -c '"0": "seal-number"')
[ "$n_begin" -eq 2 ] && ok "both attempts are in the transcript" || not_ok "both attempts are in the transcript" "$n_begin"
grep '"kind": "step-result"' "$T/d1" | grep '"0": "seal-number"' | head -1 | grep -q '"2": 1' &&
	ok "the first attempt is recorded as failed" || not_ok "the first attempt is recorded as failed"
grep '"kind": "step-result"' "$T/d1" | grep '"0": "seal-number"' | head -1 | grep -q '"held": false\|"3": false' &&
	ok "its check did not hold" || not_ok "its check did not hold" "$(grep seal-number "$T/d1")"
grep '"kind": "step-result"' "$T/d1" | grep '"0": "key-b"' | grep -q '"9": {"0": "' &&
	ok "the token failure is recorded with its error" || not_ok "the token failure is recorded with its error" "$(grep key-b "$T/d1")"
grep -q '"0": "unreachable"' "$T/d1" && not_ok "on_fail went to the decision" || ok "on_fail went to the decision"
grep '"kind": "step-result"' "$T/d1" | grep '"0": "what-now"' | grep -q '"7": {"0": "The test signature could not be made. Continue or stop?", "1": "continue", "2": "last"}' &&
	ok "the decision is recorded with question, choice and next step" ||
	not_ok "the decision is recorded with question, choice and next step" "$(grep what-now "$T/d1")"
grep '"kind": "checkpoint"' "$T/d1" | grep -q '"0": "end"'  && ok "the checkpoint record is written" || not_ok "the checkpoint record is written"
grep '"kind": "seal"' "$T/d1" | grep -q '"0": 0' && ok "sealed completed" || not_ok "sealed completed"

# Retries run out: the ceremony is aborted and sealed so.
sed 's/seal_number: \[TEB-1, TEB-7\]/seal_number: [TEB-1, TEB-2, TEB-3]/' "$T/answers.yaml" >"$T/a2.yaml"
expect_exit 1 "retries that never match abort the ceremony" "$CEREMONY" rehearse "$T/flow.yaml" --answers "$T/a2.yaml" --out "$T/f2"
expect_exit 3 "the aborted transcript is VALID, ABORTED" "$CEREMONY" verify "$T/f2/transcript.cts"
[ "$(dump "$T/f2/transcript.cts" | grep '"kind": "step-begin"' | grep -c '"0": "seal-number"')" -eq 3 ] &&
	ok "three attempts (one and two retries)" || not_ok "three attempts (one and two retries)"
dump "$T/f2/transcript.cts" | grep '"kind": "seal"' | grep -q '"0": 1' && ok "sealed aborted" || not_ok "sealed aborted"

# An attendance step tried again starts from nobody: the first attempt's people are forgotten.
cat >"$T/att.yaml" <<'YAML'
ceremony: 1
title: Attendance retried
roles:
  administrator: {count: 1}
  witness: {count: 1}
steps:
  - id: attendance
    type: attendance
    on_fail: retry
  - id: done
    type: manual
    performed_by: administrator
    signoff: [witness]
YAML
cat >"$T/att-answers.yaml" <<'YAML'
answers: 1
steps:
  attendance:
    administrator: {name: [Ada, Ada], id_checked: ["yes", "yes"]}
    witness: {name: [Wes, Wren], id_checked: ["no", "yes"]}
  done:
    administrator: {confirm: "yes"}
    witness: {signoff: "yes"}
YAML
expect_exit 0 "a retried attendance completes" "$CEREMONY" rehearse "$T/att.yaml" --answers "$T/att-answers.yaml" --out "$T/f3"
expect_out "the sign-off comes from the second attempt's witness" "I, Wren, witness, attest"

# Two keys with one label on one token are refused before anything is touched.
cat >"$T/twice.yaml" <<'YAML'
ceremony: 1
title: Label twice
roles: {administrator: {count: 1}}
tokens: {t: {label: FLOW-TEST}}
steps:
  - {id: k1, type: key.generate, token: t, algorithm: ec-p256, label: dup}
  - {id: k2, type: key.generate, token: t, algorithm: ec-p384, label: dup}
YAML
expect_exit 2 "a label used twice on one token is refused at check" "$CEREMONY" check "$T/twice.yaml"
expect_out "it names both steps" "twice.yaml:7:71: step 'k2': step 'k1' already makes a key labelled 'dup' on token 't'"

# Only the private key is private: nothing secret is in the transcript or the output folder.
if grep -rqa 'BEGIN PRIVATE\|PIN' "$T/f1"; then not_ok "no private material in the output folder"; else
	ok "no private material in the output folder"; fi
echo "1..$n"
