# Shared helpers for the CLI tests (TAP output). Source it: . "$(dirname "$0")/lib.sh"
# Each test script prints "ok N - what" / "not ok N - what"; tests/run.sh counts them.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CEREMONY=${CEREMONY:-$TOP/build/ceremony}
# Debian's python3, which has python3-cbor2 and python3-cryptography from `make deps`
# (not whatever python3 comes first on PATH).
PYTHON=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/ceremony-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
# expect_exit CODE "what" cmd args...: runs cmd, output to $T/out, checks the status.
expect_exit() {
	want=$1; what=$2; shift 2
	"$@" >"$T/out" 2>&1 </dev/null; got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		not_ok "$what" "exit $got, wanted $want" "$(head -c 2000 "$T/out")"; fi
}
# expect_out "what" PATTERN: the last command's output matches the grep -E pattern.
expect_out() {
	if grep -Eq -- "$2" "$T/out"; then ok "$1"; else
		not_ok "$1" "no match for: $2" "$(head -c 2000 "$T/out")"; fi
}

# SoftHSM2's PKCS#11 module, where Debian installs it, for tests that make tokens by
# hand with softhsm2-util and bind them.
SOFTHSM_MODULE=$(for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
	[ -e "$m" ] && echo "$m" && break
done)

# A transcript as one JSON line a record (tests/tools/cts_dump.py).
dump() { "$PYTHON" "$TOP/tests/tools/cts_dump.py" "$1"; }
# result FILE STEP: the body of the step's last step-result record, as one JSON line.
result() { dump "$1" | grep '"kind": "step-result"' | grep "\"0\": \"$2\"" | tail -1; }
# has "what" FILE PATTERN...: FILE matches every grep -E pattern.
has() {
	what=$1; file=$2; shift 2
	for p in "$@"; do
		if ! grep -Eq -- "$p" "$file"; then not_ok "$what" "no match for: $p" "$(head -c 1500 "$file")"; return; fi
	done
	ok "$what"
}

# runner_for SCRIPT: how to start the runner for SCRIPT: in a network namespace of
# its own (tools/offline) when the script checks the air gap, as the room's
# workstation would pass it. Unquoted where used ($TOP has no spaces).
runner_for() {
	if grep -q 'type: system.airgap' "$1"; then echo "$TOP/tools/offline $CEREMONY"; else echo "$CEREMONY"; fi
}
# after_args SCRIPT: "--after DIR" for a ceremony that builds on an earlier one
# (examples/sequence), DIR that earlier ceremony's rehearsal (kept), made once per
# test file under $T; nothing for any other ceremony.
after_args() {
	aa_name=$(basename "$1" .yaml)
	aa_e=$(awk -v n="$aa_name" '$1 == n && NF > 1 { print $2 }' "$TOP/examples/sequence")
	[ -n "$aa_e" ] || return 0
	aa_d="$T/earlier-$aa_e"
	aa_s="$TOP/ceremonies/$aa_e.yaml"
	[ -d "$aa_d" ] || $(runner_for "$aa_s") rehearse "$aa_s" --answers "$TOP/examples/answers/$aa_e.yaml" \
		$(after_args "$aa_s") --out "$aa_d" --keep >/dev/null 2>&1 </dev/null
	echo "--after $aa_d"
}

# rehearse_sequence DIR: the company's root, intermediate and re-key ceremonies
# rehearsed in order, air-gapped, into DIR/root, DIR/int (both kept) and DIR/rekey.
rehearse_sequence() {
	"$TOP/tools/offline" "$CEREMONY" rehearse "$TOP/ceremonies/company-root.yaml" \
		--answers "$TOP/examples/answers/company-root.yaml" --out "$1/root" --keep >/dev/null 2>&1 </dev/null
	"$TOP/tools/offline" "$CEREMONY" rehearse "$TOP/ceremonies/company-intermediate.yaml" --after "$1/root" \
		--answers "$TOP/examples/answers/company-intermediate.yaml" --out "$1/int" --keep >/dev/null 2>&1 </dev/null
	"$TOP/tools/offline" "$CEREMONY" rehearse "$TOP/ceremonies/emergency-rekey.yaml" --after "$1/int" \
		--answers "$TOP/examples/answers/emergency-rekey.yaml" --out "$1/rekey" >/dev/null 2>&1 </dev/null
}
