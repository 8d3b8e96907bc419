#!/bin/sh
# t0300: the transcript test vectors (tests/vectors/EXPECTED: file verdict exit-code)
# reach their expected verdicts with `ceremony verify` and with the independent
# verifier tests/tools/verify_cts.py (written from TRANSCRIPT.md alone).
. "$(dirname "$0")/lib.sh"
V=$TOP/tests/vectors

PY=$PYTHON

# The first line of `ceremony verify` is the verdict.
verdict_line() {
	case $1 in
	VALID) echo '^VALID$' ;;
	ABORTED) echo '^VALID, ABORTED$' ;;
	INCOMPLETE) echo '^INCOMPLETE' ;;
	INVALID) echo '^INVALID at seq [0-9]+: ' ;;
	esac
}

while read -r file verdict code; do
	case $file in '' | '#'*) continue ;; esac
	if [ ! -f "$V/$file" ]; then
		not_ok "$file exists" "listed in EXPECTED but missing"
		continue
	fi
	expect_exit "$code" "ceremony verify $file exits $code ($verdict)" "$CEREMONY" verify "$V/$file"
	head -n 1 "$T/out" >"$T/first"
	if grep -Eq -- "$(verdict_line "$verdict")" "$T/first"; then
		ok "ceremony verify $file says $verdict first"
	else
		not_ok "ceremony verify $file says $verdict first" "first line: $(cat "$T/first")"
	fi
	expect_exit "$code" "ceremony verify --json $file exits $code" "$CEREMONY" verify --json "$V/$file"
	expect_out "ceremony verify --json $file: verdict $verdict" "\"verdict\":\"$verdict\""
	if [ -z "$PY" ]; then
		not_ok "verify_cts.py $file" "no python3 with cbor2 and cryptography (make deps installs them)"
		continue
	fi
	expect_exit "$code" "verify_cts.py $file exits $code ($verdict)" "$PY" "$TOP/tests/tools/verify_cts.py" "$V/$file"
	head -n 1 "$T/out" >"$T/first"
	if grep -Eq -- "$(verdict_line "$verdict")" "$T/first"; then
		ok "verify_cts.py $file says $verdict first"
	else
		not_ok "verify_cts.py $file says $verdict first" "first line: $(cat "$T/first")"
	fi
done <"$V/EXPECTED"

# Every vector on disk is listed, so a new one cannot be forgotten.
for f in "$V"/*.cts; do
	b=$(basename "$f")
	if grep -q "^$b " "$V/EXPECTED"; then ok "$b is listed in EXPECTED"; else not_ok "$b is listed in EXPECTED"; fi
done

# The optional checks on the good vector: its own script (carried in genesis)
# is not at hand here, so a wrong script and a wrong anchor must be INVALID,
# and a right anchor (the head before record 0 is 32 zero bytes) VALID.
echo 'not the script' >"$T/script"
expect_exit 1 "a script that is not the ceremony's is INVALID" "$CEREMONY" verify "$V/good-es256.cts" --script "$T/script"
expect_out "the script mismatch is at seq 0" '^INVALID at seq 0: .*script'
zero=0000000000000000000000000000000000000000000000000000000000000000
expect_exit 0 "a right anchor keeps it VALID" "$CEREMONY" verify "$V/good-es256.cts" --anchor "0:$zero"
expect_exit 1 "a wrong anchor is INVALID" "$CEREMONY" verify "$V/good-es256.cts" --anchor "2:$zero"
expect_out "the wrong anchor is at its seq" '^INVALID at seq 2: .*anchor'
expect_exit 2 "a malformed anchor is bad usage" "$CEREMONY" verify "$V/good-es256.cts" --anchor "2:zz"
expect_exit 2 "a missing file is exit 2" "$CEREMONY" verify "$T/does-not-exist.cts"
expect_exit 0 "verify --help exits 0" "$CEREMONY" verify --help
expect_out "verify --help documents the exit status" '^EXIT STATUS'

echo "1..$n"
