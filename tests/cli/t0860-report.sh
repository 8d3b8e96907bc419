#!/bin/sh
# ceremony report (issue 13, item 3): the ceremony log of seed 004 §10. A golden
# Markdown file of a fixed transcript (tests/vectors/rehearsal-generic-root.cts); the
# boxes of the post-ceremony verification ticked from what was recorded and left
# empty, said so, where nothing was; the company's root, intermediate and re-key
# transcripts in one HTML log with the Historical Ceremony Records table, rendered by
# headless Chromium offline to PDF: its pages hold the fingerprints, serials,
# participants and verdicts (pdftotext), and the page names no external resource.
. "$(dirname "$0")/lib.sh"
V="$TOP/tests/vectors" G="$TOP/tests/golden" OFF="$TOP/tools/offline"
expect_exit 0 "report of the generic root rehearsal" "$CEREMONY" report "$V/rehearsal-generic-root.cts"
if cmp -s "$T/out" "$G/report-generic-root.md"; then ok "it is the golden Markdown"; else
	not_ok "it is the golden Markdown" "$(diff "$G/report-generic-root.md" "$T/out" | head -20)"; fi
has "it has the log's sections and what was recorded" "$G/report-generic-root.md" "^# Key ceremony log" \
	"^## Participants" "\| witness \| Wanda Weiss \| yes \|" "^## Equipment" "^## Ceremony steps" \
	"^\*\*SHA-256 fingerprint:\*\* 60c22b9d4a14b6ff734add5d46c551733b2696dc8a922caa2ca420b6e7c232d6" \
	"^- \[x\] Backup test signature passed \(step root-restore\)" \
	"^- \[ \] CRL generation test passed - NOT RECORDED by this transcript" "^## Signatures" \
	"^\*\*Verdict:\*\* VALID"
expect_exit 2 "an unreadable file" "$CEREMONY" report "$T/none.cts"

R="$T/root" I="$T/int" K="$T/rekey"
rehearse_sequence "$T"
expect_exit 0 "one log of the root, intermediate and re-key ceremonies, in HTML" "$CEREMONY" report --html \
	"$R/transcript.cts" "$I/transcript.cts" "$K/transcript.cts"
cp "$T/out" "$T/log.html"
grep -Eiq '(src|href)=|url\(|@import|<link|<script|https?://[a-z]' "$T/log.html" &&
	grep -Eio '(src|href)=|url\(|@import|<link|<script' "$T/log.html" | grep -q . &&
	not_ok "the HTML names no external resource" || ok "the HTML names no external resource"
grep -c '<svg ' "$T/log.html" | grep -q '^3$' && ok "each log pictures its CA hierarchy" ||
	not_ok "each log pictures its CA hierarchy" "$(grep -c '<svg ' "$T/log.html")"
rootfp=$(openssl x509 -in "$R/usb-1/dyber-root-ca.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
intfp=$(openssl x509 -in "$I/usb-1/dyber-intermediate-ca.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
intser=$(openssl x509 -in "$I/usb-1/dyber-intermediate-ca.pem" -noout -serial | cut -d= -f2)
command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 ||
	{ not_ok "chromium and pdftotext are installed" "make deps installs them"; echo "1..$n"; exit 0; }
"$OFF" chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/chromium" \
	--host-resolver-rules="MAP * 0.0.0.0" --no-pdf-header-footer --print-to-pdf="$T/log.pdf" "file://$T/log.html" \
	>"$T/chromium.log" 2>&1
pages=$(pdfinfo "$T/log.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
[ "${pages:-0}" -ge 3 ] && ok "Chromium prints the log ($pages pages)" || not_ok "Chromium prints the log" "$(tail -3 "$T/chromium.log")"
pdftotext -raw "$T/log.pdf" - | tr -d '\n' >"$T/log.txt"
has "the printed log holds the fingerprints, the serial, the participants and the verdicts" "$T/log.txt" "$rootfp" \
	"$intfp" "$intser" "Diane Adler" "Kofi Mensah" "Wen Li" "Verdict: VALID" "Historical Ceremony Records" \
	"Dyber emergency re-key"
"$OFF" chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/chromium" \
	--host-resolver-rules="MAP * 0.0.0.0" --screenshot="$T/log.png" --window-size=1000,1400 "file://$T/log.html" \
	>"$T/chromium.log" 2>&1
[ "$(head -c 8 "$T/log.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok "and to a PNG" ||
	not_ok "and to a PNG" "$(tail -3 "$T/chromium.log")"
expect_exit 0 "the Markdown log of the three" "$CEREMONY" report "$R/transcript.cts" "$I/transcript.cts" "$K/transcript.cts"
has "its history table has a row a ceremony, the root's and the intermediate's fingerprints" "$T/out" \
	"^\| [0-9-]+ \| Dyber Root CA key ceremony .*\| $rootfp / " "^\| [0-9-]+ \| Dyber Intermediate CA key ceremony .*\| $intfp / $intser" \
	"^\| [0-9-]+ \| Dyber emergency re-key"
echo "1..$n"
