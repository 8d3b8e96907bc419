#!/bin/sh
# An INCOMPLETE verdict names the step that was open and what it may have done
# (issue 11, item 4): a rehearsal's transcript cut right after the step-begin of its
# key generation says the step, its type, the record and the token and label where a
# key may exist; cut after a step-result it names no open step.
. "$(dirname "$0")/lib.sh"
S=$TOP/ceremonies/course-exercise.yaml
expect_exit 0 "the course exercise rehearses" "$CEREMONY" rehearse "$S" --answers "$TOP/examples/answers/course-exercise.yaml" --out "$T/r"
# cut FILE N OUT: the first N records of FILE into OUT
cut_after() {
	"$PYTHON" - "$1" "$2" "$3" <<'PY'
import io, sys, cbor2
data = open(sys.argv[1], "rb").read()
s = io.BytesIO(data)
for _ in range(int(sys.argv[2])):
    cbor2.load(s)
open(sys.argv[3], "wb").write(data[: s.tell()])
PY
}
seq=$(dump "$T/r/transcript.cts" | grep '"kind": "step-begin"' | grep '"2": "key.generate"' | head -n 1 | sed 's/.*"seq": \([0-9]*\).*/\1/')
id=$(dump "$T/r/transcript.cts" | grep '"kind": "step-begin"' | grep '"2": "key.generate"' | head -n 1 | sed 's/.*"body": {"0": "\([^"]*\)".*/\1/')
label=$(dump "$T/r/transcript.cts" | grep '"kind": "step-begin"' | grep '"2": "key.generate"' | head -n 1 | sed 's/.*"label": "\([^"]*\)".*/\1/')
[ -n "$seq" ] && [ -n "$id" ] && [ -n "$label" ] && ok "the key generation's step-begin is record $seq ($id, $label)" ||
	not_ok "the key generation's step-begin is found"
cut_after "$T/r/transcript.cts" $((seq + 1)) "$T/open.cts"
expect_exit 4 "cut after that step-begin, the transcript is INCOMPLETE" "$CEREMONY" verify "$T/open.cts"
expect_out "it names the open step and what it may have done" \
	"no seal: the transcript ends after $((seq + 1)) records; step '$id' \\(key.generate\\) began at record $seq and has no result: it may have acted on token 'root', where an object labelled '$label' may exist"
expect_exit 4 "verify_cts.py says INCOMPLETE too" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/open.cts"
expect_out "and names the same open step" \
	"step '$id' \\(key.generate\\) began at record $seq and has no result: it may have acted on token 'root', where an object labelled '$label' may exist"
cut_after "$T/r/transcript.cts" $((seq + 2)) "$T/closed.cts"
expect_exit 4 "cut after its result, INCOMPLETE too" "$CEREMONY" verify "$T/closed.cts"
grep -q "began at record" "$T/out" && not_ok "and no open step is named" "$(cat "$T/out")" || ok "and no open step is named"
expect_exit 4 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/closed.cts"
grep -q "began at record" "$T/out" && not_ok "naming no open step either" "$(cat "$T/out")" || ok "naming no open step either"
echo "1..$n"
