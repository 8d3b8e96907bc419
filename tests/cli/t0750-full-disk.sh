#!/bin/sh
# A full disk (issue 11, item 3): a rehearsal writes into a small tmpfs, a size at a
# time, so the disk fills at a different point each time. Whatever fills first (the
# transcript, an artifact, a token's file), the run stops saying why and the
# transcript is never lost: sealed (an artifact that cannot be written fails its
# step, and the script's on_fail seals it aborted) or unsealed and resumable (a
# record that cannot be written stops the run; no step acts before its step-begin
# is durable). Each unsealed one is resumed once the disk has room again (the
# tmpfs grown): VALID with the new audit key's --kid. Needs root to mount tmpfs.
. "$(dirname "$0")/lib.sh"
S=$TOP/ceremonies/generic-root.yaml
A=$TOP/examples/answers/generic-root.yaml
M=$T/disk
mkdir -p "$M"
if ! mount -t tmpfs -o size=40k tmpfs "$M" 2>"$T/mount.err"; then
	not_ok "a small tmpfs can be mounted (the test needs root)" "$(cat "$T/mount.err")"
	echo "1..$n"
	exit 0
fi
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
umount "$M"
unsealed=0 sealed=0 bad=0
for kb in 40 48 56 64 72 80 88 96 104 112 120 128; do
	mount -t tmpfs -o size=${kb}k tmpfs "$M" || { not_ok "mount ${kb}k"; break; }
	"$CEREMONY" rehearse "$S" --answers "$A" --out "$M/r" >"$T/run.out" 2>&1 </dev/null
	rc=$?
	if [ -e "$M/r/transcript.cts" ]; then
		"$CEREMONY" verify "$M/r/transcript.cts" >"$T/v.out" 2>&1
		v=$?
	else
		v=none
	fi
	case $v in
	0) : ;;   # the disk was big enough
	# An artifact that cannot be written says the disk is full; a token writing to the
	# same disk says only that it failed (SoftHSM: CKR_FUNCTION_FAILED).
	3) sealed=$((sealed + 1))
	   grep -Eq "step '[^']*' failed: .*(No space left on device|CKR_)" "$T/run.out" ||
		{ not_ok "${kb}k: sealed aborted, and the run said which step failed and why" "$(tail -5 "$T/run.out")"; bad=1; } ;;
	4) unsealed=$((unsealed + 1))
	   if [ $rc -ne 1 ] || ! grep -q "writing the transcript: No space left on device" "$T/run.out" ||
	      ! grep -q "finish it with: ceremony resume $M/r/transcript.cts" "$T/run.out"; then
		not_ok "${kb}k: the run stops saying the transcript cannot be written and how to resume" "exit $rc" \
			"$(tail -5 "$T/run.out")"; bad=1
	   fi
	   mount -o remount,size=8m "$M"
	   "$CEREMONY" resume "$M/r/transcript.cts" --answers "$A" >"$T/res.out" 2>&1 </dev/null
	   rc=$?
	   kid=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/res.out" | tr -d ' ')
	   "$CEREMONY" verify "$M/r/transcript.cts" --kid "${kid:-none}" >"$T/v.out" 2>&1
	   [ $rc -eq 0 ] && [ $? -eq 0 ] ||
		{ not_ok "${kb}k: with room again the rehearsal resumes VALID" "resume exit $rc" "$(tail -5 "$T/res.out")" \
			"$(head -2 "$T/v.out")"; bad=1; } ;;
	none) grep -q "creating transcript\|writing the transcript\|No space left" "$T/run.out" ||
		{ not_ok "${kb}k: no genesis, and the run said why" "$(tail -3 "$T/run.out")"; bad=1; } ;;
	*) not_ok "${kb}k: the transcript is sealed or resumable" "verify exit $v" "$(head -3 "$T/v.out")"; bad=1 ;;
	esac
	umount "$M"
done
[ $bad -eq 0 ] && ok "every full disk left the transcript sealed or resumable, and every unsealed one resumed VALID"
[ $unsealed -gt 0 ] && ok "the disk filled in a transcript write $unsealed time(s)" ||
	not_ok "the disk filled in a transcript write at least once" "sealed $sealed"
echo "1..$n"
