#!/bin/sh
# system.airgap and system.info (issue 12, item 3). On this host (its network up) the
# air-gap check fails with what it found, recorded as checks, and the script's
# on_fail decision applies; in a network namespace of its own (`unshare -n`, only
# loopback, an empty resolv.conf bound over the host's) it passes. system.info's
# record is compared with what uname, hostname, openssl and pkg-config say.
. "$(dirname "$0")/lib.sh"
cat >"$T/s.yaml" <<'Y'
ceremony: 1
title: Workstation checks
roles:
  administrator: {count: 1, description: runs the checks}
steps:
  - id: airgap
    type: system.airgap
    title: The workstation is air-gapped
    say: The workstation is checked for network interfaces, routes, radios and resolvers.
    expect: {airgapped: true}
    on_fail: {decision: disconnect}
  - id: workstation
    type: system.info
    title: Record the workstation
  - id: disconnect
    type: decision
    only_on_fail: true
    question: The workstation is connected. Disconnect it and check again, or stop?
    choices: {again: airgap, stop: halt}
Y
expect_exit 0 "the script checks" "$CEREMONY" check "$T/s.yaml"
printf 'answers: 1\nsteps:\n  disconnect:\n    administrator: {choice: stop}\n' >"$T/a.yaml"
printf 'answers: 1\nsteps: {}\n' >"$T/none.yaml"

ip -o link show up 2>/dev/null | grep -v ' lo:' | grep -q . || not_ok "this host has a network interface up (the test needs one)"
expect_exit 1 "on the host the air-gap check fails and the decision halts" "$CEREMONY" rehearse "$T/s.yaml" \
	--answers "$T/a.yaml" --out "$T/host"
expect_out "it says what it found" "step 'airgap' failed: the workstation is not air-gapped: network interfaces up besides loopback: [a-z0-9]"
expect_exit 3 "the transcript is sealed halted" "$CEREMONY" verify "$T/host/transcript.cts"
result "$T/host/transcript.cts" airgap >"$T/r"
up=$(ip -o link show up | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }' | head -n 1)
has "the failed check names the interface and the code is airgap" "$T/r" \
	"\"0\": \"network interfaces up besides loopback\", \"1\": \"none\", \"2\": \"[^\"]*$up" '"3": false' '"0": "airgap"' '"2": 1,'
dump "$T/host/transcript.cts" | grep '"0": "disconnect"' | grep -q '"kind": "step-result"' &&
	ok "the decision step ran" || not_ok "the decision step ran"

echo >"$T/resolv"
if unshare -n -m sh -c 'mount --bind "$1" /etc/resolv.conf && ip link set lo up && shift && exec "$@"' sh "$T/resolv" \
	"$CEREMONY" rehearse "$T/s.yaml" --answers "$T/none.yaml" --out "$T/ns" >"$T/out" 2>&1; then
	ok "in a network namespace with only loopback the ceremony completes"
else
	not_ok "in a network namespace with only loopback the ceremony completes" "$(tail -20 "$T/out")"
fi
result "$T/ns/transcript.cts" airgap >"$T/r"
has "every air-gap check held, loopback recorded" "$T/r" '"airgapped": true' '"interfaces_up": "none"' \
	'"loopback": "lo"' '"default_route": "none"' '"dns_resolvers": "none"'
grep -q '"3": false' "$T/r" && not_ok "no check failed" "$(cat "$T/r")" || ok "no check failed"

result "$T/ns/transcript.cts" workstation >"$T/i"
re() { printf '%s' "$1" | sed 's/[][().*^$+?{}|\\/]/\\&/g'; }   # a literal, for grep -E
has "system.info records kernel, machine, hostname and runner as the system says them" "$T/i" \
	"\"kernel\": \"$(uname -r)\"" "\"machine\": \"$(uname -m)\"" "\"hostname\": \"$(hostname)\"" \
	"\"runner\": \"$(re "$("$CEREMONY" --version)")\""
has "and OpenSSL, p11-kit, libcbor and libyaml as their tools say them" "$T/i" \
	"\"openssl\": \"$(openssl version | cut -d' ' -f1-2)" "\"p11_kit\": \"$(pkg-config --modversion p11-kit-1)\"" \
	"\"libcbor\": \"$(pkg-config --modversion libcbor)\"" "\"libyaml\": \"$(pkg-config --modversion yaml-0.1)\""
has "and the module with its manufacturer, the clock and the timezone" "$T/i" \
	"\"pkcs11_module\": \"$SOFTHSM_MODULE\"" '"module_manufacturer": "SoftHSM"' \
	'"module_library_version": "[0-9]+\.[0-9]+"' "\"clock_utc\": \"$(date -u +%Y-%m-%dT)" '"timezone": "[^"]+"' \
	"\"os\": \"$(re "$(. /etc/os-release && echo "$PRETTY_NAME")")\""
echo "1..$n"
