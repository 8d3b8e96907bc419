#!/bin/sh
# The shell ceremony: what `ceremony rehearse ceremonies/company-root-intermediate.yaml`
# does cryptographically, done the usual way with the usual tools (softhsm2-util,
# pkcs11-tool, openssl with the PKCS#11 engine), for bench/run.sh to compare CPU time
# with. Two fresh SoftHSM tokens; a P-384 root key and a self-signed root certificate
# (20 years, CA, keyCertSign and cRLSign, SKI); a P-384 intermediate key, its CSR and
# its certificate from the root (10 years, pathlen 0, AKI/SKI, CRL distribution point,
# OCSP); an empty CRL from each; the chain checked with the CRLs; SHA-256 fingerprints;
# the exported copies compared. No transcript, no prompts, no checks of what came out
# beyond openssl verify: the baseline is the least the work can cost.
# Usage: baseline.sh DIR   (DIR must not exist; it is left for inspection)
set -eu
d=$1
mkdir "$d"
d=$(cd "$d" && pwd)
mkdir "$d/tokens" "$d/export"
cat > "$d/softhsm2.conf" <<CONF
directories.tokendir = $d/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$d/softhsm2.conf"
mod=/usr/lib/softhsm/libsofthsm2.so
pin=123456
# The PIN reaches the tools on their command lines here, as such scripts do; the
# runner never does that (secrets never reach argv).
for t in DYBER-ROOT-CA DYBER-INTERMEDIATE-CA; do
	softhsm2-util --init-token --free --label "$t" --so-pin 87654321 --pin "$pin" >/dev/null
	pkcs11-tool --module "$mod" --token-label "$t" --show-info >/dev/null
done
pkcs11-tool --module "$mod" --token-label DYBER-ROOT-CA --login --pin "$pin" --keypairgen \
	--key-type EC:secp384r1 --label root --id 01 --usage-sign >/dev/null
pkcs11-tool --module "$mod" --token-label DYBER-INTERMEDIATE-CA --login --pin "$pin" --keypairgen \
	--key-type EC:secp384r1 --label intermediate --id 02 --usage-sign >/dev/null

cat > "$d/openssl.cnf" <<CNF
openssl_conf = init
[init]
engines = engines
[engines]
pkcs11 = pkcs11
[pkcs11]
engine_id = pkcs11
MODULE_PATH = $mod
PIN = $pin
init = 0
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[issuing_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://pki.dyber.example/crl/dyber-root-ca.crl
authorityInfoAccess = OCSP;URI:http://ocsp.dyber.example
[ca]
default_ca = root
[root]
database = $d/root.index
crlnumber = $d/root.crlnumber
default_md = sha384
default_crl_days = 365
crl_extensions = crl_ext
[intermediate]
database = $d/int.index
crlnumber = $d/int.crlnumber
default_md = sha384
default_crl_days = 30
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
CNF
export OPENSSL_CONF="$d/openssl.cnf"
root="pkcs11:token=DYBER-ROOT-CA;object=root;type=private"
int="pkcs11:token=DYBER-INTERMEDIATE-CA;object=intermediate;type=private"

openssl req -new -x509 -engine pkcs11 -keyform engine -key "$root" -sha384 -days 7305 \
	-subj "/C=US/O=Dyber, Inc./CN=Dyber Root CA" -extensions root_ca -out "$d/root.pem" 2>/dev/null
openssl verify -CAfile "$d/root.pem" "$d/root.pem" >/dev/null
openssl x509 -in "$d/root.pem" -noout -fingerprint -sha256 >/dev/null
openssl x509 -in "$d/root.pem" -outform DER -out "$d/export/root.der"
cp "$d/root.pem" "$d/export/root.pem"
cmp "$d/root.pem" "$d/export/root.pem"

openssl req -new -engine pkcs11 -keyform engine -key "$int" -sha384 \
	-subj "/C=US/O=Dyber, Inc./OU=Device Attestation/CN=Dyber Intermediate CA" -out "$d/int.csr" 2>/dev/null
openssl req -in "$d/int.csr" -noout -verify 2>/dev/null
openssl x509 -in "$d/root.pem" -noout -fingerprint -sha256 >/dev/null
openssl x509 -req -in "$d/int.csr" -engine pkcs11 -CAkeyform engine -CAkey "$root" -CA "$d/root.pem" \
	-set_serial 0x$(openssl rand -hex 16) -sha384 -days 3652 -extfile "$d/openssl.cnf" -extensions issuing_ca \
	-out "$d/int.pem" 2>/dev/null

: > "$d/root.index"; echo 01 > "$d/root.crlnumber"
: > "$d/int.index"; echo 01 > "$d/int.crlnumber"
openssl ca -gencrl -name root -engine pkcs11 -keyform engine -keyfile "$root" -cert "$d/root.pem" \
	-out "$d/root.crl" 2>/dev/null
openssl ca -gencrl -name intermediate -engine pkcs11 -keyform engine -keyfile "$int" -cert "$d/int.pem" \
	-out "$d/int.crl" 2>/dev/null

cat "$d/root.crl" "$d/int.crl" > "$d/crls.pem"
openssl verify -crl_check_all -CRLfile "$d/crls.pem" -CAfile "$d/root.pem" "$d/int.pem" >/dev/null
openssl x509 -in "$d/int.pem" -noout -fingerprint -sha256 >/dev/null
openssl x509 -in "$d/int.pem" -outform DER -out "$d/export/int.der"
cp "$d/int.pem" "$d/export/int.pem"
cmp "$d/int.pem" "$d/export/int.pem"
echo "baseline: $d/root.pem $d/int.pem $d/root.crl $d/int.crl"
