#!/bin/sh
# Ceremonies that build on earlier ones (issue 12, items 2, 4, 6): the company root
# ceremony rehearses (kept), the intermediate ceremony rehearses after it
# (`rehearse --after`), importing its transcript: genesis `continues` is the root
# transcript's head and `inputs` holds its hash; the root HSM's inventory matches;
# the chain verifies with openssl and certtool. Then the intermediate ceremony
# refuses — halts, its transcript sealed, nothing signed by the root key — a seal
# number that differs from the recorded one, a root certificate on the drive that is
# not the recorded one, a root HSM holding an extra key (put there with pkcs11-tool),
# a tampered root transcript, and an UNANCHORED one (a signer change at a resume),
# which the root ceremony's paper-log kid then vouches for. Each rehearsal runs in a
# network namespace of its own (tools/offline), as the air-gapped room's would.
. "$(dirname "$0")/lib.sh"
OFF="$TOP/tools/offline"
ROOT_S="$TOP/ceremonies/company-root.yaml" ROOT_A="$TOP/examples/answers/company-root.yaml"
INT_S="$TOP/ceremonies/company-intermediate.yaml" INT_A="$TOP/examples/answers/company-intermediate.yaml"
R="$T/root"

expect_exit 0 "the root ceremony rehearses offline, its tokens kept" "$OFF" "$CEREMONY" rehearse "$ROOT_S" \
	--answers "$ROOT_A" --out "$R" --keep
expect_exit 0 "the root transcript is VALID" "$CEREMONY" verify "$R/transcript.cts"
root_head=$(sed -n 's/^head: *//p' "$T/out" | tr -d ' ' | tr 'A-F' 'a-f')
[ ${#root_head} -eq 64 ] && ok "the root head is read ($root_head)" || not_ok "the root head is read" "$(cat "$T/out")"

expect_exit 2 "the intermediate script does not check without the root ceremony's files" "$CEREMONY" check "$INT_S"
expect_out "it names the missing transcript" "transcript.cts"
expect_exit 0 "with --after the intermediate script checks" "$CEREMONY" check "$INT_S" --after "$R"
expect_out "check shows the import's verdict" "imports: transcript.cts: VALID, [0-9]+ records"

I="$T/int"
expect_exit 0 "the intermediate ceremony rehearses after the root" "$OFF" "$CEREMONY" rehearse "$INT_S" \
	--answers "$INT_A" --after "$R" --out "$I" --keep
expect_out "the root token is taken on from the root rehearsal" "rehearsal token 'root' \(label DYBER-ROOT-CA\) taken on"
expect_exit 0 "the intermediate transcript is VALID" "$CEREMONY" verify "$I/transcript.cts"
dump "$I/transcript.cts" | sed -n 1p >"$T/g"
has "its genesis continues the root transcript's head" "$T/g" "\"7\": \"$root_head\""
has "its genesis inputs hold the root transcript and the drive's certificate" "$T/g" \
	"\"0\": \"transcript.cts\", \"1\": \"$(sha256sum "$R/transcript.cts" | cut -c1-64)\"" \
	"\"0\": \"usb-1/dyber-root-ca.pem\", \"1\": \"$(sha256sum "$R/usb-1/dyber-root-ca.pem" | cut -c1-64)\""
result "$I/transcript.cts" root-inventory >"$T/r"
has "the root HSM holds exactly the root ceremony's key pair" "$T/r" '"missing": 0' '"not_recorded": 0' \
	"private key 'DYBER-ROOT-CA'" "public key 'DYBER-ROOT-CA' id [0-9a-f]+ spki-sha256 [0-9a-f]{64}"
result "$I/transcript.cts" root-seal-check >"$T/r"
has "the seal number typed is checked against the recorded one" "$T/r" \
	'"0": "root_hsm_seal_number \(same as root-ceremony.seal.root_hsm_seal_number\)", "1": "TEB-1180422", "2": "TEB-1180422", "3": true'
expect_exit 0 "openssl verifies the intermediate against the root ceremony's root" openssl verify -x509_strict \
	-CAfile "$R/usb-1/dyber-root-ca.pem" "$I/usb-1/dyber-intermediate-ca.pem"
cmp -s "$R/usb-1/dyber-root-ca.der" "$I/usb-2/dyber-root-ca.der" &&
	ok "the root the intermediate ceremony exports is the root ceremony's, byte for byte" ||
	not_ok "the root the intermediate ceremony exports is the root ceremony's, byte for byte"
expect_exit 0 "certtool verifies the intermediate against the root" certtool --verify --verify-profile=high \
	--load-ca-certificate "$R/usb-1/dyber-root-ca.pem" --infile "$I/usb-1/dyber-intermediate-ca.pem"
expect_out "certtool says Verified" "Chain verification output: Verified"
expect_exit 0 "verify_cts.py agrees" "$PYTHON" "$TOP/tests/tools/verify_cts.py" "$I/transcript.cts"

# refused: halted, sealed, nothing signed by the root key (no certificate, no CRL of it)
refused() { # what DIR OUT [answers] [script]: the intermediate after DIR halts at its step
	rw=$1 dir=$2 out=$3 ans=${4:-$INT_A} script=${5:-$INT_S}
	expect_exit 1 "$rw: the intermediate ceremony halts" "$OFF" "$CEREMONY" rehearse "$script" --answers "$ans" \
		--after "$dir" --out "$out"
	cp "$T/out" "$T/refused.log"
	expect_exit 3 "$rw: its transcript is sealed, aborted" "$CEREMONY" verify "$out/transcript.cts"
	dump "$out/transcript.cts" | grep '"kind": "step-begin"' >"$T/begun"
	if grep -Eq '"0": "(intermediate-cert|root-crl)"' "$T/begun" || [ -e "$out/usb-1/dyber-intermediate-ca.pem" ]; then
		not_ok "$rw: nothing was signed by the root key"
	else ok "$rw: nothing was signed by the root key"; fi
}
copy_root() { cp -a "$R" "$1"; }
# keepsafe_pin STORE TOKEN: the user PIN a rehearsal's keepsafe holds for TOKEN (the
# latest entry wins), to put a key on that throwaway token by hand with pkcs11-tool.
keepsafe_pin() {
	"$PYTHON" - "$1/keepsafe" "$2" <<'P'
import sys
d, tok = open(sys.argv[1], 'rb').read(), sys.argv[2].encode()
pin, i = None, 0
while i < len(d):
	j = d.index(b'\n', i); kind, step, name, n = d[i:j].split(b'\t'); n = int(n)
	if kind == b'pin' and step == tok and name == b'user': pin = d[j + 1:j + 1 + n].decode()
	i = j + 1 + n + 1
print(pin)
P
}

sed 's/root_hsm_seal_number: "TEB-1180422"/root_hsm_seal_number: "TEB-1180499"/' "$INT_A" >"$T/seal.yaml"
refused "another seal number" "$R" "$T/o-seal" "$T/seal.yaml"
result "$T/o-seal/transcript.cts" root-seal-check >"$T/r"
has "another seal number: the check failed with both numbers" "$T/r" '"1": "TEB-1180422", "2": "TEB-1180499", "3": false'

# A typo in the seal number is a slip asked again (never shown the right one); the
# second, right, number goes on. Three wrong ones: the last is recorded and halts (above).
sed 's/root_hsm_seal_number: "TEB-1180422"$/root_hsm_seal_number: ["TEB-1180442", "TEB-1180422"]/' "$INT_A" >"$T/slip.yaml"
expect_exit 0 "a mistyped seal number is asked again, the right one goes on" "$OFF" "$CEREMONY" rehearse "$INT_S" \
	--answers "$T/slip.yaml" --after "$R" --out "$T/o-slip"
expect_out "it says what was wrong without the recorded number" \
	"root_hsm_seal_number typed is not the one root-ceremony.seal.root_hsm_seal_number recorded: check it and type it again \(attempt 1 of 3\)"
grep -q "TEB-1180422.*attempt\|attempt.*TEB-1180422" "$T/out" && not_ok "the recorded number is not shown" ||
	ok "the recorded number is not shown"
result "$T/o-slip/transcript.cts" root-seal-check >"$T/r"
has "the slip is recorded, the check holds" "$T/r" '"11": \[\{"0": "administrator", "1": "root_hsm_seal_number"' \
	'"1": "TEB-1180422", "2": "TEB-1180422", "3": true'

copy_root "$T/r-cert"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout /dev/null -subj "/C=US/O=Dyber, Inc./CN=Dyber Root CA" \
	-days 7305 -out "$T/r-cert/usb-1/dyber-root-ca.pem" 2>/dev/null
refused "another root certificate on the drive" "$T/r-cert" "$T/o-cert"
result "$T/o-cert/transcript.cts" root-cert-drive >"$T/r"
has "another root certificate: its fingerprint is not the recorded one" "$T/r" \
	"\"0\": \"sha256 \(same as root-ceremony.root-fingerprint.sha256\)\", \"1\": \"[0-9a-f]{64}\", \"2\": \"[0-9a-f]{64}\", \"3\": false"

copy_root "$T/r-extra"
store=$(ls -d "$T/r-extra"/ceremony-tokens.*)
pin=$(keepsafe_pin "$store" root)
# The copy's own configuration (the store's names the earlier folder), and the slot by
# its exact label (pkcs11-tool's --token-label also takes DYBER-ROOT-CA-BACKUP).
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$store" >"$T/extra.conf"
export SOFTHSM2_CONF="$T/extra.conf"
slot=$(pkcs11-tool --module "$SOFTHSM_MODULE" -L | awk '/^Slot/ { s = $3 } /token label *: DYBER-ROOT-CA *$/ { print s }' |
	tr -d '():')
pkcs11-tool --module "$SOFTHSM_MODULE" --slot "$slot" --login --pin "$pin" --keypairgen --key-type EC:prime256v1 \
	--label PLANTED --id 99 >"$T/p11" 2>&1 &&
	ok "pkcs11-tool plants a key pair on the root HSM" || not_ok "pkcs11-tool plants a key pair on the root HSM" "$(cat "$T/p11")"
unset SOFTHSM2_CONF
refused "a root HSM holding an extra key" "$T/r-extra" "$T/o-extra"
grep -q "token 'root' is not as the earlier ceremony left it: not recorded: private key 'PLANTED' id 99" "$T/refused.log" &&
	ok "an extra key: the inventory names the planted key" || not_ok "an extra key: the inventory names the planted key" \
	"$(grep -i planted "$T/refused.log" | head -3)"

copy_root "$T/r-tamper"
"$PYTHON" - "$T/r-tamper/transcript.cts" <<'P'
import sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read()); d[-40] ^= 1; open(p, 'wb').write(bytes(d))
P
refused "a tampered root transcript" "$T/r-tamper" "$T/o-tamper"
result "$T/o-tamper/transcript.cts" root-ceremony >"$T/r"
has "a tampered transcript: the import failed INVALID, code import" "$T/r" '"verdict": "INVALID"' '"0": "import"'

# A root rehearsal killed after record 20 and resumed: the new audit key signs the rest.
U="$T/r-unanchored"
CEREMONY_TEST_CRASH=after:20 "$OFF" "$CEREMONY" rehearse "$ROOT_S" --answers "$ROOT_A" --out "$U" --keep >"$T/crash" 2>&1
expect_exit 0 "a root rehearsal killed after record 20 resumes" "$OFF" "$CEREMONY" resume "$U/transcript.cts" \
	--answers "$ROOT_A" --keep
expect_exit 5 "that root transcript is UNANCHORED" "$CEREMONY" verify "$U/transcript.cts"
refused "an UNANCHORED root transcript" "$U" "$T/o-unanchored"
result "$T/o-unanchored/transcript.cts" root-ceremony >"$T/r"
has "an UNANCHORED transcript: the import failed so" "$T/r" '"verdict": "UNANCHORED"' '"0": "import"'
kid=$(dump "$U/transcript.cts" | grep '"kind": "resume"' | sed 's/.*"4": {"0": "\([0-9a-f]*\)".*/\1/')
sed "s|    transcript: {file: transcript.cts}|&\n    kid: \"$kid\"|" "$INT_S" >"$U/intermediate-kid.yaml"
expect_exit 0 "with the new signer's kid from the paper log, the intermediate builds on it" "$OFF" "$CEREMONY" \
	rehearse "$U/intermediate-kid.yaml" --answers "$INT_A" --after "$U" --out "$T/o-kid"
result "$T/o-kid/transcript.cts" root-ceremony >"$T/r"
has "the import records the kid it checked" "$T/r" '"verdict": "VALID"' '"kids_checked": 1'


# --- the emergency re-key (seed 004 §9), after the intermediate ------------------
RK_S="$TOP/ceremonies/emergency-rekey.yaml" RK_A="$TOP/examples/answers/emergency-rekey.yaml"
expect_exit 0 "the intermediate transcript's head is read" "$CEREMONY" verify "$I/transcript.cts"
int_head=$(sed -n 's/^head: *//p' "$T/out" | tr -d ' ' | tr 'A-F' 'a-f')
K="$T/rekey"
expect_exit 0 "the emergency re-key rehearses after the intermediate" "$OFF" "$CEREMONY" rehearse "$RK_S" \
	--answers "$RK_A" --after "$I" --out "$K" --keep
expect_out "the compromised HSM is the intermediate rehearsal's, taken on" \
	"rehearsal token 'compromised' \(label DYBER-INTERMEDIATE-CA\) taken on"
expect_exit 0 "the re-key transcript is VALID" "$CEREMONY" verify "$K/transcript.cts"
dump "$K/transcript.cts" | sed -n 1p >"$T/g"
has "its genesis continues the intermediate transcript's head" "$T/g" "\"7\": \"$int_head\""
result "$K/transcript.cts" preserve >"$T/r"
has "the compromised HSM is recorded as the intermediate ceremony left it" "$T/r" '"missing": 0' '"not_recorded": 0' \
	"private key 'DYBER-INTERMEDIATE-CA'"
old_serial=$(openssl x509 -in "$I/usb-1/dyber-intermediate-ca.pem" -noout -serial | cut -d= -f2)
openssl crl -in "$K/usb-1/dyber-root-ca-crl.pem" -noout -text >"$T/crl"
has "the root's CRL revokes the compromised intermediate, keyCompromise" "$T/crl" "Serial Number: $old_serial" \
	"Key Compromise"
expect_exit 2 "openssl: the compromised intermediate is revoked" openssl verify -crl_check \
	-CAfile "$R/usb-1/dyber-root-ca.pem" -CRLfile "$K/usb-1/dyber-root-ca-crl.pem" "$I/usb-1/dyber-intermediate-ca.pem"
expect_out "openssl says revoked" "certificate revoked"
expect_exit 0 "openssl: the new intermediate verifies with that CRL" openssl verify -x509_strict -crl_check \
	-CAfile "$R/usb-1/dyber-root-ca.pem" -CRLfile "$K/usb-1/dyber-root-ca-crl.pem" "$K/usb-1/dyber-intermediate-ca-2.pem"

# A compromised HSM that was wiped is not what the intermediate ceremony left: halted.
cp -a "$I" "$T/i-wiped"
store=$(ls -d "$T/i-wiped"/ceremony-tokens.*)
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$store" >"$T/wiped.conf"
pin=$(keepsafe_pin "$store" intermediate)
export SOFTHSM2_CONF="$T/wiped.conf"
slot=$(pkcs11-tool --module "$SOFTHSM_MODULE" -L | awk '/^Slot/ { s = $3 } /token label *: DYBER-INTERMEDIATE-CA *$/ { print s }' |
	tr -d '():')
pkcs11-tool --module "$SOFTHSM_MODULE" --slot "$slot" --login --pin "$pin" --delete-object --type privkey \
	--label DYBER-INTERMEDIATE-CA >"$T/p11" 2>&1 &&
	ok "pkcs11-tool deletes the compromised key (a wiped HSM)" || not_ok "pkcs11-tool deletes the compromised key" "$(cat "$T/p11")"
unset SOFTHSM2_CONF
expect_exit 1 "a wiped compromised HSM: the re-key halts" "$OFF" "$CEREMONY" rehearse "$RK_S" --answers "$RK_A" \
	--after "$T/i-wiped" --out "$T/o-wiped"
expect_out "it says what is missing" "missing: private key 'DYBER-INTERMEDIATE-CA'"
dump "$T/o-wiped/transcript.cts" | grep -q '"0": "revoke"' && not_ok "a wiped HSM: nothing was signed by the root key" ||
	ok "a wiped HSM: nothing was signed by the root key"

# --- the annual recovery test (seed 002), after the root --------------------------
AR_S="$TOP/ceremonies/annual-recovery-test.yaml" AR_A="$TOP/examples/answers/annual-recovery-test.yaml"
expect_exit 0 "the annual recovery test rehearses after the root" "$OFF" "$CEREMONY" rehearse "$AR_S" \
	--answers "$AR_A" --after "$R" --out "$T/recovery"
expect_exit 0 "its transcript is VALID" "$CEREMONY" verify "$T/recovery/transcript.cts"
dump "$T/recovery/transcript.cts" | sed -n 1p >"$T/g"
has "its genesis continues the root transcript's head and records the backup read" "$T/g" "\"7\": \"$root_head\"" \
	"\"0\": \"backup/root-backup.wrapped\", \"1\": \"$(sha256sum "$R/backup/root-backup.wrapped" | cut -c1-64)\""
result "$T/recovery/transcript.cts" restore >"$T/r"
has "the backup restored, its signature checked with the recorded root, the key destroyed" "$T/r" \
	'"signature_valid": true' '"cleared": true' '"blob_sha256 \(same as root-ceremony.root-backup.blob_sha256\)"' \
	'"custodians": \["Karin Lund", "Tomas Ruiz"\]'
result "$T/recovery/transcript.cts" test-cleared >"$T/r"
has "the test partition is empty afterwards" "$T/r" '"empty": true' '"count": 0'

copy_root "$T/r-blob"
"$PYTHON" - "$T/r-blob/backup/root-backup.wrapped" <<'P'
import sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read()); d[10] ^= 1; open(p, 'wb').write(bytes(d))
P
expect_exit 1 "a backup file that is not the recorded one: the recovery test halts" "$OFF" "$CEREMONY" rehearse "$AR_S" \
	--answers "$AR_A" --after "$T/r-blob" --out "$T/o-blob"
expect_out "it says so" "is not the backup the earlier ceremony wrote"
result "$T/o-blob/transcript.cts" restore >"$T/r"
has "a swapped backup: the hash check failed before any custodian gave a share" "$T/r" '"shares_given": 0' \
	'"blob_sha256 \(same as root-ceremony.root-backup.blob_sha256\)", "1": "[0-9a-f]{64}", "2": "[0-9a-f]{64}", "3": false'


sed 's/"(share 2 of wrap-split)"/"(share 2 of root-init)"/' "$AR_A" >"$T/card.yaml"
expect_exit 1 "a card of another split (the root HSM's PIN): the recovery test halts" "$OFF" "$CEREMONY" rehearse "$AR_S" \
	--answers "$T/card.yaml" --after "$R" --out "$T/o-card"
expect_out "it names the split" "the share Karin Lund gave is of split [0-9a-f]+, not of the wrap key's split"

# --- the ML-DSA-65 originals of seed 004 (issue 15) ------------------------------
# With OpenSSL 3.5 or later (Debian 13, make check-debian13) they rehearse end to end,
# each after the one before it, through the test-only ML-DSA token
# (tests/tools/p11mldsa_testonly.c, SoftHSM with ML-DSA-65 key pairs on top): VALID
# transcripts, certificates whose signature and key are id-ml-dsa-65, accepted by
# openssl verify and by pyca/cryptography's strict DER reader. With OpenSSL 3.0 they
# stop before any step acts, through the same module as through SoftHSM.
MLDSA=${BUILD:-$TOP/build}/tests/p11-mldsa-TESTONLY.so
case $MLDSA in /*) ;; *) MLDSA=$TOP/$MLDSA ;; esac
if openssl list -signature-algorithms 2>/dev/null | grep -qi 'ml-dsa-65'; then
	prev=
	for mn in company-root company-intermediate emergency-rekey; do
		o="$TOP/ceremonies/ml-dsa/$mn.yaml" out=$T/o-mldsa-$mn
		expect_exit 0 "$mn (ML-DSA-65): check" "$CEREMONY" check "$o" ${prev:+--after $prev}
		expect_out "$mn (ML-DSA-65): check says the script's keys are ML-DSA-65" \
			"^  the script's keys: ml-dsa-65\$"
		expect_out "$mn (ML-DSA-65): ... this build signs with ML-DSA-65" "^  this build \(OpenSSL 3\.[5-9].*\) signs with: .*ml-dsa-65"
		expect_exit 0 "$mn (ML-DSA-65): rehearses through the test-only ML-DSA token" "$OFF" "$CEREMONY" rehearse "$o" \
			--answers "$TOP/examples/answers/$mn.yaml" ${prev:+--after $prev} --keep --module "$MLDSA" --out "$out"
		expect_exit 0 "$mn (ML-DSA-65): the transcript is VALID" "$CEREMONY" verify "$out/transcript.cts" --script "$o"
		# The independent verifier agrees (its pyca/cryptography cannot check ML-DSA: it
		# counts those signatures unverifiable, as ceremony verify does on OpenSSL 3.0).
		expect_exit 0 "$mn (ML-DSA-65): verify_cts.py says VALID too" "$PYTHON" "$TOP/tests/tools/verify_cts.py" \
			"$out/transcript.cts"
		prev=$out
	done
	root=$T/o-mldsa-company-root/artifacts/root-cert.crt.pem
	for c in "$root" "$T/o-mldsa-company-intermediate/artifacts/intermediate-cert.crt.pem" \
		"$T/o-mldsa-emergency-rekey/artifacts/intermediate-cert.crt.pem"; do
		name=${c#"$T"/o-mldsa-}
		openssl x509 -in "$c" -noout -text >"$T/text" 2>&1
		[ "$(grep -c 'Signature Algorithm: ML-DSA-65' "$T/text")" -eq 2 ] && grep -q 'Public Key Algorithm: ML-DSA-65' "$T/text" &&
			ok "$name: signed with ML-DSA-65, its key ML-DSA-65 (seed 004 §7.4)" ||
			not_ok "$name: signed with ML-DSA-65, its key ML-DSA-65 (seed 004 §7.4)" "$(grep Algorithm "$T/text")"
		expect_exit 0 "$name: openssl verify -x509_strict accepts it under the ML-DSA root" \
			openssl verify -x509_strict -CAfile "$root" "$c"
		"$PYTHON" - "${c%.pem}.der" >"$T/py" 2>&1 <<'PY'
import sys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
der = open(sys.argv[1], "rb").read()
c = x509.load_der_x509_certificate(der)   # the strict Rust DER reader
mldsa65 = "2.16.840.1.101.3.4.3.18"
assert c.public_bytes(Encoding.DER) == der, "does not re-encode to the same DER"
assert c.signature_algorithm_oid.dotted_string == mldsa65, c.signature_algorithm_oid
assert c.public_key_algorithm_oid.dotted_string == mldsa65, c.public_key_algorithm_oid
print("ok")
PY
		[ "$(cat "$T/py")" = ok ] && ok "$name: pyca/cryptography reads it as strict DER, id-ml-dsa-65 throughout" ||
			not_ok "$name: pyca/cryptography reads it as strict DER, id-ml-dsa-65 throughout" "$(tail -n 2 "$T/py")"
	done
else
	expect_exit 0 "the P-384 twin: check" "$CEREMONY" check "$TOP/ceremonies/company-root.yaml"
	expect_out "the P-384 twin: check says this build signs with ec-p384" "^  this build \(OpenSSL 3\.[0-4].*\) signs with: .*ec-p384"
	grep -q "signs with: .*ml-dsa" "$T/out" && not_ok "and not with ML-DSA-65 (OpenSSL 3.0)" "$(grep 'signs with' "$T/out")" ||
		ok "and not with ML-DSA-65 (OpenSSL 3.0)"
	for mn in company-root company-intermediate emergency-rekey; do
		o="$TOP/ceremonies/ml-dsa/$mn.yaml" e=$(awk -v n="$mn" '$1 == n && NF > 1 { print $2 }' "$TOP/examples/sequence")
		after=${e:+--after $T/o-mldsa-after}
		[ -n "$e" ] && { [ -e "$T/o-mldsa-after" ] || cp -a "$I" "$T/o-mldsa-after"; }
		expect_exit 2 "$mn (ML-DSA-65): check refuses it here" "$CEREMONY" check "$o" $after
		expect_out "$mn (ML-DSA-65): saying OpenSSL 3.5 is needed" "ml-dsa-65 certificates need OpenSSL 3.5 or later"
		for via in softhsm "$MLDSA"; do
			mod=; [ "$via" = softhsm ] || mod="--module $via"
			expect_exit 2 "$mn (ML-DSA-65): rehearse stops before any step acts (${via##*/})" "$OFF" "$CEREMONY" rehearse "$o" \
				--answers "$TOP/examples/answers/$mn.yaml" $after $mod --out "$T/o-mldsa-$mn-${via##*/}"
			[ ! -e "$T/o-mldsa-$mn-${via##*/}/transcript.cts" ] &&
				ok "$mn (ML-DSA-65): no transcript was begun, no token touched (${via##*/})" ||
				not_ok "$mn (ML-DSA-65): no transcript was begun, no token touched (${via##*/})"
		done
	done
fi

# --- a live run never builds on a rehearsal, and never reads its shares -----------
# The room's folder holds the root rehearsal's output, its token store and keepsafe
# (the rehearsal's PINs and shares) included: the live run reads only the files the
# script names, and the import refuses a rehearsal's transcript.
L="$T/live-on-rehearsal"
cp -a "$R/." "$L/" && cp "$INT_S" "$L/"
mkdir -p "$T/lr-tokens"
printf 'directories.tokendir = %s/lr-tokens\nobjectstore.backend = file\n' "$T" >"$T/lr.conf"
printf 'binding: 1\nmodule: %s\ntokens:\n' "$SOFTHSM_MODULE" >"$T/lr-bind.yaml"
for tl in root:DYBER-ROOT-CA intermediate:DYBER-INTERMEDIATE-CA intermediate-backup:DYBER-INTERMEDIATE-BACKUP \
	restore-test:DYBER-INT-RESTORE-TEST; do
	SOFTHSM2_CONF="$T/lr.conf" softhsm2-util --init-token --free --label "${tl#*:}" --so-pin 40293817 --pin 61823047 >/dev/null
	printf '  %s: "pkcs11:token=%s"\n' "${tl%%:*}" "${tl#*:}" >>"$T/lr-bind.yaml"
done
export SOFTHSM2_CONF="$T/lr.conf"
expect_exit 1 "a live run on a rehearsal's transcript halts at the import" "$OFF" "$CEREMONY" run \
	"$L/company-intermediate.yaml" --bind "$T/lr-bind.yaml" --answers "$INT_A" --out "$T/o-lr"
unset SOFTHSM2_CONF
expect_out "it says a live ceremony builds only on a live one" "is a rehearsal's transcript: a live ceremony builds only on a live one"
expect_exit 3 "that live transcript is sealed, aborted" "$CEREMONY" verify "$T/o-lr/transcript.cts"
expect_exit 2 "ceremony run has no --after" "$CEREMONY" run "$INT_S" --bind "$T/lr-bind.yaml" --after "$R"
echo "1..$n"
