#!/bin/sh
# make bench: the speed and memory targets of issue 14, measured, not asserted.
# Whatever is compared is run alternately in this one run (the machines are shared
# and noisy) and reported as medians and ratios; bench/RESULTS.md keeps one run.
# Usage: bench/run.sh BUILD   (BENCH_ROUNDS=N rounds, default 7)
set -eu
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
cer=$build/ceremony
bt=$build/bench/bench_transcript
rounds=${BENCH_ROUNDS:-7}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ceremony-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

med() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# col N FILE: the median of column N
col() { awk -v c="$1" '{print $c}' "$2" | med; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "## Machine"
echo "- $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "- $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), $(openssl version | cut -d' ' -f1-2)"
echo "- transcripts in $tmp: $(df -T "$tmp" | awk 'NR==2 {print $2}') on $(df "$tmp" | awk 'NR==2 {print $1}')"
echo "- $($cer --version 2>/dev/null | head -n 1), $rounds rounds"
echo

# --- verify: streaming, and against the floor ------------------------------------
echo "## verify"
for spec in 500:40 5000:40 50000:40 50000:0; do
	pairs=${spec%:*} ids=${spec#*:}
	"$bt" write "$pairs" "$ids" "$tmp/t-$pairs-$ids.cts"
done
printf '| records | step ids | bytes | wall (median) | per record | CPU | peak RSS |\n|---|---|---|---|---|---|---|\n'
for spec in 500:40 5000:40 50000:40 50000:0; do
	pairs=${spec%:*} ids=${spec#*:} f=$tmp/t-${spec%:*}-${spec#*:}.cts
	n=$((2 * pairs + 2))
	"$cer" verify "$f" >/dev/null || { echo "bench: $f does not verify VALID" >&2; exit 1; }
	: > "$tmp/v"
	for i in $(seq "$rounds"); do "$bt" time "$cer" verify "$f" >> "$tmp/v"; done
	w=$(col 1 "$tmp/v") c=$(col 2 "$tmp/v") m=$(awk '{print $3}' "$tmp/v" | sort -n | tail -n 1)
	printf '| %s | %s | %s | %.1f ms | %.1f µs | %.1f ms | %s KiB |\n' "$n" "$([ "$ids" = 0 ] && echo "all distinct" || echo "$ids")" \
		"$(stat -c %s "$f")" "$(awk -v w="$w" 'BEGIN {print w * 1e3}')" "$(awk -v w="$w" -v n="$n" 'BEGIN {print w / n * 1e6}')" \
		"$(awk -v c="$c" 'BEGIN {print c * 1e3}')" "$m"
done
echo

# The floor: one ES256 verification and one SHA-256 of a record's size per record,
# from `openssl speed`, alternated with verify of the 10 002-record file.
f=$tmp/t-5000-40.cts
n=10002
size=$(( $(stat -c %s "$f") / n ))
: > "$tmp/floor"; : > "$tmp/v10k"
for i in $(seq "$rounds"); do
	vs=$(openssl speed -seconds 1 ecdsap256 2>/dev/null | awk '/nistp256/ {print $NF}')
	hs=$(openssl speed -seconds 1 -bytes "$size" sha256 2>/dev/null | awk '/^sha256/ {sub("k", "", $NF); print $NF * 1000}')
	awk -v v="$vs" -v h="$hs" -v s="$size" 'BEGIN {printf "%.9f %s %s\n", 1 / v + s / h, v, h}' >> "$tmp/floor"
	"$bt" time "$cer" verify "$f" >> "$tmp/v10k"
done
fl=$(col 1 "$tmp/floor") vw=$(col 1 "$tmp/v10k") vc=$(col 2 "$tmp/v10k")
printf -- '- floor (openssl speed, median of %s): ES256 verify %.0f/s, SHA-256 of %s bytes %.0f MB/s: %.1f µs a record\n' \
	"$rounds" "$(col 2 "$tmp/floor")" "$size" "$(awk -v h="$(col 3 "$tmp/floor")" 'BEGIN {print h / 1e6}')" \
	"$(awk -v f="$fl" 'BEGIN {print f * 1e6}')"
printf -- '- verify, %s records, alternated with it: %.1f µs a record wall, %.1f µs CPU: **%s× the floor** (wall), %s× (CPU); target 1.25×\n' \
	"$n" "$(awk -v w="$vw" -v n="$n" 'BEGIN {print w / n * 1e6}')" "$(awk -v w="$vc" -v n="$n" 'BEGIN {print w / n * 1e6}')" \
	"$(ratio "$(awk -v w="$vw" -v n="$n" 'BEGIN {print w / n}')" "$fl")" "$(ratio "$(awk -v w="$vc" -v n="$n" 'BEGIN {print w / n}')" "$fl")"
echo

# --- append ---------------------------------------------------------------------
echo "## append"
echo "- $("$bt" append 500 "$tmp")"
echo "- target: 1.2× the bare write + fdatasync"
echo

# --- check ----------------------------------------------------------------------
echo "## check"
big=$(ls -S "$root"/ceremonies/*.yaml | head -n 1)
: > "$tmp/c"
for i in $(seq $((rounds * 3))); do "$bt" time "$cer" check "$big" >> "$tmp/c"; done
printf -- '- `ceremony check %s` (%s bytes, the largest): median %.1f ms wall, peak RSS %s KiB; target < 20 ms\n' \
	"ceremonies/${big##*/}" "$(stat -c %s "$big")" "$(awk -v w="$(col 1 "$tmp/c")" 'BEGIN {print w * 1e3}')" \
	"$(awk '{print $3}' "$tmp/c" | sort -n | tail -n 1)"
echo

# --- rehearsal against the shell ceremony ------------------------------------------
echo "## rehearsal against bench/baseline.sh"
s=company-root-intermediate
: > "$tmp/r"; : > "$tmp/b"
for i in $(seq "$rounds"); do
	"$bt" time "$cer" rehearse "$root/ceremonies/$s.yaml" --answers "$root/examples/answers/$s.yaml" --out "$tmp/r$i" >> "$tmp/r"
	[ -s "$tmp/r$i/transcript.cts" ] || { echo "bench: the rehearsal wrote no transcript" >&2; exit 1; }
	"$bt" time sh "$root/bench/baseline.sh" "$tmp/b$i" >> "$tmp/b"
	[ -s "$tmp/b$i/int.crl" ] || { echo "bench: baseline.sh did not finish" >&2; exit 1; }
done
rc=$(col 2 "$tmp/r") bc=$(col 2 "$tmp/b") rw=$(col 1 "$tmp/r") bw=$(col 1 "$tmp/b")
printf -- '- `ceremony rehearse ceremonies/%s.yaml` unattended: CPU %.1f ms, wall %.1f ms (medians)\n' "$s" \
	"$(awk -v x="$rc" 'BEGIN {print x * 1e3}')" "$(awk -v x="$rw" 'BEGIN {print x * 1e3}')"
printf -- '- bench/baseline.sh, the same work in shell: CPU %.1f ms, wall %.1f ms\n' \
	"$(awk -v x="$bc" 'BEGIN {print x * 1e3}')" "$(awk -v x="$bw" 'BEGIN {print x * 1e3}')"
printf -- '- **CPU %s× the shell'"'"'s** (target 0.5×); wall %s×\n' "$(ratio "$rc" "$bc")" "$(ratio "$rw" "$bw")"
