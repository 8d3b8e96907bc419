#!/bin/sh
# A rehearsal killed anywhere resumes to a VALID transcript (issue 11, item 2).
# generic-root is rehearsed once whole to count its records; then it is killed
# (SIGKILL, CEREMONY_TEST_CRASH) after each record is durable, before each record is
# written, and inside a few record writes (half a record on disk, as a power cut
# leaves it), and each is resumed unattended with the same answers file:
#   - the crashed transcript verifies INCOMPLETE (a torn one: "torn tail");
#   - `resume` ends 0, moves the torn bytes (exactly those) to TRANSCRIPT.torn-OFFSET;
#   - the finished transcript is UNANCHORED without the new audit key's id and VALID
#     with --kid as the paper log gives it, by this verifier and by verify_cts.py;
#   - the root token holds one key pair labelled Root-CA-2026 (no duplicate key);
#   - the rehearsal's throwaway tokens stayed in the output folder while it was
#     unsealed and are gone once it is sealed.
. "$(dirname "$0")/lib.sh"
S=$TOP/ceremonies/generic-root.yaml
A=$TOP/examples/answers/generic-root.yaml
LABEL=Root-CA-2026

expect_exit 0 "generic-root rehearses whole" "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/whole"
N=$(dump "$T/whole/transcript.cts" | wc -l)
[ "$N" -gt 30 ] && ok "it has $N records" || not_ok "it has records" "$N"
[ -z "$(ls -d "$T/whole"/ceremony-tokens.* 2>/dev/null)" ] && ok "a sealed rehearsal leaves no token store" ||
	not_ok "a sealed rehearsal leaves no token store" "$(ls -a "$T/whole")"

# Public objects are listed without a login: one public key per key pair made.
pubkeys() {
	SOFTHSM2_CONF=$(ls -d "$1"/ceremony-tokens.*)/softhsm2.conf pkcs11-tool --module "$SOFTHSM_MODULE" \
		--token-label Root-CA --list-objects --type pubkey 2>/dev/null | grep -c "label: *$LABEL\$"
}

# crash WHEN SEQ: kill there, resume, check everything; quiet unless something fails.
bad=0
crash() {
	when=$1 seq=$2 d=$T/$1-$2
	CEREMONY_TEST_CRASH=$when:$seq "$CEREMONY" rehearse "$S" --answers "$A" --out "$d" >"$T/crash.out" 2>&1 </dev/null
	rc=$?
	if [ "$when" = after ] && [ "$seq" -eq $((N - 1)) ]; then
		# After the seal is durable there is nothing left to resume.
		"$CEREMONY" verify "$d/transcript.cts" >/dev/null 2>&1 && return 0
		not_ok "killed after the seal: VALID" "$(tail -5 "$T/crash.out")"; bad=1; return
	fi
	[ $rc -eq 137 ] || { not_ok "$when:$seq: the rehearsal was killed" "exit $rc" "$(tail -5 "$T/crash.out")"; bad=1; return; }
	ls -d "$d"/ceremony-tokens.* >/dev/null 2>&1 ||
		{ not_ok "$when:$seq: the killed rehearsal's tokens stay in its folder" "$(ls -a "$d")"; bad=1; return; }
	cp "$d/transcript.cts" "$T/crashed.cts"
	"$CEREMONY" verify "$d/transcript.cts" >"$T/v.out" 2>&1
	v=$?
	if [ $v -ne 4 ]; then not_ok "$when:$seq: the crashed transcript is INCOMPLETE" "exit $v" "$(cat "$T/v.out")"; bad=1; return; fi
	if [ "$when" = inside ] && ! grep -q "torn tail" "$T/v.out"; then
		not_ok "$when:$seq: a record torn in its write is a torn tail" "$(cat "$T/v.out")"; bad=1; return
	fi
	"$CEREMONY" resume "$d/transcript.cts" --answers "$A" --keep >"$T/resume.out" 2>&1 </dev/null
	rc=$?
	[ $rc -eq 0 ] || { not_ok "$when:$seq: resume completes" "exit $rc" "$(tail -15 "$T/resume.out")"; bad=1; return; }
	kid=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/resume.out" | tr -d ' ')
	[ ${#kid} -eq 64 ] || { not_ok "$when:$seq: resume shows the new audit key id" "$(grep -i kid "$T/resume.out")"; bad=1; return; }
	"$CEREMONY" verify "$d/transcript.cts" >"$T/v.out" 2>&1
	[ $? -eq 5 ] || { not_ok "$when:$seq: without the new kid it is UNANCHORED" "$(head -3 "$T/v.out")"; bad=1; return; }
	"$CEREMONY" verify "$d/transcript.cts" --kid "$kid" >"$T/v.out" 2>&1
	[ $? -eq 0 ] && head -1 "$T/v.out" | grep -q '^VALID$' ||
		{ not_ok "$when:$seq: with --kid it is VALID" "$(head -3 "$T/v.out")"; bad=1; return; }
	"$PYTHON" "$TOP/tests/tools/verify_cts.py" "$d/transcript.cts" --kid "$kid" >"$T/v.out" 2>&1
	[ $? -eq 0 ] || { not_ok "$when:$seq: verify_cts.py agrees: VALID" "$(head -3 "$T/v.out")"; bad=1; return; }
	keys=$(pubkeys "$d")
	[ "$keys" = 1 ] || { not_ok "$when:$seq: one key pair $LABEL on the root token" "found $keys"; bad=1; return; }
	side=$(ls "$d"/transcript.cts.torn-* 2>/dev/null)
	if [ "$when" = inside ]; then
		off=${side##*.torn-}
		[ -n "$side" ] && tail -c +$((off + 1)) "$T/crashed.cts" | cmp -s - "$side" ||
			{ not_ok "$when:$seq: the torn bytes are in the side file" "side '$side'"; bad=1; return; }
		cmp -s -n "$off" "$T/crashed.cts" "$d/transcript.cts" ||
			{ not_ok "$when:$seq: the records before the torn one are untouched"; bad=1; return; }
	elif [ -n "$side" ]; then
		not_ok "$when:$seq: no side file without a torn tail" "$side"; bad=1; return
	fi
	rm -rf "$d"
}

i=0
while [ $i -lt "$N" ]; do
	crash after $i
	[ $i -gt 0 ] && crash before $i
	i=$((i + 1))
done
[ $bad -eq 0 ] && ok "killed after or before each of the $N records, every rehearsal resumed VALID with one root key"
bad=0
for k in 1 8 9 $((N / 2)) $((N - 1)); do crash inside $k; done
[ $bad -eq 0 ] && ok "killed inside record writes, each torn tail moved aside and the rehearsal resumed VALID"

# A resume interrupted in its turn (inside a record) is resumed again: three signers,
# each new one vouched for by its kid from the paper log.
CEREMONY_TEST_CRASH=after:10 "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/twice" >/dev/null 2>&1 </dev/null
CEREMONY_TEST_CRASH=inside:20 "$CEREMONY" resume "$T/twice/transcript.cts" --answers "$A" >"$T/r1" 2>&1 </dev/null
[ $? -eq 137 ] && ok "the first resume is killed inside record 20" || not_ok "the first resume is killed inside record 20"
expect_exit 0 "the second resume completes" "$CEREMONY" resume "$T/twice/transcript.cts" --answers "$A"
k1=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/r1" | tr -d ' ')
k2=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/out" | tr -d ' ')
expect_exit 5 "with the first new kid only it is UNANCHORED" "$CEREMONY" verify "$T/twice/transcript.cts" --kid "$k1"
expect_out "from the second resume on" "UNANCHORED from seq 20"
expect_exit 0 "with both it is VALID" "$CEREMONY" verify "$T/twice/transcript.cts" --kid "$k1" --kid "$k2"
expect_out "three signers, the last from the resume at seq 20" "from the resume at seq 20; vouched for by --kid"
expect_exit 0 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/twice/transcript.cts" --kid "$k1" --kid "$k2"

# Nothing is touched before the resume is signed off: a witness who refuses leaves
# the file exactly as the crash left it (torn tail and all); the next resume moves the
# tail and its record says how many bytes and their SHA-256.
CEREMONY_TEST_CRASH=inside:9 "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/ref" >/dev/null 2>&1 </dev/null
cp "$T/ref/transcript.cts" "$T/ref.crashed"
sed 's/^    witness: {name: Wanda Weiss, signoff: "yes"}$/    witness: {name: Wanda Weiss, signoff: refuse, refusal_reason: "the seal on the HSM bag is broken"}/' \
	"$A" >"$T/refuse.yaml"
grep -q 'signoff: refuse' "$T/refuse.yaml" && ok "an answers file where the witness refuses the resume" ||
	not_ok "an answers file where the witness refuses the resume"
expect_exit 1 "the witness refuses the resume: it stops" "$CEREMONY" resume "$T/ref/transcript.cts" --answers "$T/refuse.yaml"
expect_out "saying who refused and why" "Wanda Weiss \\(witness\\) refused to sign the resume off: the seal on the HSM bag is broken"
cmp -s "$T/ref/transcript.cts" "$T/ref.crashed" && [ -z "$(ls "$T"/ref/transcript.cts.torn-* 2>/dev/null)" ] &&
	ok "and the file is as the crash left it, torn tail included" || not_ok "and the file is as the crash left it, torn tail included"
expect_exit 0 "the next resume completes" "$CEREMONY" resume "$T/ref/transcript.cts" --answers "$A"
off=$(ls "$T"/ref/transcript.cts.torn-* | sed 's/.*\.torn-//')
tsha=$(tail -c +$((off + 1)) "$T/ref.crashed" | sha256sum | cut -d' ' -f1) tlen=$(($(wc -c <"$T/ref.crashed") - off))
dump "$T/ref/transcript.cts" >"$T/ref.dump"
grep '"kind": "resume"' "$T/ref.dump" >"$T/ref.resume"
has "its resume record counts the bytes moved aside and their SHA-256" "$T/ref.resume" "\"1\": $tlen, \"2\": \"$tsha\""

# Zero fill after the last whole record (a power cut) is a torn tail too.
CEREMONY_TEST_CRASH=after:12 "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/z" >/dev/null 2>&1 </dev/null
head -c 4096 /dev/zero >>"$T/z/transcript.cts"
expect_exit 0 "zero fill after record 12: resume completes" "$CEREMONY" resume "$T/z/transcript.cts" --answers "$A"
expect_out "it says the torn tail went to a side file" "torn tail \\(4096 bytes after record 12\\) was moved to .*transcript.cts.torn-"
[ "$(cat "$T"/z/transcript.cts.torn-* | tr -d '\000' | wc -c)" -eq 0 ] && [ "$(cat "$T"/z/transcript.cts.torn-* | wc -c)" -eq 4096 ] && ok "the side file holds the 4096 zero bytes" ||
	not_ok "the side file holds the 4096 zero bytes"
[ -z "$(ls -d "$T/z"/ceremony-tokens.* 2>/dev/null)" ] && ok "sealed by the resume, the rehearsal's tokens are removed" ||
	not_ok "sealed by the resume, the rehearsal's tokens are removed" "$(ls -a "$T/z")"

# What resume refuses, before it changes anything.
expect_exit 2 "a sealed transcript: nothing to resume" "$CEREMONY" resume "$T/whole/transcript.cts" --answers "$A"
expect_out "it says so" "is sealed \\(completed\\): nothing to resume"
CEREMONY_TEST_CRASH=after:5 "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/inv" >/dev/null 2>&1 </dev/null
cp "$T/inv/transcript.cts" "$T/inv.orig"
"$PYTHON" - "$T/inv/transcript.cts" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(bytes(b))
PY
cp "$T/inv/transcript.cts" "$T/inv.flipped"
expect_exit 1 "a damaged transcript is not resumed" "$CEREMONY" resume "$T/inv/transcript.cts" --answers "$A"
expect_out "it says INVALID and why" "is INVALID at record [0-9]+"
cmp -s "$T/inv/transcript.cts" "$T/inv.flipped" && [ -z "$(ls "$T"/inv/transcript.cts.torn-* 2>/dev/null)" ] &&
	ok "and the file is left exactly as it was" || not_ok "and the file is left exactly as it was"
# A rehearsal initialises tokens: neither rehearse nor its resume takes a module that is
# not SoftHSM (OpenSC's, which a real smart card would use).
OPENSC=$(for m in /usr/lib/*/opensc-pkcs11.so /usr/lib/opensc-pkcs11.so; do [ -e "$m" ] && echo "$m" && break; done)
expect_exit 1 "rehearse refuses a module that is not SoftHSM" "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/osc" \
	--module "$OPENSC"
expect_out "saying whose module it is" "only initialises throwaway SoftHSM tokens; '$OPENSC' is a module of 'OpenSC"
CEREMONY_TEST_CRASH=after:7 "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/osc2" >/dev/null 2>&1 </dev/null
expect_exit 1 "so does a rehearsal's resume" "$CEREMONY" resume "$T/osc2/transcript.cts" --answers "$A" --module "$OPENSC"
expect_out "the same way" "only initialises throwaway SoftHSM tokens; '$OPENSC' is a module of 'OpenSC"
expect_exit 2 "a rehearsal is never resumed with --bind" "$CEREMONY" resume "$T/inv.orig" --bind /dev/null
: >"$T/empty.cts"
expect_exit 2 "an empty transcript (killed before genesis): nothing to resume" "$CEREMONY" resume "$T/empty.cts"
expect_out "it says to start again" "stopped before its genesis record.*start the ceremony again"

# Killed before genesis: the empty file no longer blocks the folder, and the store
# the killed rehearsal left is removed (none of its ceremony happened).
CEREMONY_TEST_CRASH=before:0 "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/e" >/dev/null 2>&1 </dev/null
[ -f "$T/e/transcript.cts" ] && [ ! -s "$T/e/transcript.cts" ] && ls -d "$T/e"/ceremony-tokens.* >/dev/null 2>&1 &&
	ok "killed before genesis: an empty transcript and the store are left" ||
	not_ok "killed before genesis: an empty transcript and the store are left" "$(ls -a "$T/e")"
expect_exit 0 "a rehearsal into a folder holding an empty transcript runs" "$CEREMONY" rehearse "$S" --answers "$A" --out "$T/e"
expect_out "it removes the stale store" "removing .*ceremony-tokens\..*, left by a rehearsal that stopped before its first record"
[ -f "$T/e/transcript.cts.empty-1" ] && [ ! -s "$T/e/transcript.cts.empty-1" ] && ok "the empty one is set aside, not deleted" ||
	not_ok "the empty one is set aside, not deleted" "$(ls -a "$T/e")"
echo "1..$n"
