#!/bin/sh
# key.generate for every algorithm SoftHSM offers (EC P-256, P-384, P-521, Ed25519,
# RSA 3072 and 4096): rehearsed, then run live against a token made with softhsm2-util,
# and every result read back with tools we did not write (openssl pkey, pkcs11-tool).
# ML-DSA-65, which SoftHSM 2.6.1 lacks, stops the ceremony before any step acts.
. "$(dirname "$0")/lib.sh"
MOD=$SOFTHSM_MODULE

# step id, algorithm, label, what `openssl pkey -text` says about the key
KEYS="k-p256 ec-p256 key-p256 NIST.CURVE:.P-256
k-p384 ec-p384 key-p384 NIST.CURVE:.P-384
k-p521 ec-p521 key-p521 NIST.CURVE:.P-521
k-ed25519 ed25519 key-ed25519 ED25519.Public-Key
k-rsa3072 rsa-3072 key-rsa3072 Public-Key:.\(3072.bit\)
k-rsa4096 rsa-4096 key-rsa4096 Public-Key:.\(4096.bit\)"

# script TOKEN-LABEL: the ceremony, one key.generate step per algorithm, each with
# the Expected the token must show.
script() {
	cat <<YAML
ceremony: 1
title: Key generation for every algorithm SoftHSM offers
roles:
  administrator: {count: 1}
  operator: {count: 1}
tokens:
  t: {label: $1}
steps:
  - id: attendance
    type: attendance
YAML
	echo "$KEYS" | while read -r id alg label _; do
		case $alg in
		ec-p*) bits=${alg#ec-p}; want="{algorithm: $alg, key_type: EC, curve: P-$bits}" ;;
		ed25519) want="{algorithm: $alg, key_type: EdDSA, curve: Ed25519}" ;;
		rsa-*) want="{algorithm: $alg, key_type: RSA, modulus_bits: ${alg#rsa-}, public_exponent: 65537}" ;;
		esac
		cat <<YAML
  - id: $id
    type: key.generate
    token: t
    performed_by: operator
    algorithm: $alg
    label: $label
    expect: $want
YAML
	done
}
# answers PIN: confirmations for every step; the PIN (live run) where the first key step logs in.
answers() {
	printf 'answers: 1\nsteps:\n  attendance:\n'
	printf '    administrator: {name: Ada Adams, id_checked: "yes"}\n    operator: {name: Oscar Ortiz, id_checked: "yes"}\n'
	first=1
	echo "$KEYS" | while read -r id _; do
		if [ $first = 1 ] && [ -n "$1" ]; then
			printf '  %s:\n    operator: {pin: "%s", confirm: "yes"}\n' "$id" "$1"
		else
			printf '  %s:\n    operator: {confirm: "yes"}\n' "$id"
		fi
		first=0
	done
}
script KEYGEN-TEST >"$T/keys.yaml"
answers "" >"$T/answers.yaml"

expect_exit 0 "the key generation script is valid" "$CEREMONY" check "$T/keys.yaml"
start=$(date +%s)
expect_exit 0 "every algorithm rehearses" "$CEREMONY" rehearse "$T/keys.yaml" --answers "$T/answers.yaml" --out "$T/r"
echo "# rehearsal with six keys took $(($(date +%s) - start)) s"
if grep -q MISMATCH "$T/out"; then not_ok "every Expected matches" "$(grep MISMATCH "$T/out")"; else ok "every Expected matches"; fi
expect_exit 0 "the rehearsal transcript is VALID" "$CEREMONY" verify "$T/r/transcript.cts" --script "$T/keys.yaml"
expect_out "verify says VALID" "^VALID"

# Each exported public key, read by OpenSSL: the right type and size, and the PEM and
# DER copies are one key.
while read -r id alg _ says; do
	pem=$T/r/artifacts/$id.pub.pem der=$T/r/artifacts/$id.spki.der
	if openssl pkey -pubin -in "$pem" -text -noout >"$T/pkey" 2>&1 && grep -Eq "$says" "$T/pkey"; then
		ok "openssl reads the $alg public key ($(echo "$says" | tr . ' ' | tr -d '\\'))"
	else
		not_ok "openssl reads the $alg public key" "$(cat "$T/pkey")"
	fi
	if openssl pkey -pubin -in "$pem" -outform DER 2>/dev/null | cmp -s - "$der"; then ok "the $alg PEM and DER hold the same key"; else
		not_ok "the $alg PEM and DER hold the same key"; fi
done <<EOF
$KEYS
EOF
grep -q 'Exponent: 65537' "$T/pkey" && ok "the RSA exponent is 65537" || not_ok "the RSA exponent is 65537" "$(cat "$T/pkey")"

# An algorithm the runner does not know: refused at load time, with the position and the list.
sed 's/algorithm: ec-p521/algorithm: ec-p999/' "$T/keys.yaml" >"$T/typo.yaml"
expect_exit 2 "an unknown algorithm is refused by check" "$CEREMONY" check "$T/typo.yaml"
expect_out "it names the position, the value and what is known" \
	"typo.yaml:[0-9]+:[0-9]+: unknown algorithm 'ec-p999' \(expected one of ec-p256, ec-p384, ec-p521, ed25519, rsa-3072, rsa-4096, ml-dsa-65\)"

# ML-DSA-65 after an EC key: SoftHSM has no CKM_ML_DSA_KEY_PAIR_GEN, so nothing happens at all.
cat >"$T/mldsa.yaml" <<'YAML'
ceremony: 1
title: An ML-DSA root key on a token without ML-DSA
roles:
  administrator: {count: 1}
  operator: {count: 1}
tokens:
  t: {label: KEYGEN-TEST}
steps:
  - id: attendance
    type: attendance
  - id: first-key
    type: key.generate
    token: t
    performed_by: operator
    algorithm: ec-p384
    label: first-key
  - id: pq-root-key
    type: key.generate
    token: t
    performed_by: operator
    algorithm: ml-dsa-65
    label: pq-root-key
YAML
printf 'answers: 1\nsteps:\n  attendance:\n    administrator: {name: Ada, id_checked: "yes"}\n    operator: {name: Oscar, id_checked: "yes"}\n  first-key:\n    operator: {confirm: "yes"}\n  pq-root-key:\n    operator: {confirm: "yes"}\n' >"$T/mldsa-answers.yaml"
expect_exit 0 "an ML-DSA script is valid (the algorithm is known)" "$CEREMONY" check "$T/mldsa.yaml"
expect_exit 1 "rehearsing ML-DSA-65 on SoftHSM fails" "$CEREMONY" rehearse "$T/mldsa.yaml" --answers "$T/mldsa-answers.yaml" --out "$T/m"
expect_out "the message names the step, the algorithm and the missing mechanism" \
	"step 'pq-root-key' needs CKM_ML_DSA_KEY_PAIR_GEN for ml-dsa-65, which token 't' .*does not offer"
if grep -q "Step 1 of\|attendance" "$T/out"; then not_ok "no step acted" "$(cat "$T/out")"; else ok "no step acted"; fi
[ ! -e "$T/m/transcript.cts" ] && ok "no transcript is written" || not_ok "no transcript is written"

# Live: the same keys on a token made by softhsm2-util, then pkcs11-tool's view of them.
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
# Test-only PINs on softhsm2-util's command line; ceremony itself never takes one there.
softhsm2-util --init-token --free --label KEYGEN-LIVE --so-pin 87654321 --pin 135790 >/dev/null
printf 'binding: 1\nmodule: %s\ntokens:\n  t: "pkcs11:token=KEYGEN-LIVE"\n' "$MOD" >"$T/bind.yaml"
script KEYGEN-LIVE >"$T/live.yaml"
answers 135790 >"$T/live-answers.yaml"
sed 's/KEYGEN-TEST/KEYGEN-LIVE/' "$T/mldsa.yaml" >"$T/mldsa-live.yaml"
expect_exit 1 "run refuses ML-DSA-65 on the bound token" "$CEREMONY" run "$T/mldsa-live.yaml" --bind "$T/bind.yaml" --answers "$T/mldsa-answers.yaml" --out "$T/ml"
expect_out "it names step, algorithm and mechanism" "pq-root-key.*CKM_ML_DSA_KEY_PAIR_GEN.*ml-dsa-65"
pkcs11-tool --module "$MOD" --token-label KEYGEN-LIVE --login --pin 135790 --list-objects >"$T/objects" 2>&1
grep -q 'label: *first-key' "$T/objects" && not_ok "the step before it made no key" "$(cat "$T/objects")" ||
	ok "the step before it made no key"

expect_exit 0 "every algorithm runs live against the bound token" "$CEREMONY" run "$T/live.yaml" --bind "$T/bind.yaml" --answers "$T/live-answers.yaml" --out "$T/live"
expect_exit 0 "the live transcript is VALID" "$CEREMONY" verify "$T/live/transcript.cts" --script "$T/live.yaml"
pkcs11-tool --module "$MOD" --token-label KEYGEN-LIVE --login --pin 135790 --list-objects >"$T/objects" 2>&1
while read -r id alg label _; do
	# The private key object of this label: from its header line to the next object.
	awk -v l="$label" '/^[^ ]/ { if (keep) printf "%s", buf; buf = ""; keep = 0; priv = /^Private Key Object/ }
		{ buf = buf $0 "\n" }
		priv && $1 == "label:" && $2 == l { keep = 1 }
		END { if (keep) printf "%s", buf }' "$T/objects" >"$T/private"
	if grep -Eq 'Access: *sensitive, always sensitive, never extractable, local$' "$T/private"; then
		ok "pkcs11-tool: the $alg private key is sensitive, always sensitive, never extractable, local"
	else
		not_ok "pkcs11-tool: the $alg private key is sensitive, always sensitive, never extractable, local" "$(cat "$T/objects")"
	fi
	grep -Eq 'Usage: *sign$' "$T/private" && ok "pkcs11-tool: its only usage is sign" ||
		not_ok "pkcs11-tool: its only usage is sign" "$(cat "$T/private")"
	# The public key in the token is the one exported. pkcs11-tool 0.23 cannot export
	# every EC public key (P-384: "cannot create EVP_PKEY"), so for EC and Ed25519 the
	# CKA_EC_POINT it lists is compared with the end of the SPKI (the point itself).
	spki=$T/live/artifacts/$id.spki.der
	case $alg in
	rsa-*)
		pkcs11-tool --module "$MOD" --token-label KEYGEN-LIVE --read-object --type pubkey --label "$label" \
			-o "$T/tok.pub" >/dev/null 2>&1
		openssl pkey -pubin -in "$T/tok.pub" -outform DER 2>/dev/null | cmp -s - "$spki"; same=$? ;;
	*)
		case $alg in ec-p256) len=65 ;; ec-p384) len=97 ;; ec-p521) len=133 ;; ed25519) len=32 ;; esac
		point=$(tail -c "$len" "$spki" | od -An -tx1 | tr -d ' \n')
		awk -v l="$label" '/^[^ ]/ { if (keep) printf "%s", buf; buf = ""; keep = 0; pub = /^Public Key Object/ }
			{ buf = buf $0 "\n" }
			pub && $1 == "label:" && $2 == l { keep = 1 }
			END { if (keep) printf "%s", buf }' "$T/objects" >"$T/public"
		grep -Eq "EC_POINT: *[0-9a-f]*$point\$" "$T/public"; same=$? ;;
	esac
	[ $same -eq 0 ] && ok "the exported $alg public key is the token's" ||
		not_ok "the exported $alg public key is the token's" "$(cat "$T/public" 2>/dev/null)"
done <<EOF
$KEYS
EOF
grep -q 'Private Key Object; EC_EDWARDS' "$T/objects" && ok "pkcs11-tool sees an EdDSA key" || not_ok "pkcs11-tool sees an EdDSA key"
[ "$(grep -c '^Private Key Object; RSA' "$T/objects")" -eq 2 ] && ok "pkcs11-tool sees both RSA keys" ||
	not_ok "pkcs11-tool sees both RSA keys" "$(cat "$T/objects")"
echo "1..$n"
