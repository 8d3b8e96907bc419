#!/bin/sh
# t0300: the transcript test vectors reach their expected verdicts with
# `ceremony verify` and with the independent verifier tests/tools/verify_cts.py
# (written from TRANSCRIPT.md alone). tests/vectors/EXPECTED has one case a line:
#   FILE CODE FIRST-LINE-ERE [-- VERIFY-ARGS...]
# CODE the exit status, FIRST-LINE-ERE what the first output line of both must
# match (grep -E), VERIFY-ARGS (shell words) given to both verifiers.
# T0300_C_ONLY=1 leaves verify_cts.py out: tests/mutate.sh runs this against mutants
# of the C verifier, which cannot change what the Python one says.
. "$(dirname "$0")/lib.sh"
V=$TOP/tests/vectors

PY=$PYTHON

# The JSON verdict for an exit status.
json_verdict() {
	case $1 in
	0) echo VALID ;;
	3) echo ABORTED ;;
	4) echo INCOMPLETE ;;
	5) echo UNANCHORED ;;
	1) echo INVALID ;;
	esac
}

# first_line_is WHAT ERE: the first line of the last command's output matches ERE.
first_line_is() {
	head -n 1 "$T/out" >"$T/first"
	if grep -Eq -- "$2" "$T/first"; then
		ok "$1"
	else
		not_ok "$1" "first line: $(cat "$T/first")" "wanted: $2"
	fi
}

while read -r file code rest; do
	case $file in '' | '#'*) continue ;; esac
	case $rest in
	*' -- '*) ere=${rest%% -- *} args=${rest#* -- } ;;
	*) ere=$rest args= ;;
	esac
	if [ ! -f "$V/$file" ]; then
		not_ok "$file exists" "listed in EXPECTED but missing"
		continue
	fi
	eval "set -- $args"
	label="$file${args:+ $args}"
	expect_exit "$code" "ceremony verify $label exits $code" "$CEREMONY" verify "$V/$file" "$@"
	first_line_is "ceremony verify $label: first line matches $ere" "$ere"
	verdict=$(json_verdict "$code")
	expect_exit "$code" "ceremony verify --json $label exits $code" "$CEREMONY" verify --json "$V/$file" "$@"
	expect_out "ceremony verify --json $label: verdict $verdict" "\"verdict\":\"$verdict\""
	[ -n "${T0300_C_ONLY:-}" ] && continue
	if [ -z "$PY" ]; then
		not_ok "verify_cts.py $label" "no python3 with cbor2 and cryptography (make deps installs them)"
		continue
	fi
	expect_exit "$code" "verify_cts.py $label exits $code" "$PY" "$TOP/tests/tools/verify_cts.py" "$V/$file" "$@"
	first_line_is "verify_cts.py $label: first line matches $ere" "$ere"
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

# --kid and --anchor heads that are neither 64 hex digits nor 32 PGP words (the
# word of a byte at an even position put at an odd one, too few words) are bad
# usage for both verifiers.
kid=6c7fb0f4d87f6f530121a56efb2511d22bade87362d14b24f62ef80d034d195d
words='glucose integrate ruffled Virginia stormy integrate gremlin enterprise absurd Camelot reindeer headwaters watchword caravan Athens sensation briefcase perceptive trauma hurricane flagpole scavenger dragnet Capricorn village coherence Vulcan asteroid acme disruptive bedlamp filament'
swapped='integrate glucose ruffled Virginia stormy integrate gremlin enterprise absurd Camelot reindeer headwaters watchword caravan Athens sensation briefcase perceptive trauma hurricane flagpole scavenger dragnet Capricorn village coherence Vulcan asteroid acme disruptive bedlamp filament'
for v in ceremony verify_cts.py; do
	if [ $v = ceremony ]; then set -- "$CEREMONY" verify; elif [ -n "$PY" ] && [ -z "${T0300_C_ONLY:-}" ]; then set -- "$PY" "$TOP/tests/tools/verify_cts.py"; else continue; fi
	expect_exit 2 "$v: a --kid of 63 hex digits is bad usage" "$@" "$V/rehearsal-generic-root.cts" --kid "${kid%?}"
	expect_exit 2 "$v: a --kid of 31 PGP words is bad usage" "$@" "$V/rehearsal-generic-root.cts" --kid "${words% *}"
	expect_exit 2 "$v: a --kid with words at the wrong positions is bad usage" "$@" "$V/rehearsal-generic-root.cts" --kid "$swapped"
	expect_exit 2 "$v: an --anchor head with words at the wrong positions is bad usage" "$@" "$V/rehearsal-generic-root.cts" --anchor "34:$swapped"
	expect_exit 0 "$v: PGP words match whatever their case" "$@" "$V/rehearsal-generic-root.cts" --kid "$(echo "$words" | tr a-z A-Z)"
	expect_exit 2 "$v: --kid without a value is bad usage" "$@" "$V/rehearsal-generic-root.cts" --kid
done

echo "1..$n"
