#!/bin/sh
# run.sh BUILD TARGET...: each libFuzzer target BUILD/fuzz/TARGET for FUZZ_SECONDS,
# from tests/fuzz/corpus/TARGET (read only: new inputs go to BUILD/corpus/TARGET,
# crashes to BUILD/crashes/TARGET-*). Prints each target's executions and findings;
# exits 1 when any target found something. A crash worth keeping is copied into
# tests/fuzz/corpus/TARGET under a name that says what it was (tests/fuzz/README.md).
set -u
build=$1; shift
secs=${FUZZ_SECONDS:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
found=0
for t in "$@"; do
	mkdir -p "$build/corpus/$t" "$build/crashes"
	log="$build/fuzz-$t.log"
	echo "== $t: $secs s"
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$build/fuzz/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/crashes/$t-" \
		"$build/corpus/$t" "$top/tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "   ${execs:-?} executions, $cov, nothing found"
	else
		found=1
		echo "   exit $rc after ${execs:-?} executions: see $log"
		grep -m 3 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/   /'
	fi
done
exit $found
