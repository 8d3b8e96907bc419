#!/bin/sh
# ceremony print (issue 13, item 4): the printed procedure. A golden Markdown file for
# ceremonies/generic-root.yaml; the HTML of the company root ceremony rendered by
# headless Chromium (in a network namespace of its own, so no request can leave the
# machine, and with every host name mapped to a dead address) to PDF on A4 and on
# Letter and to PNG: every page carries the script's SHA-256, the participants and
# each step are there (pdftotext), and the page names no external resource.
. "$(dirname "$0")/lib.sh"
G="$TOP/tests/golden"
expect_exit 0 "print the generic root ceremony" "$CEREMONY" print "$TOP/ceremonies/generic-root.yaml"
if cmp -s "$T/out" "$G/print-generic-root.md"; then ok "it is the golden Markdown"; else
	not_ok "it is the golden Markdown" "$(diff "$G/print-generic-root.md" "$T/out" | head -20)"; fi
sha=$(sha256sum "$TOP/ceremonies/generic-root.yaml" | cut -c1-64)
grep -q "script SHA-256 $sha" "$T/out" && ok "the Markdown ends with the script's SHA-256" ||
	not_ok "the Markdown ends with the script's SHA-256"
has "each step has Read aloud, Expected and the blanks" "$T/out" "^### Step 4: Step 4: generate the Root CA key" \
	"^> \*Read aloud:\* The administrator generates the Root CA key pair" "^\*\*Expected:\*\* key\\\\_type = EC" \
	"^\| Actual \| ____________________ \|" "^\| Initials \(performed / verified\) \|"
sed 's/^title: .*/title: [unclosed/' "$TOP/ceremonies/generic-root.yaml" >"$T/bad.yaml"
expect_exit 2 "an invalid script is not printed" "$CEREMONY" print "$T/bad.yaml"
expect_out "it says where" "bad.yaml:[0-9]+:[0-9]+: "

S="$TOP/ceremonies/company-root.yaml"
expect_exit 0 "print --html" "$CEREMONY" print "$S" --html
cp "$T/out" "$T/p.html"
grep -Eiq '(src|href)=|url\(|@import|<link|<script' "$T/p.html" && not_ok "the HTML names no external resource" \
	"$(grep -Eio '(src|href)=[^ >]*|url\([^)]*\)|@import|<link|<script' "$T/p.html" | head -3)" ||
	ok "the HTML names no external resource"
command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 ||
	{ not_ok "chromium and pdftotext are installed" "make deps installs them"; echo "1..$n"; exit 0; }
render() { # PAPER OUT: the HTML printed by Chromium on that paper size
	sed "s|</style>|@page{size:$1}</style>|" "$T/p.html" >"$T/p-$1.html"
	"$TOP/tools/offline" chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/chromium" \
		--host-resolver-rules="MAP * 0.0.0.0" --no-pdf-header-footer --print-to-pdf="$2" "file://$T/p-$1.html" \
		>"$T/chromium.log" 2>&1
}
hex=$(sha256sum "$S" | cut -c1-64 | tr a-f A-F | sed 's/\(........\)/\1 /g; s/ $//')
for paper in A4 letter; do
	render $paper "$T/p-$paper.pdf"
	[ -s "$T/p-$paper.pdf" ] && ok "$paper: Chromium prints the procedure to PDF" ||
		{ not_ok "$paper: Chromium prints the procedure to PDF" "$(tail -5 "$T/chromium.log")"; continue; }
	pages=$(pdfinfo "$T/p-$paper.pdf" | sed -n 's/^Pages: *//p')
	pdftotext -layout "$T/p-$paper.pdf" "$T/p-$paper.txt"
	on=$(grep -c "script SHA-256 $hex" "$T/p-$paper.txt")
	[ "$pages" -gt 3 ] && [ "$on" -eq "$pages" ] && ok "$paper: each of its $pages pages carries the script's SHA-256" ||
		not_ok "$paper: each of its pages carries the script's SHA-256" "$pages pages, $on footers"
	has "$paper: the participants, the steps and the signatures are on paper" "$T/p-$paper.txt" "Participants" \
		"custodian 3" "Step 1: Identify the participants" "Step [0-9]+: Sign the ceremony log" "Signatures" \
		"Read aloud:"
done
"$TOP/tools/offline" chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/chromium" \
	--host-resolver-rules="MAP * 0.0.0.0" --screenshot="$T/p.png" --window-size=900,1200 "file://$T/p-A4.html" \
	>"$T/chromium.log" 2>&1
[ "$(head -c 8 "$T/p.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok "and to a PNG" ||
	not_ok "and to a PNG" "$(tail -3 "$T/chromium.log")"
echo "1..$n"
