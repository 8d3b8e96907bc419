#!/bin/sh
# ceremony diff (issue 13, item 5): two rehearsals of one script with the same answers
# differ in nothing (their keys, ids, serials, fingerprints and times always differ
# and are not compared); a value typed differently, a step only one ran and another
# script are listed; and a pause longer than --gap between two records is shown (a
# transcript re-signed by the test writer with two hours between two records).
. "$(dirname "$0")/lib.sh"
S="$TOP/ceremonies/generic-root.yaml" A="$TOP/examples/answers/generic-root.yaml"
for k in 1 2; do
	"$CEREMONY" rehearse "$S" --answers "$A" --out "$T/r$k" >/dev/null 2>&1 </dev/null ||
		not_ok "rehearsal $k" "$(tail -3 "$T/out")"
done
expect_exit 0 "two rehearsals with the same answers differ in nothing" "$CEREMONY" diff "$T/r1/transcript.cts" \
	"$T/r2/transcript.cts"
expect_out "it says so" "^  none$"
expect_out "and that the scripts are the same" "^scripts: the same \(SHA-256 $(sha256sum "$S" | cut -c1-64)\)"
sed 's/safe_location: "[^"]*"/safe_location: "Safe 9, the other building"/' "$A" >"$T/a2.yaml"
grep -q "Safe 9" "$T/a2.yaml" || not_ok "the answers are changed"
"$CEREMONY" rehearse "$S" --answers "$T/a2.yaml" --out "$T/r3" >/dev/null 2>&1 </dev/null
expect_exit 1 "a value typed differently is a difference" "$CEREMONY" diff "$T/r1/transcript.cts" "$T/r3/transcript.cts"
expect_out "it names the step, the value and both sides" "^  power-down: safe_location: .* \| Safe 9, the other building$"
C="$TOP/ceremonies/custodian-activation.yaml"
"$CEREMONY" rehearse "$C" --answers "$TOP/examples/answers/custodian-activation.yaml" --out "$T/c" >/dev/null 2>&1 </dev/null
expect_exit 1 "two scripts" "$CEREMONY" diff "$T/r1/transcript.cts" "$T/c/transcript.cts"
expect_out "are said to differ" "^scripts: DIFFERENT"
expect_out "and a step that ran in one only is listed" "^  root-key: |^  hsm-info: ran in A only"
"$PYTHON" - "$TOP/tests/tools" "$T/r1/transcript.cts" "$T/gap.cts" <<'P'
import sys
sys.path.insert(0, sys.argv[1])
import resign
resign.resign(sys.argv[2], sys.argv[3], "t0870 test writer",
              time=lambda r: r.time + (2 * 3600 * 1000 if r.seq >= 20 else 0))
P
expect_exit 0 "the re-timed transcript verifies under its own key" "$CEREMONY" verify "$T/gap.cts"
expect_exit 0 "a pause is not a difference" "$CEREMONY" diff "$T/r1/transcript.cts" "$T/gap.cts" --gap 600
expect_out "but it is shown" "^pause: $T/gap.cts: 72[0-9][0-9] s between records 19 and 20$"
expect_exit 2 "--gap needs seconds" "$CEREMONY" diff "$T/r1/transcript.cts" "$T/gap.cts" --gap soon
echo "1..$n"
