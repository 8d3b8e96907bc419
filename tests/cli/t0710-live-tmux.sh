#!/bin/sh
# A live run as the room types it: `ceremony run` in a tmux pane against a token
# initialised by hand with softhsm2-util. The operator mistypes the PIN once: it is
# asked again, never echoed, and neither PIN is on the screen, in its scrollback or in
# the transcript; the key is made in the token (pkcs11-tool sees it) and the
# transcript is VALID and live.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { not_ok "tmux is installed" "make deps installs it"; echo "1..$n"; exit 0; }
MOD=$SOFTHSM_MODULE
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf   # the tmux server started below inherits it
# Test-only PINs on softhsm2-util's command line; ceremony itself never takes one there.
softhsm2-util --init-token --free --label LIVE-ROOM --so-pin 86420864 --pin 97531975 >/dev/null
S=$T/live.yaml
cat >"$S" <<'YAML'
ceremony: 1
title: tmux live test
roles:
  administrator: {count: 1}
  operator: {count: 1}
  witness: {count: 1}
tokens:
  root: {label: LIVE-ROOM}
steps:
  - id: attendance
    type: attendance
  - id: key
    type: key.generate
    token: root
    performed_by: operator
    algorithm: ec-p256
    label: live-key
    confirm: [operator]
    signoff: [witness]
YAML
printf 'binding: 1\nmodule: %s\ntokens:\n  root: "pkcs11:token=LIVE-ROOM"\n' "$MOD" >"$T/bind.yaml"
expect_exit 0 "the live script is valid" "$CEREMONY" check "$S"

. "$(dirname "$0")/room.sh"
pins=0
answer() {
	case $1 in
	*"name of administrator"*) send "Ada Admin" ;;
	*"name of operator"*) send "Otto Op" ;;
	*"name of witness"*) send "Wes Wong" ;;
	*"user PIN of token 'root'"*)
		pins=$((pins + 1))
		[ $pins -eq 1 ] && send "13571357" || send "97531975" ;;
	*"type yes"* | *"to confirm"* | *"attest"*) send "yes" ;;
	*) return 1 ;;
	esac
}
room_start "$CEREMONY" run "$S" --bind "$T/bind.yaml" --out "$T/live"
room_drive
grep -q 'CEREMONY-EXIT=0' "$T/pane" && ok "the live run completes" || not_ok "the live run completes" "$(tail -n 30 "$T/pane")"
grep -q "the PIN for token 'root' is wrong.*(attempt 1 of 3)" "$T/flat" && ok "a wrong PIN is asked again" ||
	not_ok "a wrong PIN is asked again" "$(grep -n -i 'pin' "$T/pane")"
[ "$pins" -eq 2 ] && ok "the PIN was asked twice" || not_ok "the PIN was asked twice" "asked $pins times"
grep -q -e 13571357 -e 97531975 "$T/raw" "$T/pane" && not_ok "neither PIN is on the screen or in its scrollback" ||
	ok "neither PIN is on the screen or in its scrollback"
grep -q -e 13571357 -e 97531975 "$T/live/transcript.cts" && not_ok "neither PIN is in the transcript" ||
	ok "neither PIN is in the transcript"
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/live/transcript.cts" --script "$S"
expect_out "and live" "mode: +live"
expect_exit 0 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/live/transcript.cts"
result "$T/live/transcript.cts" key >"$T/key.rec"
has "the wrong try is recorded, the PIN not" "$T/key.rec" '"1": "pin", "2": "the PIN for token '"'"'root'"'"' is wrong'
pkcs11-tool --module "$MOD" --token-label LIVE-ROOM --login --pin 97531975 --list-objects >"$T/objects" 2>&1
grep -q 'label: *live-key' "$T/objects" && ok "pkcs11-tool sees the key in the token" ||
	not_ok "pkcs11-tool sees the key in the token" "$(cat "$T/objects")"
echo "1..$n"
