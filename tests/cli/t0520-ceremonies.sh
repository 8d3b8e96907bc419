#!/bin/sh
# The ready ceremonies rehearse end to end, and what they make passes tools we did
# not write: every ceremonies/NAME.yaml with examples/answers/NAME.yaml checks,
# rehearses, and its transcript is VALID for `ceremony verify` and for the
# independent verifier; the generic root (seed 002) and the root + intermediate
# (seed 004, P-384) ceremonies' certificates, CRLs and signatures are checked with
# the openssl CLI and GnuTLS certtool. Then what must fail does: a fingerprint typed
# back wrong, an export onto a file that exists, a chain that is not what the script
# expects, and bad scripts for the new step types.
. "$(dirname "$0")/lib.sh"
# days_between CERT: whole days from notBefore to notAfter.
days() {
	nb=$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)
	na=$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)
	echo $((($(date -u -d "$na" +%s) - $(date -u -d "$nb" +%s)) / 86400))
}

# --- every ready ceremony with answers ------------------------------------------
count=0
for script in "$TOP"/ceremonies/*.yaml; do
	name=$(basename "$script" .yaml)
	answers="$TOP/examples/answers/$name.yaml"
	[ -f "$answers" ] || continue
	count=$((count + 1))
	out="$T/r-$name"
	after=$(after_args "$script")
	expect_exit 0 "$name: check" "$CEREMONY" check "$script" $after
	expect_exit 0 "$name: rehearse with its answers" $(runner_for "$script") rehearse "$script" --answers "$answers" \
		$after --out "$out"
	expect_out "$name: sealed completed" "Transcript sealed: completed"
	expect_exit 0 "$name: ceremony verify" "$CEREMONY" verify "$out/transcript.cts"
	expect_out "$name: ceremony verify says VALID" "^VALID"
	expect_exit 0 "$name: verify_cts.py" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$out/transcript.cts"
	[ "$(head -1 "$T/out")" = VALID ] && ok "$name: verify_cts.py says VALID" ||
		not_ok "$name: verify_cts.py says VALID" "$(head -1 "$T/out")"
	# The auditor's and the administrator's documents of each ceremony (issue 13).
	expect_exit 0 "$name: print" "$CEREMONY" print "$script" $after
	expect_exit 0 "$name: replay" "$CEREMONY" replay "$out/transcript.cts"
	expect_out "$name: replay tells it to the seal" "^== SEALED \(record [0-9]+\): completed"
	expect_exit 0 "$name: report" "$CEREMONY" report "$out/transcript.cts"
	expect_out "$name: report has its verdict" "^\*\*Verdict:\*\* VALID"
	expect_exit 0 "$name: extract" "$CEREMONY" extract "$out/transcript.cts" --out "$out/extracted"
	certs=0 bad=""
	for crt in "$out"/extracted/*.certificate.der; do
		[ -e "$crt" ] || continue
		certs=$((certs + 1))
		openssl x509 -inform DER -in "$crt" -noout 2>/dev/null || bad="$bad $crt"
	done
	[ -z "$bad" ] && ok "$name: openssl reads the $certs certificates extract wrote" ||
		not_ok "$name: openssl reads the certificates extract wrote" "$bad"
done
[ "$count" -ge 3 ] && ok "the course exercise and both PKI ceremonies have answers ($count)" ||
	not_ok "the course exercise and both PKI ceremonies have answers" "$count"

# --- seed 002: the generic root ceremony ----------------------------------------
G="$T/r-generic-root"
for m in usb-1 usb-2; do
	[ -f "$G/$m/root-ca.pem" ] && [ -f "$G/$m/root-ca.der" ] && ok "generic: root-ca.pem and .der on $m" ||
		not_ok "generic: root-ca.pem and .der on $m" "$(ls -R "$G")"
done
cmp -s "$G/usb-1/root-ca.der" "$G/artifacts/root-cert.crt.der" && cmp -s "$G/usb-1/root-ca.der" "$G/usb-2/root-ca.der" &&
	ok "generic: the DER copies are the certificate the token signed" || not_ok "generic: the DER copies are the certificate the token signed"
openssl x509 -inform DER -in "$G/usb-2/root-ca.der" -outform PEM | cmp -s - "$G/usb-2/root-ca.pem" &&
	ok "generic: the PEM copy holds the same certificate" || not_ok "generic: the PEM copy holds the same certificate"
ROOT="$G/usb-1/root-ca.pem"
expect_exit 0 "generic: openssl verify -x509_strict of the root" openssl verify -x509_strict -CAfile "$ROOT" "$ROOT"
expect_out "generic: openssl says OK" "root-ca.pem: OK"
expect_exit 0 "generic: certtool --verify-chain of the root" certtool --verify-chain --verify-profile=high --infile "$ROOT"
expect_out "generic: certtool says Verified" "Chain verification output: Verified"
expect_exit 0 "generic: certtool -i reads the root" certtool -i --infile "$ROOT"
cp "$T/out" "$T/gi"
has "generic: certtool sees the CA extensions" "$T/gi" "Basic Constraints \(critical\)" "Certificate Authority \(CA\): TRUE" \
	"Key Usage \(critical\)" "Certificate signing" "CRL signing" "Subject Key Identifier" "SECP384R1" "ECDSA-SHA384"
openssl x509 -in "$ROOT" -noout -text >"$T/gx" 2>&1
has "generic: openssl x509 -text shows the seed 002 certificate" "$T/gx" "Subject: CN ?= ?My Org Root CA" \
	"Issuer: CN ?= ?My Org Root CA" "Signature Algorithm: ecdsa-with-SHA384" "NIST CURVE: P-384" \
	"X509v3 Basic Constraints: critical" "CA:TRUE" "X509v3 Key Usage: critical" "^ *Certificate Sign, CRL Sign *$" \
	"X509v3 Subject Key Identifier"
grep -q "pathlen" "$T/gx" && not_ok "generic: the root has no pathlen" || ok "generic: the root has no pathlen"
[ "$(days "$ROOT")" -eq 7300 ] && ok "generic: valid for 7300 days" || not_ok "generic: valid for 7300 days" "$(days "$ROOT")"
fp=$(openssl x509 -in "$ROOT" -noout -fingerprint -sha256 | cut -d= -f2)
result "$G/transcript.cts" root-fingerprint >"$T/gf"
has "generic: the fingerprint read aloud is openssl's" "$T/gf" "\"sha256_colons\": \"$fp\"" '"2": 0'
has "generic: the witness typed the last two groups back" "$T/gf" '"readback_by": "Wanda Weiss"' \
	"\"readback\": \"$(echo "$fp" | tr -d : | cut -c57-60) $(echo "$fp" | tr -d : | cut -c61-64)\""
# The test signature, checked by openssl against the certificate's key.
openssl x509 -in "$ROOT" -noout -pubkey >"$T/root-pub.pem"
printf '%s' "certificate signing request" >"$T/data"
printf '%s' "TAMPERED data" >"$T/tampered"
expect_exit 0 "generic: openssl dgst verifies the token's test signature" \
	openssl dgst -sha384 -verify "$T/root-pub.pem" -signature "$G/artifacts/test-sign.sig" "$T/data"
expect_out "generic: openssl says Verified OK" "Verified OK"
expect_exit 1 "generic: openssl dgst rejects it over the tampered data" \
	openssl dgst -sha384 -verify "$T/root-pub.pem" -signature "$G/artifacts/test-sign.sig" "$T/tampered"
result "$G/transcript.cts" test-verify >"$T/gv"
has "generic: the test signature verified in the ceremony" "$T/gv" '"2": 0' '"valid": true'
result "$G/transcript.cts" tamper-test >"$T/gt"
has "generic: the tamper test passed (altered data did not verify)" "$T/gt" '"2": 0' '"valid": false' '"expect_valid": false' \
	'"1": "not valid", "2": "not valid", "3": true'
result "$G/transcript.cts" export >"$T/ge"
has "generic: the export read back four copies" "$T/ge" '"count": 4' '"file": "usb-2/root-ca.der"' '"2": 0'
result "$G/transcript.cts" power-down >"$T/gp"
has "generic: safe location and access log entry recorded" "$T/gp" '"safe_location": "Safe 2, Secure Room B, Building 3"' \
	'"access_log_entry": "ACL-2026-0611-07"'

# --- seed 004: root + intermediate + empty CRLs ---------------------------------
# The 10-year intermediate is an issuing CA (pathlen 0): outside seed 003's 1-3 years,
# which `check` says as a warning (the script is still valid).
expect_exit 0 "company: check passes with a warning" "$CEREMONY" check "$TOP/ceremonies/company-root-intermediate.yaml"
expect_out "company: the tier warning names the step and its position" \
	"warning: .*company-root-intermediate.yaml:[0-9]+:[0-9]+: step '[a-z-]+': validity of 3652 days \(10.0 years\) is outside the range for an issuing CA \(1 to 3 years\)"

C="$T/r-company-root-intermediate/usb-1"
R="$C/dyber-root-ca.pem"; I="$C/dyber-intermediate-ca.pem"
RCRL="$C/dyber-root-ca-crl.pem"; ICRL="$C/dyber-intermediate-ca-crl.pem"
expect_exit 0 "company: openssl verify -x509_strict root -> intermediate" openssl verify -x509_strict -CAfile "$R" "$I"
expect_out "company: openssl says OK" "dyber-intermediate-ca.pem: OK"
expect_exit 0 "company: ... and with the root's CRL (-crl_check_all)" \
	openssl verify -x509_strict -crl_check_all -CAfile "$R" -CRLfile "$RCRL" "$I"
expect_exit 0 "company: openssl crl -verify of the root's CRL" openssl crl -verify -in "$RCRL" -CAfile "$R" -noout
expect_out "company: the root's CRL verifies" "verify OK"
expect_exit 0 "company: openssl crl -verify of the intermediate's CRL" openssl crl -verify -in "$ICRL" -CAfile "$I" -noout
expect_out "company: the intermediate's CRL verifies" "verify OK"
for crl in "$RCRL" "$ICRL"; do
	openssl crl -in "$crl" -noout -text >"$T/ct" 2>&1
	has "company: $(basename "$crl") is empty, numbered 1, with an AKI" "$T/ct" "No Revoked Certificates" \
		"X509v3 CRL Number" "^ *1 *$" "X509v3 Authority Key Identifier" "Signature Algorithm: ecdsa-with-SHA384"
done
cat "$I" "$R" >"$T/chain.pem"
expect_exit 0 "company: certtool --verify-chain (intermediate, root)" certtool --verify-chain --verify-profile=high --infile "$T/chain.pem"
expect_out "company: certtool says Verified" "Chain verification output: Verified"
expect_exit 0 "company: certtool --verify-crl of the root's CRL" certtool --verify-crl --load-ca-certificate "$R" --infile "$RCRL"
expect_out "company: certtool says the root's CRL is Verified" "Verification output: Verified"
expect_exit 0 "company: certtool --verify-crl of the intermediate's CRL" certtool --verify-crl --load-ca-certificate "$I" --infile "$ICRL"
expect_exit 0 "company: certtool -i reads the root" certtool -i --infile "$R"
expect_exit 0 "company: certtool -i reads the intermediate" certtool -i --infile "$I"
has "company: certtool sees pathlen 0, the CRL DP and OCSP" "$T/out" "Path Length Constraint: 0" "Key Usage \(critical\)" \
	"URI: http://pki.dyber.example/crl/dyber-root-ca.crl" "Access Location URI: http://ocsp.dyber.example"
openssl x509 -in "$I" -noout -text >"$T/ix" 2>&1
openssl x509 -in "$R" -noout -text >"$T/rx" 2>&1
has "company: openssl x509 -text of the intermediate shows the seed 004 profile" "$T/ix" \
	"X509v3 Basic Constraints: critical" "CA:TRUE, pathlen:0" "X509v3 Key Usage: critical" "^ *Certificate Sign, CRL Sign *$" \
	"X509v3 CRL Distribution Points" "URI:http://pki.dyber.example/crl/dyber-root-ca.crl" \
	"OCSP - URI:http://ocsp.dyber.example" "X509v3 Authority Key Identifier" "X509v3 Subject Key Identifier" \
	"OU ?= ?Device Attestation" "Signature Algorithm: ecdsa-with-SHA384" "NIST CURVE: P-384"
has "company: openssl x509 -text of the root shows the root profile" "$T/rx" "X509v3 Basic Constraints: critical" \
	"X509v3 Key Usage: critical" "^ *Certificate Sign, CRL Sign *$" 'Subject: C ?= ?US, O ?= ?"?Dyber, Inc\.?"?, CN ?= ?Dyber Root CA'
ski=$(grep -A1 "X509v3 Subject Key Identifier" "$T/rx" | tail -1 | tr -d ' ')
aki=$(grep -A1 "X509v3 Authority Key Identifier" "$T/ix" | tail -1 | tr -d ' ' | sed 's/^keyid://')
[ -n "$ski" ] && [ "$ski" = "$aki" ] && ok "company: the intermediate's AKI is the root's SKI" ||
	not_ok "company: the intermediate's AKI is the root's SKI" "SKI $ski AKI $aki"
[ "$(days "$R")" -eq 7305 ] && ok "company: the root is valid for 7305 days" || not_ok "company: the root is valid for 7305 days" "$(days "$R")"
[ "$(days "$I")" -eq 3652 ] && ok "company: the intermediate is valid for 3652 days" ||
	not_ok "company: the intermediate is valid for 3652 days" "$(days "$I")"
CT="$T/r-company-root-intermediate/transcript.cts"
for pair in "root-fingerprint:$R" "intermediate-fingerprint:$I"; do
	step=${pair%%:*}; cert=${pair#*:}
	fp=$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | cut -d= -f2)
	serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
	result "$CT" "$step" >"$T/cf"
	has "company: $step recorded openssl's fingerprint and serial" "$T/cf" "\"sha256_colons\": \"$fp\"" "\"serial\": \"$serial\"" '"2": 0'
done
result "$CT" chain-check >"$T/cc"
has "company: chain.verify passed with the CRLs, every check held" "$T/cc" '"2": 0' '"chain_valid": true' '"profile_ok": true' \
	'"depth": 1' 'CRL_CHECK_ALL'
grep -q '"3": false' "$T/cc" && not_ok "company: no chain check failed" || ok "company: no chain check failed"
result "$CT" root-seal >"$T/cs"
has "company: the root HSM's seal number is recorded" "$T/cs" '"root_hsm_seal_number": "TEB-1180422"'
result "$CT" root-export >"$T/ce"
has "company: the USB drive serials are recorded" "$T/ce" '"usb_1_serial": "USB-4C530001"' '"usb_2_serial": "USB-4C530002"'
ls "$C"/*.der "$C"/*.pem 2>/dev/null | wc -l | grep -q '^ *8$' && ok "company: 8 files on each drive" ||
	not_ok "company: 8 files on each drive" "$(ls "$C")"

# --- sign and verify for every kind of key, keys named {token, label} -------------
cat >"$T/sv.yaml" <<'YAML'
ceremony: 1
title: Test signatures
roles:
  operator: {count: 1}
tokens:
  t: {label: SIGN-TEST}
steps:
  - {id: k-rsa, type: key.generate, token: t, algorithm: rsa-3072, label: rsa}
  - {id: k-p521, type: key.generate, token: t, algorithm: ec-p521, label: p521}
  - {id: s-pss, type: sign, key: {token: t, label: rsa}, data: hello, signature: {hash: sha256, padding: pss}}
  - {id: s-pkcs1, type: sign, key: k-rsa, data: hello, signature: {hash: sha512}}
  - {id: s-p521, type: sign, key: k-p521, data: hello}
  - {id: v-pss, type: verify, signature: s-pss, data: hello}
  - {id: v-pss-t, type: verify, signature: s-pss, data: hellO, expect_valid: false}
  - {id: v-pkcs1, type: verify, signature: s-pkcs1, data: hello}
  - {id: v-p521, type: verify, signature: s-p521, data: hello}
  - {id: v-wrong-key, type: verify, signature: s-p521, public_key: k-rsa, data: hello, expect_valid: false}
YAML
# Ed25519 apart: SoftHSM 2.6.1's CKM_EDDSA C_Sign leaks an ASN1_STRING (tests/valgrind.supp),
# which LeakSanitizer would pin on us under `make asan`.
cat >"$T/sv-ed.yaml" <<'YAML'
ceremony: 1
title: Test signatures, Ed25519
roles:
  operator: {count: 1}
tokens:
  t: {label: SIGN-TEST-ED}
steps:
  - {id: k-ed, type: key.generate, token: t, algorithm: ed25519, label: ed}
  - {id: s-ed, type: sign, key: {token: t, label: ed}, data: hello}
  - {id: v-ed, type: verify, signature: s-ed, data: hello}
  - {id: v-ed-t, type: verify, signature: s-ed, data: hello!, expect_valid: false}
YAML
cat >"$T/sv-answers.yaml" <<'YAML'
answers: 1
steps: {}
YAML
expect_exit 0 "sign/verify: RSA-PSS, RSA PKCS#1, P-521, keys by {token, label}" "$CEREMONY" rehearse "$T/sv.yaml" \
	--answers "$T/sv-answers.yaml" --out "$T/sv"
expect_out "sign/verify: the PSS signature is labelled" "signed 5 bytes with 'rsa' \(rsa-3072, RSASSA-PSS"
expect_exit 0 "sign/verify: Ed25519" env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$CEREMONY" rehearse \
	"$T/sv-ed.yaml" --answers "$T/sv-answers.yaml" --out "$T/sv-ed"
printf '%s' hello >"$T/hello"
SV="$T/sv/artifacts"
openssl pkey -pubin -inform DER -in "$SV/s-pss.spki.der" -out "$T/rsa.pem" 2>/dev/null
expect_exit 0 "openssl verifies the token's RSASSA-PSS signature" openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
	-sigopt rsa_pss_saltlen:digest -verify "$T/rsa.pem" -signature "$SV/s-pss.sig" "$T/hello"
expect_exit 0 "openssl verifies the token's RSA PKCS#1 v1.5 signature" openssl dgst -sha512 -verify "$T/rsa.pem" \
	-signature "$SV/s-pkcs1.sig" "$T/hello"
openssl pkey -pubin -inform DER -in "$T/sv-ed/artifacts/s-ed.spki.der" -out "$T/ed.pem" 2>/dev/null
expect_exit 0 "openssl verifies the token's Ed25519 signature" openssl pkeyutl -verify -pubin -inkey "$T/ed.pem" -rawin \
	-in "$T/hello" -sigfile "$T/sv-ed/artifacts/s-ed.sig"
expect_exit 0 "openssl verifies the token's P-521 signature" openssl dgst -sha512 -verify "$SV/k-p521.pub.pem" \
	-signature "$SV/s-p521.sig" "$T/hello"

# --- what must fail ------------------------------------------------------------
# A fingerprint typed back wrong fails the step; the ceremony aborts and says so.
sed 's/readback: "(as shown)"/readback: "0000 0000"/' "$TOP/examples/answers/generic-root.yaml" >"$T/wrong.yaml"
expect_exit 1 "a wrong readback aborts the ceremony" "$CEREMONY" rehearse "$TOP/ceremonies/generic-root.yaml" \
	--answers "$T/wrong.yaml" --out "$T/n1"
expect_out "the mismatch is named" "typed '0000 0000' but the fingerprint ends"
expect_out "the transcript is sealed aborted" "Transcript sealed: aborted"
expect_exit 3 "ceremony verify: VALID, ABORTED" "$CEREMONY" verify "$T/n1/transcript.cts"
expect_exit 3 "verify_cts.py: VALID, ABORTED" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$T/n1/transcript.cts"
result "$T/n1/transcript.cts" root-fingerprint >"$T/nf"
has "the typed text is recorded as output and failed check" "$T/nf" '"2": 1' '"readback": "0000 0000"' '"3": false' \
	'"0": "readback", "1": "Wanda Weiss typed'
[ -d "$T/n1/usb-1" ] && not_ok "nothing after the failed step ran (no export)" || ok "nothing after the failed step ran (no export)"

# An export never overwrites: a file already on the medium stops the step before it writes.
mkdir -p "$T/n2/usb-1"
echo "an older file" >"$T/n2/usb-1/root-ca.der"
expect_exit 1 "an export onto an existing file fails" "$CEREMONY" rehearse "$TOP/ceremonies/generic-root.yaml" \
	--answers "$TOP/examples/answers/generic-root.yaml" --out "$T/n2"
expect_out "the existing file is named" "usb-1/root-ca.der' exists already"
[ "$(cat "$T/n2/usb-1/root-ca.der")" = "an older file" ] && ok "the existing file is untouched" || not_ok "the existing file is untouched"
[ -e "$T/n2/usb-1/root-ca.pem" ] || [ -e "$T/n2/usb-2/root-ca.pem" ] && not_ok "nothing was written before the refusal" ||
	ok "nothing was written before the refusal"
expect_exit 3 "its transcript is VALID, ABORTED" "$CEREMONY" verify "$T/n2/transcript.cts"

# An absolute medium must be a mounted drive: a plain folder on the workstation's
# disk (the same file system as its parent) is refused before anything is written.
mkdir -p "$T/plain-folder"
sed "s|    media: \[usb-1, usb-2\]|    media: [usb-1, $T/plain-folder]|" "$TOP/ceremonies/generic-root.yaml" >"$T/abs.yaml"
expect_exit 1 "an export to a folder that is not a mounted drive fails" "$CEREMONY" rehearse "$T/abs.yaml" \
	--answers "$TOP/examples/answers/generic-root.yaml" --out "$T/n9"
expect_out "it says to mount the drive" "is not a mounted drive"
[ -z "$(ls -A "$T/plain-folder")" ] && ok "nothing was written to the plain folder" || not_ok "nothing was written to the plain folder"
# ... and found before the first token is touched: no transcript, no key made.
[ -e "$T/n9/transcript.cts" ] && not_ok "the medium is checked before anything acts (no transcript)" ||
	ok "the medium is checked before anything acts (no transcript)"
expect_out "it says nothing was done" "nothing was done"
# Everything wrong is said at once: both media of the export, one missing, one a plain folder.
sed "s|    media: \[usb-1, usb-2\]|    media: [$T/no-such-drive, $T/plain-folder]|" "$TOP/ceremonies/generic-root.yaml" >"$T/abs2.yaml"
expect_exit 1 "two bad media fail the run before it starts" "$CEREMONY" rehearse "$T/abs2.yaml" \
	--answers "$TOP/examples/answers/generic-root.yaml" --out "$T/n10"
expect_out "both are said at once" "step 'export': the export medium '$T/no-such-drive' is not a folder here: is the drive mounted\?; the export medium '$T/plain-folder' is not a mounted drive \(same file system as its parent folder\): mount the drive first; nothing was done"

# chain.verify holds the chain to the script: an algorithm the certificate does not have fails it.
sed 's/^    signature_algorithm: ecdsa-with-SHA384/    signature_algorithm: ecdsa-with-SHA256/; s/^    key_algorithm: ec-p384/    key_algorithm: ec-p256/' \
	"$TOP/ceremonies/generic-root.yaml" >"$T/alg.yaml"
expect_exit 1 "chain.verify fails on the wrong algorithm" "$CEREMONY" rehearse "$T/alg.yaml" \
	--answers "$TOP/examples/answers/generic-root.yaml" --out "$T/n3"
expect_out "each failed check is shown" "FAIL  root-cert: signature algorithm: expected ecdsa-with-SHA256, found ecdsa-with-SHA384"
expect_out "the key algorithm too" "FAIL  root-cert: public key algorithm: expected ec-p256, found ec-p384"
expect_out "the step says how many did not hold" "2 checks of the chain did not hold"

# A verify step that expects a valid signature over tampered data fails.
awk '/id: tamper-test/ {t=1} t && /expect_valid: false/ {next} t && /expect: \{valid: false\}/ {t=0; next} {print}' \
	"$TOP/ceremonies/generic-root.yaml" >"$T/tamper.yaml"
expect_exit 1 "verifying altered data as if it were valid fails" "$CEREMONY" rehearse "$T/tamper.yaml" \
	--answers "$TOP/examples/answers/generic-root.yaml" --out "$T/n4"
expect_out "the verify step says why" "the signature of 'test-sign' is not valid, but the script expects it valid"

# Bad scripts for the new step types: refused at check time, with the position.
bad() {
	what=$1; pattern=$2
	cat >"$T/bad.yaml"
	expect_exit 2 "check refuses: $what" "$CEREMONY" check "$T/bad.yaml"
	expect_out "... and says where and why: $what" "$pattern"
}
head='ceremony: 1
title: Bad
roles:
  administrator: {count: 1}
  witness: {count: 1}
tokens:
  t: {label: BAD}
steps:
  - id: attendance
    type: attendance
  - id: key
    type: key.generate
    token: t
    algorithm: ec-p256
    label: k'
bad "chain of a key" "bad.yaml:[0-9]+:[0-9]+: .*gives artifact 'public_key' of a key.generate step, not a certificate" <<EOF
$head
  - id: chain
    type: chain.verify
    chain: [key]
EOF
bad "readback by an unknown role" "bad.yaml:[0-9]+:[0-9]+: .*no role 'auditor'" <<EOF
$head
  - id: fp
    type: fingerprint
    of: key
    readback: {role: auditor}
EOF
bad "readback of 17 groups" "bad.yaml:[0-9]+:[0-9]+: .*'groups'" <<EOF
$head
  - id: fp
    type: fingerprint
    of: key
    readback: {role: witness, groups: 17}
EOF
bad "a medium outside the output folder" "bad.yaml:[0-9]+:[0-9]+: .*under the output folder.*'../usb'" <<EOF
$head
  - id: ex
    type: artifact.export
    artifacts: [key]
    media: [../usb]
EOF
bad "an unknown export format" "bad.yaml:[0-9]+:[0-9]+: unknown format 'txt'" <<EOF
$head
  - id: ex
    type: artifact.export
    artifacts: [key]
    formats: [pem, txt]
    media: [usb]
EOF
bad "two exports with one name" "bad.yaml:[0-9]+:[0-9]+: .*two artifacts would be written as 'key'" <<EOF
$head
  - id: ex
    type: artifact.export
    artifacts: [key.public_key, key.public_key_pem]
    media: [usb]
EOF
bad "verify of a step that is not a sign step" "bad.yaml:[0-9]+:[0-9]+: .*'key' is a key.generate step, not a sign step" <<EOF
$head
  - id: v
    type: verify
    signature: key
    data: x
EOF
bad "a hash that does not fit the key" "bad.yaml:[0-9]+:[0-9]+: .*sign" <<EOF
$head
  - id: s
    type: sign
    key: key
    data: x
    signature: {hash: sha512}
EOF
echo "1..$n"
