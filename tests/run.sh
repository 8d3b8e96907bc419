#!/bin/sh
# Runs the unit test programs given as arguments (cmocka, TAP output) and every
# tests/cli/t*.sh (TAP), then tests/vectors. Ends with "N passed, N failed".
# Environment: CEREMONY (the binary), BUILD (build dir).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pass=0; fail=0
for t in "$@"; do
	echo "# $t"
	out=$(mktemp)
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>&1; rc=$?
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok"*) fail=$((fail + 1)); printf '%s: %s\n' "$t" "$line" >>"$log" ;;
		"ok"*) pass=$((pass + 1)) ;;
		esac
	done <"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
		fail=$((fail + 1)); echo "not ok - $t exited $rc"; echo "$t exited $rc" >>"$log"
	fi
	rm -f "$out"
done
for t in "$top"/tests/cli/t*.sh; do
	[ -e "$t" ] || continue
	echo "# $t"
	out=$(mktemp)
	sh "$t" >"$out" 2>&1; rc=$?
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok"*) fail=$((fail + 1)); printf '%s: %s\n' "$(basename "$t")" "$line" >>"$log" ;;
		"ok"*) pass=$((pass + 1)) ;;
		esac
	done <"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
		fail=$((fail + 1)); echo "not ok - $t exited $rc"; echo "$(basename "$t") exited $rc" >>"$log"
	fi
	rm -f "$out"
done
if [ -s "$log" ]; then echo; echo "failures:"; cat "$log"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
