#!/bin/sh
# Every ceremony of the library (t0740 does generic-root in depth) is killed after
# each record, before each record and inside each record write, and resumed
# unattended with its own answers file: each finishes VALID with the new audit
# key's --kid (the paper log's), and the quorum, token.init and activation steps
# come back from the rehearsal's keepsafe. The independent verifier checks the
# middle kill of each kind.
. "$(dirname "$0")/lib.sh"
# The seed 004 company ceremonies (an air-gapped workstation: tools/offline; the
# intermediate after the root's rehearsal) are killed after each record only: the
# other two kinds cut the same writer code, which the ceremonies before them cover.
for name in course-exercise company-root-intermediate custodian-activation quorum-3-of-5 company-root \
	company-intermediate; do
	S=$TOP/ceremonies/$name.yaml A=$TOP/examples/answers/$name.yaml B=$T/$name
	C=$(runner_for "$S") after=$(after_args "$S") kinds="after before inside"
	case $name in company-*-*) ;; company-*) kinds=after ;; esac
	$C rehearse "$S" --answers "$A" $after --out "$B-whole" >/dev/null 2>&1 </dev/null
	N=$(dump "$B-whole/transcript.cts" | wc -l)
	[ "$N" -gt 5 ] || { not_ok "$name rehearses whole" "$N records"; continue; }
	fails="" i=0
	while [ $i -lt $((N - 1)) ]; do
		for w in $kinds; do
			[ $w != after ] && [ $i -eq 0 ] && continue
			d=$B-$w-$i
			CEREMONY_TEST_CRASH=$w:$i $C rehearse "$S" --answers "$A" $after --out "$d" >"$T/log" 2>&1 </dev/null
			$C resume "$d/transcript.cts" --answers "$A" >"$T/res" 2>&1 </dev/null
			rc=$?
			kid=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/res" | tr -d ' ')
			"$CEREMONY" verify "$d/transcript.cts" --kid "${kid:-none}" >"$T/v" 2>&1
			v=$?
			if [ $rc -eq 0 ] && [ $v -eq 0 ] && [ $i -eq $((N / 2)) ]; then
				"$PYTHON" "$TOP/tests/tools/verify_cts.py" "$d/transcript.cts" --kid "$kid" >"$T/v" 2>&1
				v=$?
			fi
			[ $rc -eq 0 ] && [ $v -eq 0 ] ||
				fails="$fails $w:$i(resume $rc, verify $v: $(grep -h 'ceremony resume:' "$T/res" | head -1))"
			rm -rf "$d"
		done
		i=$((i + 1))
	done
	[ -z "$fails" ] && ok "$name: killed at each of its $N records, every rehearsal resumed VALID" ||
		not_ok "$name: killed at each of its $N records, every rehearsal resumed VALID" "$fails"
done

# A resume that activates a token again and is itself killed, at each of its records:
# the next resume takes that activation for what it was (said in its step-begin) and
# runs no step that had passed again; both new kids, as shown, make it VALID.
name=custodian-activation S=$TOP/ceremonies/$name.yaml A=$TOP/examples/answers/$name.yaml
fails=""
for second in after:11 after:12 inside:12 after:13 inside:14; do
	d=$T/twice-$second
	CEREMONY_TEST_CRASH=after:10 "$CEREMONY" rehearse "$S" --answers "$A" --out "$d" >/dev/null 2>&1 </dev/null
	CEREMONY_TEST_CRASH=$second "$CEREMONY" resume "$d/transcript.cts" --answers "$A" >"$T/r1" 2>&1 </dev/null
	"$CEREMONY" resume "$d/transcript.cts" --answers "$A" >"$T/r2" 2>&1 </dev/null
	rc=$?
	k1=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/r1" | tr -d ' ')
	k2=$(sed -n 's/.*new audit key id (write this on the paper log): //p' "$T/r2" | tr -d ' ')
	"$CEREMONY" verify "$d/transcript.cts" --kid "${k1:-none}" --kid "${k2:-none}" >"$T/v" 2>&1
	v=$?
	keys=$(dump "$d/transcript.cts" | grep '"kind": "step-begin"' | grep -c '"0": "root-key"')
	again=$(dump "$d/transcript.cts" | grep '"kind": "step-begin"' | grep -c '"again_after_resume": true')
	[ $rc -eq 0 ] && [ $v -eq 0 ] && [ "$keys" = 1 ] && [ "$again" -ge 1 ] ||
		fails="$fails $second(resume $rc, verify $v, root-key begun $keys times, $again activations again)"
done
[ -z "$fails" ] && ok "$name: a resume killed while activating again resumes VALID, the key made once" ||
	not_ok "$name: a resume killed while activating again resumes VALID, the key made once" "$fails"
echo "1..$n"
