#!/bin/sh
# Live = rehearsal for a resume (issue 11, item 2): generic-root is run live, in a
# tmux terminal where tests/tools/room.py types as people would, against tokens
# initialised by hand, and killed (SIGKILL) just after its root key was generated and
# before that step's result was written. `ceremony resume --bind` then runs in the
# terminal too: it finds the key by its label on the root token, the administrator
# keeps it, the resume is signed off, the ceremony goes on to its seal, and the
# transcript is VALID with the new audit key's id. The same kill and resume were
# rehearsed first, unattended: the live run asks what the rehearsal asked, in order
# (plus the PINs of the hand-made tokens). The token then holds exactly one root key,
# the one the transcript records.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { not_ok "tmux is installed" "make deps installs it"; echo "1..$n"; exit 0; }
S=$TOP/ceremonies/generic-root.yaml
# The administrator first mistypes the choice ("kep"): a slip, asked again.
sed 's/open_key: destroy/open_key: [kep, keep]/' "$TOP/examples/answers/generic-root.yaml" >"$T/a.yaml"
MOD=$SOFTHSM_MODULE
USER_PIN=52917364 SO_PIN=83617294

"$CEREMONY" rehearse "$S" --answers "$T/a.yaml" --out "$T/whole" >/dev/null 2>&1 </dev/null
K=$(dump "$T/whole/transcript.cts" | grep '"kind": "step-begin"' | grep '"2": "key.generate"' | head -n 1 |
	sed 's/.*"seq": \([0-9]*\).*/\1/')
[ -n "$K" ] && ok "the root key's step-begin is record $K" || not_ok "the root key's step-begin is found"
CRASH=before:$((K + 1))   # the key is made; its step-result is never written

# The rehearsal of it: killed there, then resumed keeping the key.
CEREMONY_TEST_CRASH=$CRASH "$CEREMONY" rehearse "$S" --answers "$T/a.yaml" --out "$T/r" >"$T/r1.txt" 2>&1 </dev/null
[ $? -eq 137 ] && ok "the rehearsal is killed after its key generation" || not_ok "the rehearsal is killed" "$(tail -3 "$T/r1.txt")"
expect_exit 0 "the rehearsal resumes" "$CEREMONY" resume "$T/r/transcript.cts" --answers "$T/a.yaml"
cp "$T/out" "$T/r2.txt"
expect_out "the key found on the token is kept" "the key pair 'Root-CA-2026' on token 'root' that the interrupted attempt made was kept"

# The room: tokens initialised by hand, bound by label.
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
printf 'binding: 1\nmodule: %s\ntokens:\n' "$MOD" >"$T/bind.yaml"
: >"$T/pins"
for tl in root:Root-CA backup:HSM-BACKUP-01 restore-test:Restore-Test; do
	tok=${tl%%:*} label=${tl#*:}
	softhsm2-util --init-token --free --label "$label" --so-pin "$SO_PIN" --pin "$USER_PIN" >/dev/null
	printf '  %s: "pkcs11:token=%s"\n' "$tok" "$label" >>"$T/bind.yaml"
	printf '%s user %s\n%s so %s\n' "$tok" "$USER_PIN" "$tok" "$SO_PIN" >>"$T/pins"
done
pubkeys() {
	pkcs11-tool --module "$MOD" --token-label Root-CA --list-objects --type pubkey 2>/dev/null | grep -c 'label: *Root-CA-2026$'
}

# The live run, killed at the same point (the command succeeds when it was killed).
if CEREMONY_TEST_CRASH=$CRASH "$PYTHON" "$TOP/tests/tools/room.py" "$T/r1.txt" "$T/pins" "$T/room1" -- \
	sh -c '"$@"; test $? -eq 137' sh "$CEREMONY" run "$S" --bind "$T/bind.yaml" --out "$T/live" >"$T/room1.txt" 2>&1; then
	ok "the live run asks what the rehearsal asked, in order, until it is killed"
else
	not_ok "the live run asks what the rehearsal asked, in order, until it is killed" "$(cat "$T/room1.txt")"
fi
expect_exit 4 "the killed live transcript is INCOMPLETE" "$CEREMONY" verify "$T/live/transcript.cts"
expect_out "it names the open key generation" "step 'root-key' \\(key.generate\\) began at record $K and has no result"
[ "$(pubkeys)" = 1 ] && ok "the root key is on the token" || not_ok "the root key is on the token" "$(pubkeys)"

# The resume, typed in the room.
if "$PYTHON" "$TOP/tests/tools/room.py" "$T/r2.txt" "$T/pins" "$T/room2" -- \
	"$CEREMONY" resume "$T/live/transcript.cts" --bind "$T/bind.yaml" >"$T/room2.txt" 2>&1; then
	ok "the live resume asks what the rehearsed resume asked, in order, and completes"
else
	not_ok "the live resume asks what the rehearsed resume asked, in order, and completes" "$(cat "$T/room2.txt")"
fi
# The kid as the screen showed it (an 80-column terminal wraps its groups).
grep -q "'kep' is not one of the choices: keep / destroy (attempt 1 of 3)" "$T/room2/stream.txt" &&
	ok "in the room, a mistyped choice is said to be wrong and asked again" ||
	not_ok "in the room, a mistyped choice is said to be wrong and asked again" "$(grep -n 'kep' "$T/room2/stream.txt")"
kid=$("$PYTHON" - "$T/room2/stream.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
at = text.find("new audit key id (write this on the paper log):")
hexd = re.sub(r"[^0-9A-F]", "", text[at:].split(":", 1)[1].split("in words", 1)[0]) if at >= 0 else ""
print(hexd[:64])
PY
)
expect_exit 5 "without the paper log's kid the resumed transcript is UNANCHORED" "$CEREMONY" verify "$T/live/transcript.cts"
expect_exit 0 "with --kid it is VALID" "$CEREMONY" verify "$T/live/transcript.cts" --kid "$kid" --script "$S"
expect_out "and live" "mode: +live"
expect_exit 0 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/live/transcript.cts" --kid "$kid"
[ "$(pubkeys)" = 1 ] && ok "the token holds one root key" || not_ok "the token holds one root key" "$(pubkeys)"
# The key on the token is the one the transcript records: its EC point (pkcs11-tool
# prints the DER OCTET STRING of it) ends the SPKI embedded in the root-key result.
point=$(pkcs11-tool --module "$MOD" --token-label Root-CA --list-objects --type pubkey 2>/dev/null |
	sed -n 's/^ *EC_POINT: *04[0-9a-f][0-9a-f]//p' | head -n 1)
result "$T/live/transcript.cts" root-key >"$T/res"
"$PYTHON" - "$T/res" "$point" <<'PY' && ok "the transcript records that key, kept at the resume, its note and the slip" ||
import json, sys
r = json.loads(open(sys.argv[1]).read())["body"]
spki = [a["4"] for a in r["6"] if a["0"] == "public_key"][0]
note = r.get("8", "")
slips = [a for a in r.get("11", []) if a["1"] == "open_key" and "'kep' is not one of the choices" in a["2"]]
sys.exit(0 if sys.argv[2] and spki.endswith(sys.argv[2]) and r["3"]["kept_at_resume"] is True and r["2"] == 0 and
         "after the resume: the key pair 'Root-CA-2026' on token 'root' that the interrupted attempt made was kept" in note
         and len(slips) == 1 else 1)
PY
	not_ok "the transcript records that key, kept at the resume, its note and the slip" "point $point" "$(head -c 600 "$T/res")"
leaks=$(grep -l -e "$USER_PIN" -e "$SO_PIN" "$T/room1/pane.txt" "$T/room2/pane.txt" "$T/live/transcript.cts" 2>/dev/null)
[ -z "$leaks" ] && ok "no PIN on the screens or in the transcript" || not_ok "no PIN on the screens or in the transcript" "$leaks"
echo "1..$n"
