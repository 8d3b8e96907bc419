#!/bin/sh
# What we make is read by strict X.509 parsers, not only by OpenSSL and GnuTLS (which
# forgave a cA BOOLEAN encoded 01 01 01): Go's crypto/x509 (tests/tools/x509check.go,
# built by make as $BUILD/tests/x509check) and pyca/cryptography
# (tests/tools/x509check.py) load every certificate, CSR and CRL, read every
# extension, verify every signature and chain every certificate among the files.
#   - every ready ceremony, everything it wrote (artifacts and export media);
#   - tests/cli/data/all-algorithms.yaml: a root, a CSR, an intermediate and two CRLs
#     for every key algorithm, RSA with PKCS#1 v1.5 and PSS;
#   - the old code's certificates (tests/fixtures/x509, cA 01 01 01) are refused by
#     both for their basic constraints, a broken signature and a missing issuer too:
#     the checkers can fail.
# A missing checker (golang-go, python3-cryptography: make deps) is a failure.
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-$TOP/build}
GOCHECK=$BUILD/tests/x509check
PYCHECK=$TOP/tests/tools/x509check.py

if [ -x "$GOCHECK" ]; then ok "the Go checker is built"; else
	not_ok "the Go checker is built" "no $GOCHECK: make build/tests/x509check (golang-go from make deps;" \
		"go: $(command -v go || echo 'not installed'))"; fi
if "$PYTHON" -c 'import cryptography.x509' >"$T/out" 2>&1; then
	ok "pyca/cryptography is there ($("$PYTHON" -c 'import cryptography; print(cryptography.__version__)'))"
else not_ok "pyca/cryptography is there" "$PYTHON: $(tail -1 "$T/out") (python3-cryptography from make deps)"; fi

# x509_in DIR: every certificate, CSR and CRL under DIR, one a line, told by content
# rather than name: PEM with a block other than PUBLIC KEY, or DER shaped as a signed
# object, SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING } (an SPKI, a signature, a
# wrapped key or a transcript is not).
x509_in() {
	find "$1" -type f | LC_ALL=C sort | while IFS= read -r f; do
		if [ "$(head -c 11 "$f")" = "-----BEGIN " ]; then
			grep '^-----BEGIN ' "$f" | grep -qv '^-----BEGIN PUBLIC KEY-----$' && echo "$f"
		elif [ "$(openssl asn1parse -inform DER -in "$f" 2>/dev/null | grep ':d=1 ' |
			sed 's/.*\(cons\|prim\): *//; s/ *$//' | tr '\n' ,)" = "SEQUENCE,SEQUENCE,BIT STRING," ]; then
			echo "$f"
		fi
	done
}
# checker go|py FILE...: runs one checker, output in $T/out; returns its status.
checker() {
	c=$1; shift
	if [ "$c" = go ]; then "$GOCHECK" "$@"; else "$PYTHON" "$PYCHECK" "$@"; fi >"$T/out" 2>&1 </dev/null
}
# failed_lines: what a checker said, less the objects that passed, as TAP comments
# (never a bare "ok" line, which tests/run.sh would count).
failed_lines() { grep -v '^ok \|^note ' "$T/out" | head -40 | sed 's/^/#   /'; }
NAME_go="Go crypto/x509"; NAME_py="pyca/cryptography"
# strict WHAT LIST: both checkers accept every object of the files LIST names.
strict() {
	what=$1; list=$2
	set --
	while IFS= read -r f; do set -- "$@" "$f"; done <"$list"
	for c in go py; do
		eval "who=\$NAME_$c"
		checker "$c" "$@"; rc=$?
		if [ "$rc" -eq 0 ] && grep -Eq '^x509check: [1-9][0-9]* objects, 0 failed$' "$T/out"; then
			ok "$what: $who accepts all $(tail -1 "$T/out" | cut -d' ' -f2) objects"
		else not_ok "$what: $who accepts every object" "exit $rc, $# files"; failed_lines; fi
	done
}

# --- every ready ceremony --------------------------------------------------------
for script in "$TOP"/ceremonies/*.yaml; do
	name=$(basename "$script" .yaml)
	answers="$TOP/examples/answers/$name.yaml"
	[ -f "$answers" ] || { not_ok "$name: has answers" "no $answers"; continue; }
	out="$T/$name"
	$(runner_for "$script") rehearse "$script" --answers "$answers" $(after_args "$script") --out "$out" \
		>"$T/out" 2>&1 </dev/null ||
		{ not_ok "$name: rehearses" "$(tail -5 "$T/out")"; continue; }
	x509_in "$out" >"$T/$name.list"
	if [ -s "$T/$name.list" ]; then strict "$name" "$T/$name.list"
	elif grep -Eq 'type: (cert\.self_signed|cert\.issue|csr\.create|crl\.create)' "$script"; then
		not_ok "$name: its certificates, CSRs or CRLs are found" "$(cd "$out" && find . -type f)"
	else ok "$name: makes no certificate, CSR or CRL (public keys only)"; fi
done

# --- every algorithm: tests/cli/data/all-algorithms.yaml ---------------------------
# chain id, what it is, the root's signature algorithm as Go names it, as pyca does
CHAINS="p256 ec-p256 ECDSA-SHA256 ecdsa-with-SHA256
p384 ec-p384 ECDSA-SHA384 ecdsa-with-SHA384
p521 ec-p521 ECDSA-SHA512 ecdsa-with-SHA512
ed ed25519 Ed25519 ed25519
r3 rsa-3072-pkcs1 SHA384-RSA sha384WithRSAEncryption
r3pss rsa-3072-pss SHA256-RSAPSS RSASSA-PSS/sha256
r4 rsa-4096-pkcs1 SHA256-RSA sha256WithRSAEncryption
r4pss rsa-4096-pss SHA512-RSAPSS RSASSA-PSS/sha512"
AA=$TOP/tests/cli/data/all-algorithms
expect_exit 0 "all-algorithms: rehearses" "$CEREMONY" rehearse "$AA.yaml" --answers "$AA.answers.yaml" --out "$T/aa"
x509_in "$T/aa" >"$T/aa.list"
# Every certificate, CSR and CRL step's object, as PEM and as DER.
want=$(($(grep -Ec 'type: (cert\.self_signed|cert\.issue|csr\.create|crl\.create)' "$AA.yaml") * 2))
[ "$(wc -l <"$T/aa.list")" -eq "$want" ] && ok "all-algorithms: $want certificates, CSRs and CRLs written" ||
	not_ok "all-algorithms: $want certificates, CSRs and CRLs written" "found $(wc -l <"$T/aa.list")"
set --
while IFS= read -r f; do set -- "$@" "$f"; done <"$T/aa.list"
for c in go py; do
	eval "who=\$NAME_$c"
	checker "$c" "$@"; rc=$?
	cp "$T/out" "$T/aa.$c"
	[ "$rc" -eq 0 ] && grep -q "^x509check: $want objects, 0 failed$" "$T/aa.$c" &&
		ok "all-algorithms: $who accepts all $want objects" ||
		{ not_ok "all-algorithms: $who accepts all $want objects" "exit $rc"; failed_lines; }
	# Per chain: root, CSR, intermediate, both CRLs, PEM and DER, each ok, and the
	# root signed as the chain says (PSS really PSS).
	while read -r id what go_alg py_alg; do
		eval "alg=\$${c}_alg"
		grep "/$id-[a-z]*\(-crl\)\?\.\(crt\|csr\|crl\)\.\(pem\|der\): " "$T/aa.$c" >"$T/chain"
		if [ "$(grep -c '^ok ' "$T/chain")" -eq 10 ] && ! grep -q '^FAIL ' "$T/chain" &&
			grep -q "^ok [^ ]*/$id-root\.crt\.der: certificate .* ($alg)$" "$T/chain"; then
			ok "all-algorithms: $who: $what chain ($alg)"
		else
			not_ok "all-algorithms: $who: $what chain ($alg)" "$(grep -c '^ok ' "$T/chain") of 10 ok"
			grep -v '^ok ' "$T/chain" | sed 's/^/#   /'
		fi
	done <<CHAINS_END
$CHAINS
CHAINS_END
done

# --- the checkers can fail -------------------------------------------------------
F=$TOP/tests/fixtures/x509
openssl asn1parse -in "$F/bc-ca-01-root.pem" >"$T/asn1" 2>&1
grep -A2 ':X509v3 Basic Constraints' "$T/asn1" | grep -q 'OCTET STRING *\[HEX DUMP\]:3003010101$' &&
	ok "fixture: the old root's cA is encoded 01 01 01" || not_ok "fixture: the old root's cA is encoded 01 01 01" "$(grep -A2 'Basic Constraints' "$T/asn1")"
expect_exit 0 "fixture: openssl verify -x509_strict forgives it" openssl verify -x509_strict -CAfile "$F/bc-ca-01-root.pem" \
	"$F/bc-ca-01-intermediate.pem"
for c in go py; do
	eval "who=\$NAME_$c"
	case $c in
	go) why='parse certificate: x509: invalid basic constraints' ;;
	py) why='extensions: (ValueError|ParseError).*BasicConstraints' ;;
	esac
	checker "$c" "$F/bc-ca-01-root.pem" "$F/bc-ca-01-intermediate.pem" "$F/bc-ca-01-root-crl.pem"; rc=$?
	for cert in root intermediate; do
		[ "$rc" -eq 1 ] && grep -Eq "^FAIL [^ ]*/bc-ca-01-$cert\.pem: $why" "$T/out" &&
			ok "fixture: $who refuses the old $cert for its basic constraints" ||
			{ not_ok "fixture: $who refuses the old $cert for its basic constraints" "exit $rc, wanted 1"; sed 's/^/#   /' "$T/out"; }
	done
	grep -q "^FAIL [^ ]*/bc-ca-01-root-crl\.pem: signature: issuer not among the files$" "$T/out" &&
		ok "fixture: $who finds no issuer for the old root's CRL" ||
		{ not_ok "fixture: $who finds no issuer for the old root's CRL"; sed 's/^/#   /' "$T/out"; }
done
# A signature with one bit changed, and an intermediate without its root.
A=$T/aa/artifacts
"$PYTHON" -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-1] ^= 1; open(sys.argv[2], "wb").write(d)' \
	"$A/r3-inter.crt.der" "$T/tampered.der"
for c in go py; do
	eval "who=\$NAME_$c"
	checker "$c" "$A/r3-root.crt.der" "$T/tampered.der"; rc=$?
	[ "$rc" -eq 1 ] && grep -q "^FAIL [^ ]*/tampered\.der: signature: " "$T/out" && grep -q "^ok [^ ]*/r3-root\.crt\.der: " "$T/out" &&
		ok "$who refuses a certificate whose signature was changed" ||
		{ not_ok "$who refuses a certificate whose signature was changed" "exit $rc"; sed 's/^/#   /' "$T/out"; }
	checker "$c" "$A/p384-inter.crt.pem"; rc=$?
	[ "$rc" -eq 1 ] && grep -q "^FAIL [^ ]*/p384-inter\.crt\.pem: signature: issuer not among the files$" "$T/out" &&
		ok "$who refuses an intermediate whose issuer is not given" ||
		{ not_ok "$who refuses an intermediate whose issuer is not given" "exit $rc"; sed 's/^/#   /' "$T/out"; }
	checker "$c"; rc=$?
	[ "$rc" -eq 2 ] && ok "$who: no file is a usage error (exit 2)" || not_ok "$who: no file is a usage error (exit 2)" "exit $rc"
done
echo "1..$n"
