#!/bin/sh
# The fuzz targets (tests/fuzz), built without libFuzzer, replay their corpora:
# every seed and every crash kept there runs once more through the script, answers,
# binding, transcript and share parsers (under make asan, with the sanitizers).
. "$(dirname "$0")/lib.sh"
B=${BUILD:-$TOP/build}
case $B in /*) ;; *) B=$TOP/$B ;; esac
for t in script answers binding transcript resign share; do
	bin="$B/fuzz/$t"
	corpus="$TOP/tests/fuzz/corpus/$t"
	if [ ! -x "$bin" ]; then
		not_ok "$t: the fuzz target is built" "missing $bin"
		continue
	fi
	seeds=$(find "$corpus" -type f | wc -l)
	[ "$seeds" -gt 0 ] && ok "$t: $seeds seeds in tests/fuzz/corpus/$t" || not_ok "$t: seeds in its corpus" "none in $corpus"
	"$bin" "$corpus" >"$T/out" 2>&1; rc=$?
	[ $rc -eq 0 ] && grep -q "^$seeds inputs ran" "$T/out" && ok "$t: every seed replays" ||
		not_ok "$t: every seed replays" "exit $rc" "$(tail -c 3000 "$T/out")"
done
echo "1..$n"
