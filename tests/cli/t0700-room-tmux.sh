#!/bin/sh
# In the room, as people type: an interactive rehearsal driven through tmux (send-keys,
# capture-pane) on an 80-column terminal. Slips are asked again (a wrong read-back,
# a choice in capitals), the fingerprint is wrapped at group boundaries, never inside
# a group, and the run completes with a VALID transcript.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { not_ok "tmux is installed" "apt-get install tmux"; echo "1..$n"; exit 0; }
S=$T/room.yaml
cat >"$S" <<'YAML'
ceremony: 1
title: tmux room test
roles:
  administrator: {count: 1}
  witness: {count: 1}
tokens:
  root: {label: TMUX-ROOM}
steps:
  - id: attendance
    type: attendance
  - id: key
    type: key.generate
    token: root
    algorithm: ec-p256
    label: k
  - id: fpr
    type: fingerprint
    of: key.public_key
    readback: {role: witness, groups: 2}
  - id: go
    type: decision
    question: Go on?
    choices: {go: done, stop: halt}
  - id: done
    type: manual
    say: Done.
YAML
expect_exit 0 "the room script is valid" "$CEREMONY" check "$S"

SOCK=ceremony-test-$$
tm() { tmux -L "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$T"' EXIT
tm new-session -d -x 80 -y 40 -s room "sh -c '\"$CEREMONY\" rehearse \"$S\" --out \"$T/room-out\"; echo CEREMONY-EXIT=\$?; sleep 30'"
screen() { tm capture-pane -p -J -S - -t room; }
raw_pane() { cat "$T/raw"; }
last() { screen | grep -v '^ *$' | tail -n 1 | sed 's/ *$//'; }
send() { tm send-keys -t room -l "$1"; tm send-keys -t room Enter; }

# The lines of hex groups after "SHA-256 of key.public_key:" (up to the words line).
fpr_lines() { "$1" | sed -n '/SHA-256 of key.public_key:/,/[a-z]/p' | grep -E '^ +[0-9A-F]+( [0-9A-F]+)* *$'; }

readbacks=0 choices=0 i=0
while [ $i -lt 120 ]; do
	i=$((i + 1))
	sleep 0.25
	l=$(last)
	case $l in
	*CEREMONY-EXIT=*) break ;;
	*"name of administrator"*:) send "Ada Admin" ;;
	*"name of witness"*:) send "Wes Wong" ;;
	*"type yes"*:|*"to confirm"*:|*"attest"*:) send "yes" ;;
	*"type the last 2 groups"*:)
		readbacks=$((readbacks + 1))
		if [ $readbacks -eq 1 ]; then send "0000 0000"; else
			# the group lines after "SHA-256 of key.public_key:" (wrapped by the runner)
			groups=$(fpr_lines screen | tr -s ' ' '\n' | grep -E '^[0-9A-F]{4}$' | tail -n 2 | tr -d '\n' | tr 'A-F' 'a-f')
			send "$groups"
		fi ;;
	*"Go on?"*:)
		choices=$((choices + 1))
		[ $choices -eq 1 ] && send "Go?" || send "GO" ;;
	*) continue ;;
	esac
	sleep 0.25
done
screen >"$T/pane"
tm capture-pane -p -S - -t room >"$T/raw"
grep -q 'CEREMONY-EXIT=0' "$T/pane" && ok "the interactive rehearsal completes" ||
	not_ok "the interactive rehearsal completes" "$(tail -n 30 "$T/pane")"
# (messages are wrapped to the screen: join the pane's lines before looking)
tr -s ' \n' '  ' <"$T/pane" >"$T/flat"
grep -q "'0000 0000' does not match the fingerprint on the screen: Wes Wong, read the last 2 groups again (attempt 1 of 3)" "$T/flat" &&
	ok "a wrong read-back is asked again" || not_ok "a wrong read-back is asked again" "$(grep -n -i 'match' "$T/pane")"
grep -q "'Go?' is not one of the choices: go / stop (attempt 1 of 3)" "$T/flat" &&
	ok "a choice that is none of the choices is asked again" || not_ok "a choice is asked again" "$(grep -n 'choices' "$T/pane")"
grep -q "choice.*Actual: go" "$T/pane" && ok "the choice typed in capitals is taken as 'go'" ||
	not_ok "the choice typed in capitals is taken as 'go'" "$(grep -n 'choice' "$T/pane")"
# On the 80-column screen (not joined): no line is longer than 80, and no hex group
# is cut: every run of hex digits in the fingerprint lines is a whole group of 4.
awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$T/raw" && ok "no line is wider than the terminal" ||
	not_ok "no line is wider than the terminal" "$(awk 'length($0) > 80' "$T/raw" | head -3)"
fpr_lines raw_pane >"$T/hex"
[ "$(wc -l <"$T/hex")" -ge 2 ] && ok "the fingerprint is wrapped over lines" || not_ok "the fingerprint is wrapped over lines" "$(grep -n -A3 'SHA-256 of' "$T/raw")"
grep -oE '[0-9A-F]+' "$T/hex" >"$T/groups"
[ "$(wc -l <"$T/groups")" -eq 16 ] && awk 'length($0) != 4 { bad = 1 } END { exit bad }' "$T/groups" &&
	ok "no hex group is cut at the end of a line (16 groups of 4)" ||
	not_ok "no hex group is cut at the end of a line" "$(cat "$T/hex")"
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/room-out/transcript.cts" --script "$S"
echo "1..$n"
