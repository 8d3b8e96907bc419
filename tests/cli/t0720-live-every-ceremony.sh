#!/bin/sh
# Live = rehearsal (issue 10, item 1): every ready ceremony (each with an answers file
# in examples/answers/) is rehearsed unattended, then run live with `ceremony run`
# against tokens initialised by hand with softhsm2-util (a token the script
# initialises itself with token.init is left blank), in a tmux terminal where
# tests/tools/room.py types the answers as people would: the same question, in the
# same order, as the rehearsal asked, plus the PINs of the hand-made tokens. Shares are
# typed from what was shown to their holder. Then: the live run's records equal the
# rehearsal's (tests/tools/records_diff.py: apart from what differs in any two runs),
# both verifiers say VALID, and no PIN or share is left on the screen, in its
# scrollback or in the transcript. A ceremony that builds on an earlier one
# (examples/sequence) comes after it: its rehearsal runs --after the earlier
# rehearsal, its live run builds on the earlier live run as the room would — the
# earlier transcript and USB drive beside the script, the earlier HSMs (their token
# files) brought in, the custodians typing the shares on the cards the earlier room
# showed them. A script that checks the air gap runs in a network namespace of its
# own (tools/offline), rehearsal and live alike.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { not_ok "tmux is installed" "make deps installs it"; echo "1..$n"; exit 0; }
MOD=$SOFTHSM_MODULE
# Test-only PINs on softhsm2-util's command line; ceremony itself never takes one there.
USER_PIN=61823047 SO_PIN=40293817

earlier_of() { awk -v n="$1" '$1 == n && NF > 1 { print $2 }' "$TOP/examples/sequence"; }
# Those that build on none first, then the others in the order they are held.
order=$(for S in "$TOP"/ceremonies/*.yaml; do n=$(basename "$S" .yaml); [ -z "$(earlier_of "$n")" ] && echo "$n"; done
	awk '!/^#/ && NF > 1 { print $1 }' "$TOP/examples/sequence")
for name in $order; do
	S=$TOP/ceremonies/$name.yaml
	A=$TOP/examples/answers/$name.yaml
	[ -e "$A" ] || continue
	D=$T/$name E=$(earlier_of "$name") C=$(runner_for "$S")
	mkdir -p "$D/tokens"
	after=${E:+--after $T/$E/rehearsal}
	if ! $C rehearse "$S" --answers "$A" $after --out "$D/rehearsal" --keep >"$D/rehearsal.txt" 2>&1 </dev/null; then
		not_ok "$name: the rehearsal completes" "$(tail -n 20 "$D/rehearsal.txt")"
		continue
	fi
	ok "$name: the rehearsal completes"

	# The tokens as the room finds them: initialised by hand, or blank for token.init.
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$D" >"$D/softhsm2.conf"
	export SOFTHSM2_CONF=$D/softhsm2.conf
	live_script=$S
	if [ -n "$E" ]; then
		# The earlier ceremony's HSMs, its transcript and its USB drive 1, in the room.
		cp -a "$T/$E/tokens/." "$D/tokens/"
		mkdir -p "$D/script"
		cp -a "$T/$E/live/." "$D/script/" && cp "$S" "$D/script/"
		live_script=$D/script/$name.yaml
	fi
	"$PYTHON" - "$S" ${E:+"$TOP/ceremonies/$E.yaml"} >"$D/tokens.txt" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
earlier = {d["label"] for d in yaml.safe_load(open(sys.argv[2]))["tokens"].values()} if len(sys.argv) > 2 else set()
for tok, decl in doc["tokens"].items():
    first = next((s["type"] for s in doc["steps"] if s.get("token") == tok), None)
    print(tok, decl["label"], "earlier" if decl["label"] in earlier else "blank" if first == "token.init" else "made")
PY
	printf 'binding: 1\nmodule: %s\ntokens:\n' "$MOD" >"$D/bind.yaml"
	: >"$D/pins"
	while read -r tok label state; do
		[ "$state" = made ] || continue
		softhsm2-util --init-token --free --label "$label" --so-pin "$SO_PIN" --pin "$USER_PIN" >/dev/null
		printf '  %s: "pkcs11:token=%s"\n' "$tok" "$label" >>"$D/bind.yaml"
		printf '%s user %s\n%s so %s\n' "$tok" "$USER_PIN" "$tok" "$SO_PIN" >>"$D/pins"
	done <"$D/tokens.txt"
	while read -r tok label state; do
		[ "$state" = earlier ] || continue
		printf '  %s: "pkcs11:token=%s"\n' "$tok" "$label" >>"$D/bind.yaml"
		# made by hand for the earlier ceremony with the same test PINs (or, quorum
		# tokens, never asked for one)
		printf '%s user %s\n%s so %s\n' "$tok" "$USER_PIN" "$tok" "$SO_PIN" >>"$D/pins"
	done <"$D/tokens.txt"
	while read -r tok label state; do
		[ "$state" = blank ] || continue
		uri=$("$CEREMONY" tokens --module "$MOD" | sed -n 's/^  uri: *\(pkcs11:slot-id=.*\)$/\1/p' | head -n 1)
		printf '  %s: "%s"\n' "$tok" "$uri" >>"$D/bind.yaml"
	done <"$D/tokens.txt"

	# The cards the custodians hold: the shares shown in every earlier ceremony's room.
	cards="" e=$E
	while [ -n "$e" ]; do cards="$T/$e/room/stream.txt${cards:+:$cards}"; e=$(earlier_of "$e"); done
	if ROOM_CARDS=$cards "$PYTHON" "$TOP/tests/tools/room.py" "$D/rehearsal.txt" "$D/pins" \
		"$D/room" -- $C run "$live_script" --bind "$D/bind.yaml" --out "$D/live" >"$D/room.txt" 2>&1; then
		ok "$name: the live run asks what the rehearsal asked, in order, and completes ($(head -n 1 "$D/room.txt"))"
	else
		not_ok "$name: the live run asks what the rehearsal asked, in order, and completes" "$(cat "$D/room.txt")"
		continue
	fi
	if "$PYTHON" "$TOP/tests/tools/records_diff.py" --live "$D/rehearsal/transcript.cts" "$D/live/transcript.cts" >"$D/diff" 2>&1; then
		ok "$name: the live run's records are the rehearsal's"
	else
		not_ok "$name: the live run's records are the rehearsal's" "$(head -n 60 "$D/diff")"
	fi
	expect_exit 0 "$name: the live transcript is VALID" "$CEREMONY" verify "$D/live/transcript.cts" --script "$S"
	expect_out "$name: and live" "mode: +live"
	expect_exit 0 "$name: verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$D/live/transcript.cts"
	# What stays behind: the PINs typed and the shares shown (their first group) nowhere.
	leaks=$(grep -l -e "$USER_PIN" -e "$SO_PIN" "$D/room/pane.txt" "$D/live/transcript.cts" 2>/dev/null)
	[ -z "$leaks" ] && ok "$name: no PIN on the screen, in its scrollback or in the transcript" ||
		not_ok "$name: no PIN on the screen, in its scrollback or in the transcript" "$leaks"
	shown=$(grep -c ' only:$' "$D/room/stream.txt")
	firsts=$(awk '{ print $3 }' "$D/room/shown.txt")
	left=""
	for g in $firsts; do
		grep -q -- "$g" "$D/room/pane.txt" "$D/live/transcript.cts" && left="$left $g"
	done
	want=$(grep -c -E 'type: (token\.init|shares\.split)' "$S")
	nfirst=$(grep -c . "$D/room/shown.txt")
	if [ "$want" -gt 0 ] && { [ "$shown" -eq 0 ] || [ "$nfirst" -ne "$shown" ]; }; then
		not_ok "$name: the shares shown are found on the screen" "$shown shown, $nfirst read" "$(cat "$D/room/shown.txt")"
	fi
	[ -z "$left" ] && ok "$name: none of the $shown shares shown is left on the screen, in its scrollback or in the transcript" ||
		not_ok "$name: none of the $shown shares shown is left on the screen, in its scrollback or in the transcript" "$left"
done
echo "1..$n"
