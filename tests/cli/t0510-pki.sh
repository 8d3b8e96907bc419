#!/bin/sh
# The PKI steps end to end: a root key and self-signed root, an intermediate key,
# its CSR, the intermediate issued by the root (issuing-ca: pathlen 0, CRL DP, AIA
# OCSP), an empty CRL and a CRL revoking the intermediate, rehearsed unattended; then
# every output checked with tools we did not write (OpenSSL and GnuTLS), and the
# refusals: wrong hash for the key, a child outliving its issuer, a pathlen that does
# not fit the tier, a CSR with a bad signature, a label collision.
. "$(dirname "$0")/lib.sh"

cat >"$T/pki.yaml" <<'YAML'
ceremony: 1
title: Root and intermediate (PKI steps test)
roles:
  administrator: {count: 1}
  operator: {count: 1}
  witness: {count: 1}
tokens:
  root: {label: PKI-TEST-ROOT}
  inter: {label: PKI-TEST-INTER}
steps:
  - id: attendance
    type: attendance
  - id: root-key
    type: key.generate
    token: root
    algorithm: ec-p384
    label: PKI-ROOT-2026
    performed_by: operator
  - id: root-cert
    type: cert.self_signed
    key: root-key
    subject: {C: US, O: Example Inc., CN: Example Root CA}
    validity_days: 7305
    signature: {hash: sha384}
    performed_by: operator
    expect: {signature_algorithm: ecdsa-with-SHA384, validity_days: 7305, pathlen: none, profile: root-ca, warnings: none}
    signoff: [witness]
  - id: inter-key
    type: key.generate
    token: inter
    algorithm: ec-p384
    label: PKI-INTER-2026
    performed_by: operator
  - id: inter-csr
    type: csr.create
    key: inter-key
    subject: {C: US, O: Example Inc., OU: Device Attestation, CN: Example Issuing CA}
    performed_by: operator
  - id: inter-cert
    type: cert.issue
    issuer: root-cert
    issuer_key: root-key
    csr: inter-csr
    profile: issuing-ca
    validity_days: 1095
    crl_distribution_points: [http://crl.example.com/root.crl]
    authority_info_access: {ocsp: [http://ocsp.example.com/root]}
    performed_by: operator
    expect: {pathlen: 0, profile: issuing-ca, validity_days: 1095, warnings: none}
    signoff: [witness]
  - id: crl-empty
    type: crl.create
    issuer: inter-cert
    next_update_days: 30
    crl_number: 1
    revoked: []
    performed_by: operator
    expect: {revoked: 0, crl_number: 1}
  - id: crl-revoke
    type: crl.create
    issuer: root-cert
    next_update_days: 365
    crl_number: 7
    revoked:
      - {certificate: inter-cert, reason: keyCompromise}
    performed_by: operator
    expect: {revoked: 1, crl_number: 7}
YAML
cat >"$T/answers.yaml" <<'YAML'
answers: 1
steps:
  attendance:
    administrator: {name: Ada Adams, id_checked: "yes"}
    operator: {name: Oscar Ortiz, id_checked: "yes"}
    witness: {name: Wes Wong, id_checked: "yes"}
  root-key: {operator: {confirm: "yes"}}
  root-cert: {operator: {confirm: "yes"}, witness: {signoff: "yes"}}
  inter-key: {operator: {confirm: "yes"}}
  inter-csr: {operator: {confirm: "yes"}}
  inter-cert: {operator: {confirm: "yes"}, witness: {signoff: "yes"}}
  crl-empty: {operator: {confirm: "yes"}}
  crl-revoke: {operator: {confirm: "yes"}}
YAML

expect_exit 0 "the PKI script is valid" "$CEREMONY" check "$T/pki.yaml"
expect_exit 0 "the PKI ceremony rehearses unattended" "$CEREMONY" rehearse "$T/pki.yaml" --answers "$T/answers.yaml" --out "$T/r"
expect_out "the root is signed in the token and verified" "certificate for 'CN=Example Root CA,O=Example Inc.,C=US' signed in the token and verified"
expect_out "the request is verified" "certificate request for .* signed in the token and verified"
expect_exit 0 "the transcript is VALID" "$CEREMONY" verify "$T/r/transcript.cts"
A=$T/r/artifacts
for f in root-cert.crt.der root-cert.crt.pem inter-csr.csr.der inter-csr.csr.pem inter-cert.crt.der inter-cert.crt.pem \
	crl-empty.crl.der crl-empty.crl.pem crl-revoke.crl.der crl-revoke.crl.pem; do
	[ -s "$A/$f" ] || missing="${missing:-} $f"
done
[ -z "${missing:-}" ] && ok "every certificate, request and CRL is written as DER and PEM" ||
	not_ok "every certificate, request and CRL is written as DER and PEM" "missing:$missing"

# Every artifact is embedded in the transcript, byte for byte the file written.
dump "$T/r/transcript.cts" >"$T/dump"
"$PYTHON" - "$T/dump" "$A" >"$T/out" 2>&1 <<'PY'
import json, os, sys
seen = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] != "step-result":
        continue
    for a in r["body"].get("6", []):
        files = [f for f in os.listdir(sys.argv[2]) if f.startswith(r["body"]["0"] + ".")]
        data = bytes.fromhex(a["4"])
        if not any(open(os.path.join(sys.argv[2], f), "rb").read() == data for f in files):
            print("artifact %s of %s differs from its file" % (a["0"], r["body"]["0"]))
            sys.exit(1)
        seen += 1
print("%d artifacts embedded" % seen)
PY
[ $? -eq 0 ] && ok "artifacts in the transcript are the files written ($(cat "$T/out"))" ||
	not_ok "artifacts in the transcript are the files written" "$(cat "$T/out")"
grep '"kind": "step-result"' "$T/dump" | grep '"0": "inter-cert"' | grep -q '"3": "application/pkix-cert"' &&
	ok "the certificate artifact has media type application/pkix-cert" ||
	not_ok "the certificate artifact has media type application/pkix-cert"

# --- tools we did not write ---
cd "$A" || exit 1
expect_exit 0 "openssl verify -x509_strict: intermediate against root" openssl verify -x509_strict -CAfile root-cert.crt.pem inter-cert.crt.pem
expect_out "openssl says OK" "inter-cert.crt.pem: OK"
expect_exit 0 "openssl req -verify on the CSR" openssl req -verify -in inter-csr.csr.pem -noout
expect_out "the CSR self-signature verifies" "verify OK"
expect_exit 0 "openssl crl -verify: empty CRL against the intermediate" openssl crl -verify -CAfile inter-cert.crt.pem -in crl-empty.crl.pem -noout
expect_exit 0 "openssl crl -verify: revoking CRL against the root" openssl crl -verify -CAfile root-cert.crt.pem -in crl-revoke.crl.pem -noout
openssl x509 -inform DER -in inter-cert.crt.der | cmp -s - inter-cert.crt.pem && ok "the PEM is the DER" || not_ok "the PEM is the DER"
cat inter-cert.crt.pem root-cert.crt.pem >chain.pem
expect_exit 0 "certtool --verify-chain (GnuTLS)" certtool --verify-chain --infile chain.pem
expect_out "GnuTLS trusts the chain" "Chain verification output: Verified"
expect_exit 0 "certtool -i reads the root" certtool -i --infile root-cert.crt.pem
expect_out "GnuTLS: the root is a CA" "Certificate Authority \(CA\): TRUE"
expect_exit 0 "certtool -i reads the intermediate" certtool -i --infile inter-cert.crt.pem
expect_out "GnuTLS: pathlen 0" "Path Length Constraint: 0"
expect_out "GnuTLS: ECDSA-SHA384" "Signature Algorithm: ECDSA-SHA384"
expect_exit 0 "certtool --crl-info reads the empty CRL" certtool --crl-info --infile crl-empty.crl.pem
expect_exit 0 "certtool --verify-crl checks the empty CRL" certtool --verify-crl --load-ca-certificate inter-cert.crt.pem --infile crl-empty.crl.pem

# Extension values as openssl x509 -text shows them.
openssl x509 -in root-cert.crt.pem -noout -text >root.txt
openssl x509 -in inter-cert.crt.pem -noout -text >inter.txt
grep -A1 "Basic Constraints: critical" inter.txt | grep -q "CA:TRUE, pathlen:0" && ok "intermediate: Basic Constraints critical CA:TRUE, pathlen:0" ||
	not_ok "intermediate: Basic Constraints critical CA:TRUE, pathlen:0" "$(cat inter.txt)"
grep -A1 "Key Usage: critical" inter.txt | grep -q "^ *Certificate Sign, CRL Sign$" && ok "intermediate: Key Usage critical Certificate Sign, CRL Sign" ||
	not_ok "intermediate: Key Usage critical Certificate Sign, CRL Sign" "$(cat inter.txt)"
grep -A2 "CRL Distribution Points" inter.txt | grep -q "URI:http://crl.example.com/root.crl" && ok "intermediate: CRL DP URI" ||
	not_ok "intermediate: CRL DP URI"
grep -q "OCSP - URI:http://ocsp.example.com/root" inter.txt && ok "intermediate: AIA OCSP URI" || not_ok "intermediate: AIA OCSP URI"
root_ski=$(grep -A1 "Subject Key Identifier" root.txt | tail -1 | tr -d ' ')
inter_aki=$(grep -A1 "Authority Key Identifier" inter.txt | tail -1 | tr -d ' ' | sed 's/^keyid://')
[ -n "$root_ski" ] && [ "$root_ski" = "$inter_aki" ] && ok "intermediate AKI = root SKI ($root_ski)" ||
	not_ok "intermediate AKI = root SKI" "root SKI '$root_ski', intermediate AKI '$inter_aki'"
grep -A1 "Basic Constraints: critical" root.txt | grep -q "^ *CA:TRUE$" && ok "root: Basic Constraints critical CA:TRUE, no pathlen" ||
	not_ok "root: Basic Constraints critical CA:TRUE, no pathlen" "$(cat root.txt)"
[ "$(grep -c '^ *X509v3 \|^ *Authority Information' root.txt)" -eq 4 ] && ! grep -q "Authority Key Identifier" root.txt &&
	ok "root: exactly basicConstraints, keyUsage, SKI" || not_ok "root: exactly basicConstraints, keyUsage, SKI" "$(cat root.txt)"
grep -q "Signature Algorithm: ecdsa-with-SHA384" inter.txt && ok "intermediate signed ecdsa-with-SHA384" || not_ok "intermediate signed ecdsa-with-SHA384"
openssl asn1parse -in inter-cert.crt.pem >asn1.txt 2>&1
grep -q "UTF8STRING *:Example Issuing CA" asn1.txt && grep -q "PRINTABLESTRING *:US" asn1.txt &&
	ok "subject: CN as UTF8String, C as PrintableString" || not_ok "subject: CN as UTF8String, C as PrintableString"
serial=$(openssl x509 -in inter-cert.crt.pem -noout -serial | sed 's/^serial=//')
[ ${#serial} -eq 32 ] && ok "serial of 128 bits (16 octets) from the token" || not_ok "serial of 128 bits (16 octets) from the token" "$serial"
openssl crl -in crl-revoke.crl.pem -noout -text >crl.txt
grep -A4 "Serial Number: $serial" crl.txt | grep -q "Key Compromise" && ok "the CRL revokes the intermediate's serial for keyCompromise" ||
	not_ok "the CRL revokes the intermediate's serial for keyCompromise" "$(cat crl.txt)"
grep -A1 "X509v3 CRL Number" crl.txt | grep -q "^ *7$" && ok "CRL number 7" || not_ok "CRL number 7"
openssl crl -in crl-empty.crl.pem -noout -text >crl0.txt
grep -q "No Revoked Certificates" crl0.txt && ok "the empty CRL lists nothing" || not_ok "the empty CRL lists nothing" "$(cat crl0.txt)"
grep -A1 "Authority Key Identifier" crl0.txt | tail -1 | tr -d ' ' | grep -qx "$(grep -A1 "Subject Key Identifier" inter.txt | tail -1 | tr -d ' ')" &&
	ok "the empty CRL's AKI is the intermediate's SKI" || not_ok "the empty CRL's AKI is the intermediate's SKI"
cd "$TOP" || exit 1

# --- every signing path SoftHSM offers: ECDSA P-256/P-521 (P-384 above), Ed25519,
# RSA PKCS#1 v1.5 and RSA-PSS; a root, a request, an issued CA and a revoking CRL each ---
# id, algorithm, signature options of the root's signatures, of the request, what openssl -text shows
ALGS="p256 ec-p256 {} {} ecdsa-with-SHA256
p521 ec-p521 {} {} ecdsa-with-SHA512
ed ed25519 {} {} ED25519
rsa rsa-3072 {hash: sha512, padding: pss} {hash: sha384, padding: pss} rsassaPss"
{
	printf 'ceremony: 1\ntitle: Every signing algorithm\nroles:\n  operator: {count: 1}\ntokens:\n  t: {label: PKI-ALGS}\n'
	printf 'steps:\n  - id: attendance\n    type: attendance\n'
	echo "$ALGS" | while read -r id alg rest; do
		root_sig=$(echo "$rest" | sed 's/^\({[^}]*}\).*/\1/')
		csr_sig=$(echo "$rest" | sed 's/^{[^}]*} \({[^}]*}\).*/\1/')
		cat <<YAML
  - {id: $id-rk, type: key.generate, token: t, algorithm: $alg, label: $id-root}
  - {id: $id-root, type: cert.self_signed, key: $id-rk, subject: {CN: $id root}, validity_days: 3653, signature: $root_sig}
  - {id: $id-ik, type: key.generate, token: t, algorithm: $alg, label: $id-inter}
  - {id: $id-csr, type: csr.create, key: $id-ik, subject: {CN: $id intermediate}, signature: $csr_sig}
  - {id: $id-inter, type: cert.issue, issuer: $id-root, csr: $id-csr, profile: issuing-ca, validity_days: 1000, signature: $root_sig}
  - {id: $id-crl, type: crl.create, issuer: $id-root, next_update_days: 30, crl_number: 1, revoked: [{certificate: $id-inter, reason: superseded}], signature: $root_sig}
YAML
	done
} >"$T/algs.yaml"
printf 'answers: 1\nsteps:\n  attendance:\n    operator: {name: Oscar, id_checked: "yes"}\n' >"$T/algs-answers.yaml"
expect_exit 0 "every signing algorithm rehearses" "$CEREMONY" rehearse "$T/algs.yaml" --answers "$T/algs-answers.yaml" --out "$T/ra"
while read -r id alg rest; do
	want=${rest##* }
	B=$T/ra/artifacts
	r1=$(openssl verify -x509_strict -CAfile "$B/$id-root.crt.pem" "$B/$id-inter.crt.pem" 2>&1)
	r2=$(openssl req -verify -noout -in "$B/$id-csr.csr.pem" 2>&1)
	r3=$(openssl crl -verify -noout -CAfile "$B/$id-root.crt.pem" -in "$B/$id-crl.crl.pem" 2>&1)
	cat "$B/$id-inter.crt.pem" "$B/$id-root.crt.pem" >"$T/$id-chain.pem"
	r4=$(certtool --verify-chain --infile "$T/$id-chain.pem" 2>&1 | grep "Chain verification output")
	r5=$(openssl x509 -noout -text -in "$B/$id-inter.crt.pem" | grep -m1 "Signature Algorithm")
	case "$r1|$r2|$r3|$r4|$r5" in
	*"$id-inter.crt.pem: OK"*"verify OK"*"verify OK"*"Verified"*"$want"*) ok "$alg: chain, request and CRL verify with OpenSSL and GnuTLS ($want)" ;;
	*) not_ok "$alg: chain, request and CRL verify with OpenSSL and GnuTLS" "$r1" "$r2" "$r3" "$r4" "$r5" ;;
	esac
done <<ALGS_END
$ALGS
ALGS_END

# --- refusals at load time: check exits 2 and names the line ---
# edit "what" FROM TO: a copy of the script with one change, then `ceremony check` on it.
edit() {
	"$PYTHON" - "$T/pki.yaml" "$T/bad.yaml" "$2" "$3" <<'PY'
import sys
s = open(sys.argv[1]).read()
assert sys.argv[3] in s, sys.argv[3]
open(sys.argv[2], "w").write(s.replace(sys.argv[3], sys.argv[4], 1))
PY
	expect_exit 2 "check refuses $1" "$CEREMONY" check "$T/bad.yaml"
}
edit "a hash that does not fit the key" "signature: {hash: sha384}" "signature: {hash: sha256}"
expect_out "the hash mismatch is named at its line" "bad.yaml:24:16: step .root-cert.: hash sha256 does not fit an ec-p384 key: ECDSA with this curve takes sha384"
edit "a child valid longer than its issuer" "validity_days: 1095" "validity_days: 7305"
expect_out "the validity is named" "bad.yaml:[0-9]+:[0-9]+: step 'inter-cert': validity_days 7305 is not shorter than the 7305 days of issuer 'root-cert'"
edit "a child ending after its issuer's date" "    validity_days: 7305
    signature" "    not_before: 2026-01-01T00:00:00Z
    not_after: 2027-01-01T00:00:00Z
    signature"
expect_out "the dates are named" "would be valid until .*, after its issuer 'root-cert'"
edit "a pathlen that does not fit the tier" "profile: issuing-ca" "profile: issuing-ca
    pathlen: 1"
expect_out "the pathlen rule is named" "pathlen 1 does not fit profile issuing-ca"
edit "an issuer key that is not the issuer's" "issuer_key: root-key" "issuer_key: inter-key"
expect_out "the key mismatch is named" "issuer_key is 'PKI-INTER-2026' on token 'inter', but issuer 'root-cert' certifies key 'PKI-ROOT-2026'"
edit "a CRL number that does not increase" "crl_number: 7" "crl_number: 7
    this_update: 2026-13-01T00:00:00Z"
edit "a reason RFC 5280 says to leave out" "reason: keyCompromise" "reason: unspecified"

# A CSR with a bad signature, given as a file: refused by check (and so before any
# token is touched), and by rehearse before anything is made.
cp "$A/inter-csr.csr.der" "$T/good.csr"
"$PYTHON" - "$A/inter-csr.csr.der" "$T/bad.csr" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"Device")
d[i] = ord("E")
open(sys.argv[2], "wb").write(bytes(d))
PY
cat >"$T/file.yaml" <<'YAML'
ceremony: 1
title: Issue from a request file
roles:
  operator: {count: 1}
tokens:
  root: {label: PKI-FILE-ROOT}
steps:
  - id: attendance
    type: attendance
  - id: root-key
    type: key.generate
    token: root
    algorithm: ec-p384
    label: FILE-ROOT
  - id: root-cert
    type: cert.self_signed
    key: root-key
    subject: {CN: File Root}
    validity_days: 3653
  - id: issue
    type: cert.issue
    issuer: root-cert
    csr: {file: REQUEST}
    profile: issuing-ca
    validity_days: 3652
YAML
printf 'answers: 1\nsteps:\n  attendance:\n    operator: {name: Oscar, id_checked: "yes"}\n' >"$T/file-answers.yaml"
sed 's/REQUEST/bad.csr/' "$T/file.yaml" >"$T/file-bad.yaml"
expect_exit 2 "check refuses a CSR whose signature does not verify" "$CEREMONY" check "$T/file-bad.yaml"
expect_out "the bad signature is named" "file-bad.yaml:[0-9]+:[0-9]+: step 'issue': request 'bad.csr': the certificate request's signature does not verify"
expect_exit 2 "rehearse refuses it before any token is made" "$CEREMONY" rehearse "$T/file-bad.yaml" --answers "$T/file-answers.yaml" --out "$T/rb"
[ ! -e "$T/rb/transcript.cts" ] && ok "no transcript was started" || not_ok "no transcript was started"
# The good request from a file (relative to the script) is issued; the tier warning
# (3652 days for an issuing CA) is recorded, not fatal.
sed 's/REQUEST/good.csr/' "$T/file.yaml" >"$T/file-good.yaml"
expect_exit 0 "a request from a file is issued" "$CEREMONY" rehearse "$T/file-good.yaml" --answers "$T/file-answers.yaml" --out "$T/rg"
expect_out "the tier warning is shown" "warning: validity of 3652 days \(10.0 years\) is outside the range for an issuing CA \(1 to 3 years\)"
dump "$T/rg/transcript.cts" | grep '"kind": "step-result"' | grep '"0": "issue"' | grep -q '"warnings": "validity of 3652 days' &&
	ok "the warning is in the transcript" || not_ok "the warning is in the transcript"
[ -s "$T/rg/artifacts/issue.request" ] && cmp -s "$T/rg/artifacts/issue.request" "$T/good.csr" &&
	ok "the request file is kept as an artifact" || not_ok "the request file is kept as an artifact"
expect_exit 0 "openssl verifies the certificate issued from the file" openssl verify -x509_strict -CAfile "$T/rg/artifacts/root-cert.crt.pem" "$T/rg/artifacts/issue.crt.pem"

# A label collision: the second key on the root token under the root key's label is
# refused when the script is checked, before any token exists. (A collision with a key
# already on a token is refused in the room before generating: t0410.)
"$PYTHON" - "$T/pki.yaml" "$T/collide.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s.replace("token: inter\n    algorithm: ec-p384\n    label: PKI-INTER-2026", "token: root\n    algorithm: ec-p384\n    label: PKI-ROOT-2026")
open(sys.argv[2], "w").write(s)
PY
expect_exit 2 "a label collision is refused before the ceremony" "$CEREMONY" rehearse "$T/collide.yaml" --answers "$T/answers.yaml" --out "$T/rc"
expect_out "the collision is named" "already makes a key labelled 'PKI-ROOT-2026' on token 'root'"
[ ! -e "$T/rc" ] && ok "nothing was made" || not_ok "nothing was made"
echo "1..$n"
