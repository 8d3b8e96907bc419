#!/bin/sh
# Runs the unit test programs given as arguments (cmocka, TAP output) and every
# tests/cli/t*.sh (TAP), then tests/vectors. Ends with "N passed, N failed, N skipped".
# A test that cannot run says "ok N # SKIP why": a skip, but a failure when CI is
# set (CI must run everything; .ci/run sets it).
# Environment: CEREMONY (the binary), BUILD (build dir), CI, CLI_TESTS (which
# tests/cli scripts, as shell patterns: default every t*.sh).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pass=0; fail=0; skip=0
# count WHERE LINE: tallies one TAP line (WHERE names the test in the failure log).
count() {
	case "$2" in
	"not ok"*) fail=$((fail + 1)); printf '%s: %s\n' "$1" "$2" >>"$log" ;;
	"ok"*"# "[Ss][Kk][Ii][Pp]*)
		if [ -n "${CI:-}" ]; then
			fail=$((fail + 1)); printf '%s: %s (a skip fails under CI)\n' "$1" "$2" >>"$log"
		else
			skip=$((skip + 1))
		fi ;;
	"ok"*) pass=$((pass + 1)) ;;
	esac
}
for t in "$@"; do
	echo "# $t"
	out=$(mktemp)
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>&1; rc=$?
	while IFS= read -r line; do
		printf '%s\n' "$line"
		count "$t" "$line"
	done <"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
		fail=$((fail + 1)); echo "not ok - $t exited $rc"; echo "$t exited $rc" >>"$log"
	fi
	rm -f "$out"
done
for t in $(cd "$top/tests/cli" && ls ${CLI_TESTS:-t*.sh}); do
	t=$top/tests/cli/$t
	[ -e "$t" ] || continue
	echo "# $t"
	out=$(mktemp)
	sh "$t" >"$out" 2>&1; rc=$?
	while IFS= read -r line; do
		printf '%s\n' "$line"
		count "$(basename "$t")" "$line"
	done <"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
		fail=$((fail + 1)); echo "not ok - $t exited $rc"; echo "$(basename "$t") exited $rc" >>"$log"
	fi
	rm -f "$out"
done
if [ -s "$log" ]; then echo; echo "failures:"; cat "$log"; fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
