#!/bin/sh
# Signals in the room (issue 11, item 1), driven through tmux as people would: Ctrl-C
# at a prompt asks "abort the ceremony? type abort"; abort seals the transcript
# aborted with the reason, Enter goes on, a second Ctrl-C while asking aborts. SIGTERM
# at a PIN prompt (echo off) and SIGHUP at a question each seal it aborted, and the
# terminal echoes again afterwards. Every transcript is VALID, ABORTED (exit 3) by both
# verifiers.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { not_ok "tmux is installed" "make deps installs it"; echo "1..$n"; exit 0; }
S=$T/sig.yaml
cat >"$S" <<'YAML'
ceremony: 1
title: signals test
roles:
  administrator: {count: 1}
  witness: {count: 1}
tokens:
  root: {label: SIG-ROOT}
steps:
  - id: attendance
    type: attendance
  - id: key
    type: key.generate
    token: root
    algorithm: ec-p256
    label: k
    signoff: [witness]
  - id: done
    type: manual
    say: Done.
    signoff: [witness]
YAML
expect_exit 0 "the script is valid" "$CEREMONY" check "$S"
. "$(dirname "$0")/room.sh"
# run OUT CMD...: CMD in a fresh pane (its shell survives a Ctrl-C); after it, the
# pane's echo setting is printed, then its exit status.
run() {
	out=$1; shift
	# A tmux server of its own: no race with the last one exiting, and it takes this
	# environment (SOFTHSM2_CONF for the live run).
	ROOM_SOCK=ceremony-test-$$-$out
	q=""
	for a in "$@"; do q="$q \"$a\""; done
	tm new-session -d -x 80 -y 40 -s room \
		"sh -c 'trap : INT; $q; rc=\$?; stty -a | tr \" ;\" \"\n\n\" | grep -x -e echo -e -echo | sed s/^/TTY-/; echo CEREMONY-EXIT=\$rc; sleep 30'"
	room_drive
	cp "$T/pane" "$T/pane-$out"
	tm kill-server >/dev/null 2>&1
}
sealed_aborted() { # sealed_aborted NAME DIR REASON: exit 1, VALID ABORTED by both, the seal says REASON
	grep -q 'CEREMONY-EXIT=1' "$T/pane-$1" && ok "$1: the run ends, failed" || not_ok "$1: the run ends, failed" "$(tail -n 15 "$T/pane-$1")"
	expect_exit 3 "$1: the transcript is VALID, ABORTED" "$CEREMONY" verify "$2/transcript.cts"
	expect_exit 3 "$1: verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$2/transcript.cts"
	dump "$2/transcript.cts" | grep '"kind": "seal"' >"$T/seal"
	has "$1: the seal says why" "$T/seal" "$3"
	grep -q 'TTY-echo' "$T/pane-$1" && ok "$1: the terminal echoes afterwards" || not_ok "$1: the terminal echoes afterwards" "$(grep TTY- "$T/pane-$1")"
}

names() {
	case $1 in
	*"name of administrator"*) send "Ada Admin" ;;
	*"name of witness"*) send "Wes Wong" ;;
	*"type yes"* | *"to confirm"* | *"attest"*) send "yes" ;;
	*) return 1 ;;
	esac
}

# Ctrl-C at the witness's sign-off, then abort.
answer() {
	case $1 in
	*"attest that step 'key'"*) tm send-keys -t room C-c ;;
	*"abort the ceremony?"*) send "abort" ;;
	*) names "$1" ;;
	esac
}
run abort "$CEREMONY" rehearse "$S" --out "$T/abort"
grep -q "Ctrl-C: abort the ceremony? type abort" "$T/pane-abort" && ok "Ctrl-C asks whether to abort" ||
	not_ok "Ctrl-C asks whether to abort" "$(tail -n 20 "$T/pane-abort")"
sealed_aborted abort "$T/abort" "aborted in step 'key': Ctrl-C, and 'abort' typed"
result "$T/abort/transcript.cts" key >"$T/key.rec"
has "abort: the open step's result is aborted, with why" "$T/key.rec" '"2": 3' '"0": "aborted"'

# Ctrl-C, then Enter: the question is asked again and the ceremony completes.
ints=0
answer() {
	case $1 in
	*"attest that step 'key'"*)
		ints=$((ints + 1))
		if [ $ints -eq 1 ]; then tm send-keys -t room C-c; else send "yes"; fi ;;
	*"abort the ceremony?"*) send "" ;;
	*) names "$1" ;;
	esac
}
run goon "$CEREMONY" rehearse "$S" --out "$T/goon"
grep -q 'CEREMONY-EXIT=0' "$T/pane-goon" && ok "Ctrl-C then Enter: the ceremony goes on and completes" ||
	not_ok "Ctrl-C then Enter: the ceremony goes on and completes" "$(tail -n 20 "$T/pane-goon")"
grep -q "going on" "$T/pane-goon" && ok "it says it goes on" || not_ok "it says it goes on"
expect_exit 0 "goon: the transcript is VALID" "$CEREMONY" verify "$T/goon/transcript.cts"

# Ctrl-C twice.
answer() {
	case $1 in
	*"attest that step 'done'"*) tm send-keys -t room C-c ;;
	*"abort the ceremony?"*) tm send-keys -t room C-c ;;
	*) names "$1" ;;
	esac
}
run twice "$CEREMONY" rehearse "$S" --out "$T/twice"
sealed_aborted twice "$T/twice" "aborted in step 'done': Ctrl-C pressed twice"

# SIGTERM at a live run's PIN prompt (echo off while it is asked).
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
MOD=$SOFTHSM_MODULE
softhsm2-util --init-token --free --label SIG-ROOT --so-pin 86420864 --pin 97531975 >/dev/null
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=SIG-ROOT"\n' "$MOD" >"$T/bind.yaml"
answer() {
	case $1 in
	*"user PIN of token 'root'"*) kill -TERM "$(pgrep -f "^$CEREMONY run .*$T/term")" ;;
	*) names "$1" ;;
	esac
}
run term "$CEREMONY" run "$S" --bind "$T/bind.yaml" --out "$T/term"
sealed_aborted term "$T/term" "aborted in step 'key': the runner was told to stop \\(SIGTERM\\)"

# SIGHUP at a question, as when the terminal's window is closed.
answer() {
	case $1 in
	*"name of witness"*) kill -HUP "$(pgrep -f "^$CEREMONY rehearse .*$T/hup")" ;;
	*) names "$1" ;;
	esac
}
run hup "$CEREMONY" rehearse "$S" --out "$T/hup"
sealed_aborted hup "$T/hup" "aborted in step 'attendance': the terminal was closed \\(SIGHUP\\)"
echo "1..$n"
