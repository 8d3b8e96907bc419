#!/bin/sh
# ceremony replay (issue 13, item 2): golden files of a fixed transcript
# (tests/vectors/rehearsal-generic-root.cts, times and ids fixed by the file), the
# whole ceremony and --step; an UNANCHORED and an INCOMPLETE transcript replayed
# with the verdict at the top; no colour into a pipe; and no control character of a
# hostile file reaches the terminal (a transcript re-signed by the test writer with
# an escape sequence in a step's output).
. "$(dirname "$0")/lib.sh"
V="$TOP/tests/vectors" G="$TOP/tests/golden"
expect_exit 0 "replay of the generic root rehearsal" "$CEREMONY" replay "$V/rehearsal-generic-root.cts"
if cmp -s "$T/out" "$G/replay-generic-root.txt"; then ok "it is the golden file"; else
	not_ok "it is the golden file" "$(diff "$G/replay-generic-root.txt" "$T/out" | head -20)"; fi
expect_exit 0 "replay --step root-fingerprint" "$CEREMONY" replay "$V/rehearsal-generic-root.cts" --step root-fingerprint
if cmp -s "$T/out" "$G/replay-generic-root-fingerprint.txt"; then ok "it is the golden file"; else
	not_ok "it is the golden file" "$(diff "$G/replay-generic-root-fingerprint.txt" "$T/out" | head -20)"; fi
has "the story has what was read aloud, the checks, the sign-offs and the outcome" "$G/replay-generic-root.txt" \
	"^   \| The administrator reads the SHA-256 fingerprint of the Root CA" \
	"check readback by witness: last 2 groups: Expected E7C2 32D6, Actual E7C2 32D6 \[holds\]" \
	"signed off by Aurelio Amato \(auditor\), 2026-12-02 10:21:40Z, attested" "^== SEALED \(record 40\): completed"
expect_exit 1 "--step naming no step that ran" "$CEREMONY" replay "$V/rehearsal-generic-root.cts" --step nothing-here
expect_exit 0 "an UNANCHORED transcript is replayed" "$CEREMONY" replay "$V/forged-resume.cts"
expect_out "saying so at the top" "^UNANCHORED: "
expect_out "and marking the resume" "^!! RESUMED \(record 35\) after record 34"
expect_exit 0 "an INCOMPLETE transcript is replayed" "$CEREMONY" replay "$V/no-seal.cts"
expect_out "saying so" "^\(the ceremony did not reach its seal"
"$CEREMONY" replay "$V/rehearsal-generic-root.cts" | grep -q "$(printf '\033')" && not_ok "no colour into a pipe" ||
	ok "no colour into a pipe"

# A hostile transcript: VALID under its own key, an escape sequence in an output.
"$PYTHON" - "$TOP/tests/tools" "$V/rehearsal-generic-root.cts" "$T/escape.cts" <<'P'
import sys
sys.path.insert(0, sys.argv[1])
import resign
def body(r, b):
    if r.kind == resign.STEP_RESULT and b[0] == "power-down":
        b[3] = dict(b[3], safe_location="Safe 1\x1b[2J\x1b]0;pwned\x07")
    return b
resign.resign(sys.argv[2], sys.argv[3], "t0840 test writer", body=body)
P
expect_exit 0 "the hostile transcript verifies (under its own key)" "$CEREMONY" verify "$T/escape.cts"
expect_exit 0 "and is replayed" "$CEREMONY" replay "$T/escape.cts"
grep -q "$(printf '\033')" "$T/out" && not_ok "no escape character reaches the terminal" ||
	ok "no escape character reaches the terminal"
expect_out "the value is shown tamed" "Actual safe_location: Safe 1\?\[2J\?\]0;pwned\?"
echo "1..$n"
