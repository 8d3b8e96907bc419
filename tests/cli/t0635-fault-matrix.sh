#!/bin/sh
# The token-fault matrix: in each step type that touches a token, one PKCS#11 call
# fails (through the test-only shim, tests/tools/p11shim.c) with each of the codes a
# real HSM gives when it is pulled, locked, out of memory or confused. Each time: the
# step fails with a message naming the call and the code, the step-result records
# the code, the script's on_fail applies (these ceremonies halt), and the transcript
# verifies VALID (aborted): nothing is lost. Which call of which function reaches
# which step was found by failing each call in turn; the test checks the failed
# step's type, so a table that drifts from the ceremonies fails here.
. "$(dirname "$0")/lib.sh"
SHIM=${BUILD:-$TOP/build}/tests/p11shim.so
case $SHIM in /*) ;; *) SHIM=$TOP/$SHIM ;; esac
if [ ! -f "$SHIM" ]; then
	not_ok "the shim is built" "missing $SHIM"
	echo "1..$n"
	exit 0
fi
unset CEREMONY_SHIM_FAIL CEREMONY_SHIM_SECRETS

CODES="CKR_DEVICE_REMOVED CKR_PIN_INCORRECT CKR_PIN_LOCKED CKR_SESSION_HANDLE_INVALID CKR_GENERAL_ERROR CKR_DEVICE_MEMORY"
# ceremony  call:nth  step  its type
cat >"$T/matrix" <<'TABLE'
company-root C_InitToken:3 root-init token.init
company-root C_Login:4 root-activate token.activate
company-root C_FindObjects:1 root-empty token.empty
company-root C_FindObjects:2 wrap-key wrapkey.create
company-root C_GenerateKeyPair:1 root-key key.generate
company-root C_Sign:1 root-cert cert.self_signed
company-root C_WrapKey:1 root-backup key.backup
company-root C_UnwrapKey:1 root-backup key.backup
company-root C_UnwrapKey:2 restore-test key.restore
company-root-intermediate C_Sign:3 intermediate-csr csr.create
company-root-intermediate C_Sign:5 intermediate-cert cert.issue
company-root-intermediate C_Sign:7 root-crl crl.create
course-exercise C_Sign:1 test-sign sign
company-intermediate C_FindObjects:11 root-inventory token.inventory
TABLE

types=""
while read -r name call step type; do
	script="$TOP/ceremonies/$name.yaml"
	after=$(after_args "$script")
	fn=${call%%:*}
	for code in $CODES; do
		what="$type ($name, $call $code)"
		out="$T/o-$name-$step-$fn-$code"
		CEREMONY_SHIM_FAIL="$call:$code" $(runner_for "$script") rehearse "$script" \
			--answers "$TOP/examples/answers/$name.yaml" $after --out "$out" --module "$SHIM" \
			>"$T/stdout" 2>&1 </dev/null; rc=$?
		# 1: halted at the failed step (on_fail halt, every step of the table)
		[ $rc -eq 1 ] || { not_ok "$what: the rehearsal halts" "exit $rc" "$(tail -c 1500 "$T/stdout")"; continue; }
		grep -q "step '$step' failed: .*$fn[(:].*$code" "$T/stdout" && ok "$what: '$step' fails, naming the call and the code" ||
			not_ok "$what: '$step' fails, naming the call and the code" "$(grep -m 3 'failed' "$T/stdout")"
		"$CEREMONY" verify "$out/transcript.cts" >"$T/verify" 2>&1; vrc=$?
		[ $vrc -eq 3 ] && head -n 1 "$T/verify" | grep -q 'VALID, ABORTED' && ok "$what: the transcript is VALID, ABORTED" ||
			not_ok "$what: the transcript is VALID, ABORTED" "exit $vrc" "$(head -n 3 "$T/verify")"
		dump "$out/transcript.cts" >"$T/dump"
		grep '"kind": "step-begin"' "$T/dump" | tail -n 1 | grep -q "\"0\": \"$step\", .*\"2\": \"$type\"" &&
			grep '"kind": "step-result"' "$T/dump" | tail -n 1 | grep "\"0\": \"$step\"" | grep -q "\"9\": {\"0\": \"$code\"" &&
			ok "$what: the last step-result is '$step' ($type), recording $code" ||
			not_ok "$what: the last step-result is '$step' ($type), recording $code" \
				"$(grep -E '"kind": "step-(begin|result)"' "$T/dump" | tail -n 2 | cut -c 1-400)"
		grep '"kind": "seal"' "$T/dump" | grep -q '"0": 1' && ok "$what: sealed aborted" ||
			not_ok "$what: sealed aborted" "$(grep '"kind": "seal"' "$T/dump" | cut -c 1-300)"
		rm -rf "$out"
	done
	case " $types " in *" $type "*) ;; *) types="$types $type" ;; esac
done <"$T/matrix"

# Every step type that touches a token is in the table (token.info is read before
# the first step too, where a failure stops the run before its transcript begins).
for t in token.init token.activate token.empty token.inventory wrapkey.create key.generate key.backup key.restore \
	cert.self_signed csr.create cert.issue crl.create sign; do
	case " $types " in *" $t "*) ok "the matrix covers $t" ;; *) not_ok "the matrix covers $t" ;; esac
done
echo "1..$n"
