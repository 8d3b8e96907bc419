#!/bin/sh
# ceremony tokens: the operator lists a module's slots, tokens and mechanisms.
# A throwaway SoftHSM store in $T holds one token made with softhsm2-util.
. "$(dirname "$0")/lib.sh"

if ! command -v softhsm2-util >/dev/null 2>&1; then
	# In CI SoftHSM is installed (make deps), so there a missing one is a failure.
	if [ -n "${CI:-}" ]; then not_ok "softhsm2-util is installed" "install softhsm2 (make deps)"; exit 1; fi
	echo "ok 1 # SKIP softhsm2-util not installed"; exit 0
fi

mkdir -p "$T/tokens"
cat >"$T/softhsm2.conf" <<EOF
directories.tokendir = $T/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
SOFTHSM2_CONF=$T/softhsm2.conf
export SOFTHSM2_CONF

# PINs on softhsm2-util's command line are acceptable here only: a test token.
if softhsm2-util --init-token --free --label t0200-token --so-pin 12345678 --pin 87654321 >"$T/out" 2>&1
then ok "softhsm2-util initialises a test token"
else not_ok "softhsm2-util initialises a test token" "$(cat "$T/out")"; exit 1; fi
softhsm2-util --show-slots >"$T/slots" 2>&1
# softhsm2-util prints a token's serial before its label.
serial=$(awk '/Serial number:/ { s = $3 } /Label:[ ]+t0200-token/ { print s; exit }' "$T/slots")
if [ -n "$serial" ]; then ok "softhsm2-util shows the token's serial"; else
	not_ok "softhsm2-util shows the token's serial" "$(head -c 2000 "$T/slots")"; fi

expect_exit 0 "tokens lists the default module" "$CEREMONY" tokens
expect_out "tokens shows the label" "label: +t0200-token$"
expect_out "tokens shows the manufacturer" "manufacturer: +SoftHSM project$"
expect_out "tokens shows the model" "model: +SoftHSM v2$"
expect_out "tokens shows the serial" "serial: +${serial:-no-serial}$"
expect_out "tokens shows the versions" "firmware: +[0-9]+\.[0-9]+$"
expect_out "tokens shows the flags in words" "flags: +rng login-required user-pin-initialized .*token-initialized"
expect_out "tokens shows the token's URI" "uri: +pkcs11:.*token=t0200-token"
expect_out "tokens shows the free slot SoftHSM adds" "state: +not initialised"
if grep -q "CKM_" "$T/out"; then not_ok "no mechanisms without --mechanisms"; else ok "no mechanisms without --mechanisms"; fi
if grep -Eq "12345678|87654321" "$T/out"; then not_ok "no PIN in the output"; else ok "no PIN in the output"; fi

module=$(sed -n 's/^module //p' "$T/out")
expect_exit 0 "tokens --module PATH --mechanisms" "$CEREMONY" tokens --module "$module" --mechanisms
expect_out "mechanisms include CKM_ECDSA with sign and verify" "CKM_ECDSA +key size [0-9]+-[0-9]+ +.*sign.*verify"
expect_out "mechanisms include CKM_EC_KEY_PAIR_GEN" "CKM_EC_KEY_PAIR_GEN .*generate-key-pair"

uri=$(sed -n 's/^  uri: *\(pkcs11:.*token=t0200-token.*\)$/\1/p' "$T/out" | head -n 1)
expect_exit 0 "tokens --uri shows the one token the URI names" "$CEREMONY" tokens --uri "$uri"
expect_out "--uri shows that token" "label: +t0200-token$"
if grep -q "not initialised" "$T/out"; then not_ok "--uri hides the other slots" "$(cat "$T/out")"; else ok "--uri hides the other slots"; fi
expect_exit 1 "a URI that matches no token fails" "$CEREMONY" tokens --uri "pkcs11:token=no-such-token"
expect_out "and says which URI and how many matched" "no initialised token matches 'pkcs11:token=no-such-token' \(0 matches"
expect_exit 2 "a malformed URI is bad usage" "$CEREMONY" tokens --uri "not-a-uri"
expect_out "and says the URI is not usable" "'not-a-uri' is not a usable PKCS#11 URI"
expect_exit 2 "a URI with a PIN is refused" "$CEREMONY" tokens --uri "pkcs11:token=t0200-token?pin-value=87654321"
if grep -q 87654321 "$T/out"; then not_ok "and the PIN is not echoed" "$(cat "$T/out")"; else ok "and the PIN is not echoed"; fi

expect_exit 0 "tokens --help exits 0" "$CEREMONY" tokens --help
expect_out "--help documents the exit status" "EXIT STATUS"
expect_out "--help shows the options" "--mechanisms"
expect_exit 0 "tokens -h exits 0" "$CEREMONY" tokens -h
expect_exit 2 "an unknown option exits 2" "$CEREMONY" tokens --frobnicate
expect_out "and names the option" "unknown option '--frobnicate'"
expect_exit 2 "an extra argument exits 2" "$CEREMONY" tokens extra
expect_exit 2 "--module without a path exits 2" "$CEREMONY" tokens --module
expect_exit 1 "a module that does not exist exits 1" "$CEREMONY" tokens --module "$T/no-such-module.so"
expect_out "with a message naming the path" "cannot load PKCS#11 module '$T/no-such-module.so': No such file"
expect_exit 1 "a file that is not a module exits 1" "$CEREMONY" tokens --module "$T/softhsm2.conf"
expect_out "with a message naming the file" "cannot load PKCS#11 module '$T/softhsm2.conf'"
echo "1..$n"
