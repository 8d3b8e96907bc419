#!/bin/sh
# In the room, as people type: an interactive rehearsal driven through tmux (send-keys,
# capture-pane) on an 80-column terminal. Slips are asked again (a wrong read-back,
# a choice in capitals), the fingerprint is wrapped at group boundaries, never inside
# a group, and the run completes with a VALID transcript.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { not_ok "tmux is installed" "make deps installs it"; echo "1..$n"; exit 0; }
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

. "$(dirname "$0")/room.sh"
raw_pane() { cat "$T/raw"; }
# The lines of hex groups after "SHA-256 of key.public_key:" (up to the words line).
fpr_lines() { "$1" | sed -n '/SHA-256 of key.public_key:/,/[a-z]/p' | grep -E '^ +[0-9A-F]+( [0-9A-F]+)* *$'; }

readbacks=0 choices=0
# answer LINE: what the room types at this prompt (1: not a prompt we answer)
answer() {
	case $1 in
	*"name of administrator"*) send "Ada Admin" ;;
	*"name of witness"*) send "Wes Wong" ;;
	*"type yes"* | *"to confirm"* | *"attest"*) send "yes" ;;
	*"type the last 2 groups"*)
		readbacks=$((readbacks + 1))
		if [ $readbacks -eq 1 ]; then send "0000 0000"; else
			# the group lines after "SHA-256 of key.public_key:" (wrapped by the runner)
			send "$(fpr_lines screen | tr -s ' ' '\n' | grep -E '^[0-9A-F]{4}$' | tail -n 2 | tr -d '\n' | tr 'A-F' 'a-f')"
		fi ;;
	*"Go on?"*)
		choices=$((choices + 1))
		[ $choices -eq 1 ] && send "Go?" || send "GO" ;;
	*) return 1 ;;
	esac
}
room_start "$CEREMONY" rehearse "$S" --out "$T/room-out"
room_drive
grep -q 'CEREMONY-EXIT=0' "$T/pane" && ok "the interactive rehearsal completes" ||
	not_ok "the interactive rehearsal completes" "$(tail -n 30 "$T/pane")"
# (messages are wrapped to the screen: $T/flat has the pane's lines joined)
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
# The PGP words in numbered rows of four (1, 5, ..., 29), each row whole on its line,
# and the same 32 words, in order, as the transcript's pgp_words.
sed -n '/SHA-256 of key.public_key:/,/type the last/p' "$T/raw" | grep -E '^ +[0-9]{1,2}  [A-Za-z]' >"$T/rows"
nums=$(awk '{ printf "%s ", $1 }' "$T/rows")
[ "$nums" = "1 5 9 13 17 21 25 29 " ] && awk 'NF != 5 { bad = 1 } END { exit bad }' "$T/rows" &&
	ok "the PGP words are in 8 numbered rows of 4" || not_ok "the PGP words are in 8 numbered rows of 4" "$(cat "$T/rows")"
awk '{ $1 = ""; sub(/^ /, ""); printf "%s%s", sep, $0; sep = " " } END { print "" }' "$T/rows" >"$T/words"
result "$T/room-out/transcript.cts" fpr >"$T/fpr.rec"
has "the rows are the recorded words" "$T/fpr.rec" "\"pgp_words\": \"$(cat "$T/words")\""
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/room-out/transcript.cts" --script "$S"
echo "1..$n"
