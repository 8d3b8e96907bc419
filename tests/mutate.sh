#!/bin/sh
# tests/mutate.sh (make mutate): proves that the tests fail when a check of the
# transcript verifier goes. For each check in turn it disables that one check in a
# scratch copy of the working tree (never the tree itself), rebuilds, and runs the
# tests that must notice: tests/cli/t0300-vectors.sh (the vectors of tests/vectors/
# against `ceremony verify`), then, only if that passed, the unit test of transcript.
# One line per mutant:
#   killed  NAME  by TEST (its first failure)
#   SURVIVED NAME            no test noticed: add the vector that does
#   LOST    NAME (why)       its line is no longer found: update the table below
#   BROKEN  NAME             the mutant does not build: fix its operation
# and a summary; exits 0 only when every mutant was killed.
#
# Where the checks are: each check of runner/transcript.c carries a comment tag on
# its line, /* mutate: NAME */ (several names may share a line). The checks that
# live in cose.c, ecdsa_sig.c and dcbor.c (files other developers own, so not
# tagged) are located by text that must match exactly one line: ^MESSAGE is the if
# (or while) at or up to 4 lines above the line with MESSAGE, anything else the line
# itself; ~ NEAR narrows it to lines with NEAR from 3 lines above to 16 below. Both kinds are listed in the table below, so a tag
# that disappears is LOST rather than silently skipped, and a tag the table does
# not list is an error.
#
# Operations (after the name):
#   off   the condition of the line's if/while becomes `(COND) && 0`: evaluated as
#         before (a call in it still runs), the check never fires; on a
#         `return EXPR;` line, `return 0 && (EXPR);` (accept without looking)
#   on    the condition becomes `(COND) || 1`: the check always lets it pass
#   sub FROM => TO [;; FROM => TO]   the first FROM on the line becomes TO
#
# usage: tests/mutate.sh [--list] [NAME...]
# Environment: MUTATE_JOBS (parallel workers, default 2), TMPDIR.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${MUTATE_JOBS:-2}
PY=${PYTHON:-/usr/bin/python3}

# NAME OP [@ FILE: LINE-TEXT [~ NEAR-TEXT]]  (a line without @ is a tag in transcript.c)
table() {
	cat <<'EOF'
# --- shapes (transcript.c check_entry and its helpers), by kind ---
keys-map off
keys-uint off
keys-unknown off
keys-required off
entry-keys off
entry-types off
kind-unknown off
genesis-keys off
genesis-format off
genesis-types off
genesis-script-hash off
genesis-signer off
genesis-host-keys off
genesis-host-values off
genesis-tokens-keys off
genesis-tokens-inner-keys off
genesis-tokens-inner-values off
genesis-inputs-array off
input-keys off
input-types off
signer-keys off
signer-kid-spki-types off
signer-alg-int off
signer-location off
signer-kid-is-spki-hash off
begin-keys off
begin-types off
result-keys off
result-types off
checks-array off
check-keys off
check-types off
result-signoffs off
signoffs-array off
signoff-keys off
signoff-types off
signoff-signed-has-sig off
signoff-attested-no-sig off
result-artifacts off
artifacts-array off
artifact-keys off
artifact-types off
artifact-size off
artifact-hash off
decision-keys off
decision-types off
error-keys off
error-types off
confirmations-shape off
confirmations-attested off
attempts-array off
attempt-keys off
attempt-types off
checkpoint-keys off
checkpoint-label off
checkpoint-signoffs off
resume-keys off
resume-types off
resume-signoffs off
resume-signer off
seal-keys off
seal-types off
seal-signoffs off
# --- the walk (transcript.c verify_record, ts_verify, verify_options, vouch) ---
record-cbor off
signature off
payload-cbor off
payload-trailing off
record0-genesis off
genesis-once off
resume-signed-by-new off
signer-known off
signature-new-signer off
alg-declared off
seq-position off
cid-same off
prev-chain off
time-monotonic off
begin-after-result off
result-names-begin off
result-step-id off
signed-signoff-placement off
signoff-cose-cbor off
signoff-cose-trailing off
signoff-signature off
signoff-alg off
signoff-covers off
summary-count off
summary-matches off
after-seal off
seal-required on
seal-status sub r->seal_status == TS_COMPLETED ? => 1 ?
torn-tail off
zero-fill off
torn-truncated sub return => return (1 || ;; && (pos == 0 => ) && (pos == 0
torn-later-record sub !later_record( => 1 || !later_record(
later-record-seq sub v.seq > pos => 1
later-record-cid sub memcmp(v.cid, cid, CID_LEN) == 0 => 1
script-hash off
anchor-beyond off
anchor-match off
kid-signed-nothing off
kid-vouches-own on
anchor-after-resume sub anchors[k].seq > ch->seq => anchors[k].seq >= ch->seq
unanchored off
# --- COSE_Sign1 (cose.c, ecdsa_sig.c): located by their text ---
cose-tag18 off @ runner/cose.c: ^"record is not a COSE_Sign1 (tag 18)"
cose-array4 off @ runner/cose.c: ^"COSE_Sign1 is not an array of 4"
cose-bstr off @ runner/cose.c: ^"COSE_Sign1 protected, payload and signature must be byte strings"
cose-unprotected off @ runner/cose.c: ^"unprotected header is not the empty map"
cose-prot-cbor off @ runner/cose.c: ^err_wrap(e, "protected header")
cose-prot-trailing off @ runner/cose.c: ^"trailing bytes after the protected header"
cose-prot-size off @ runner/cose.c: if (!cbor_isa_map(m) || cbor_map_size(m) != 3)
cose-prot-keys off @ runner/cose.c: if (!a || !ct || !k)
cose-alg-negint off @ runner/cose.c: ^"protected header alg is not a listed algorithm"
cose-alg-list off @ runner/cose.c: ^"algorithm %d is not on the list"
cose-content-type off @ runner/cose.c: ^"content type is not '%s'"
cose-kid-size off @ runner/cose.c: ^"kid is not a 32-byte byte string"
cose-kid-match off @ runner/cose.c: ^"kid does not match the signer's key"
cose-spki-parse off @ runner/cose.c: ^"parsing the signer's SubjectPublicKeyInfo"
cose-spki-trailing off @ runner/cose.c: ^"trailing bytes after the signer's SubjectPublicKeyInfo"
cose-key-type off @ runner/cose.c: ^"signer key is not a %s key as %s needs"
cose-key-curve off @ runner/cose.c: ^"signer key is not on the curve %s needs (%s)"
cose-rsa-bits off @ runner/cose.c: ^"RSA key of %d bits is below %d"
cose-signature off @ runner/cose.c: if (rc != 1) ~ "%s signature does not verify"
ecdsa-size off @ runner/ecdsa_sig.c: ^"ECDSA signature is %zu bytes, expected %zu (r || s)"
# --- deterministic CBOR (dcbor.c): located by their text; a rule the decoder and
# the encoder both enforce is one mutant of all its lines ---
dcbor-deterministic off @ runner/dcbor.c: ^"not deterministic CBOR (re-encoding differs)"
dcbor-indefinite off @ runner/dcbor.c: ^"indefinite length at byte %zu"
dcbor-tag off @ runner/dcbor.c: if (!allow_top_tag || off != 1 + argn)
dcbor-tag off @ runner/dcbor.c: "tag %llu inside an item", (unsigned long long)arg); ~ scan() lets only the top tag through
dcbor-tag off @ runner/dcbor.c: "tag %llu inside an item", (unsigned long long)cbor_tag_value(item));
dcbor-float off @ runner/dcbor.c: ^"floating-point value at byte %zu"
dcbor-float off @ runner/dcbor.c: ^"floating-point value")
dcbor-undefined off @ runner/dcbor.c: ^"undefined value at byte %zu"
dcbor-undefined off @ runner/dcbor.c: ^"undefined value")
dcbor-simple off @ runner/dcbor.c: "simple value %llu at byte %zu"
dcbor-simple off @ runner/dcbor.c: "simple value %u"
dcbor-utf8 off @ runner/dcbor.c: ^"text string is not valid UTF-8"
dcbor-key-type off @ runner/dcbor.c: ^"map key is neither an unsigned integer nor a text string"
dcbor-key-mixed off @ runner/dcbor.c: ^"map mixes unsigned integer and text string keys"
dcbor-duplicate off @ runner/dcbor.c: ^"duplicate map key"
EOF
}

# The mutator: python3 mutator.py TABLE ROOT NAME applies mutant NAME to the tree at
# ROOT (prints the files it changed); --check TABLE ROOT lists every mutant with the
# lines it would change, and fails when one is LOST or a tag is not in the table.
mutator() {
	cat <<'EOF'
import glob, os, re, sys

TAG = re.compile(r"/\* mutate: ([^*]*?) \*/")


def load(path):
    table = {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(" ")
        op, _, where = rest.partition(" @ ")
        loc = None
        if where:
            f, _, text = where.partition(": ")
            text, _, near = text.partition(" ~ ")
            loc = (f, text, near)
        table.setdefault(name, []).append((op, loc))
    return table


def tags(root):
    out = {}
    path = os.path.join(root, "runner/transcript.c")
    for i, line in enumerate(open(path).read().split("\n")):
        for m in TAG.finditer(line):
            for name in m.group(1).split():
                out.setdefault(name, []).append(("runner/transcript.c", i))
    return out


def locate(root, name, op, loc, tagged):
    """[(file, line index)] for one entry of the table, or a reason it is lost."""
    if loc is None:
        return tagged.get(name) or "no /* mutate: %s */ tag in runner/transcript.c" % name
    f, text, near = loc
    up = text.startswith("^")   # the message: its check is the if at or above it
    text = text[1:] if up else text
    hits = []
    for path in sorted(glob.glob(os.path.join(root, f))):
        lines = open(path).read().split("\n")
        for i, line in enumerate(lines):
            if text in line and (not near or any(near in l for l in lines[max(0, i - 3):i + 17])):
                hits.append((os.path.relpath(path, root), i, lines))
    if len(hits) != 1:
        return "%d lines of %s match %r%s" % (len(hits), f, text, " near %r" % near if near else "")
    path, i, lines = hits[0]
    if up:
        j = next((j for j in range(i, max(-1, i - 5), -1) if re.search(r"\b(if|while)\s*\(", lines[j])), None)
        if j is None:
            return "no if within 4 lines above %r in %s" % (text, path)
        i = j
    return [(path, i)]


def skip_to_match(s, i):
    """s[i] is '('; the index of its ')', skipping strings and comments."""
    depth = 0
    while i < len(s):
        c = s[i]
        if s.startswith("/*", i):
            i = s.index("*/", i) + 2
            continue
        if s.startswith("//", i):
            i = s.index("\n", i)
            continue
        if c in "\"'":
            j = i + 1
            while s[j] != c:
                j += 2 if s[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced parentheses")


def end_of_statement(s, i):
    """The index of the ';' ending the statement from i, at depth 0."""
    while s[i] != ";":
        if s[i] == "(":
            i = skip_to_match(s, i)
        elif s[i] in "\"'":
            q, i = s[i], i + 1
            while s[i] != q:
                i += 2 if s[i] == "\\" else 1
        i += 1
    return i


def apply(s, at, op):
    """Mutates the text s at the line starting at offset at."""
    eol = s.index("\n", at) if "\n" in s[at:] else len(s)
    line = s[at:eol]
    if op.startswith("sub "):
        for pair in op[4:].split(" ;; "):
            frm, to = (x.strip() for x in pair.split(" => "))
            if frm not in line:
                raise ValueError("%r is not on the line" % frm)
            line = line.replace(frm, to, 1)
        return s[:at] + line + s[eol:]
    m = re.search(r"\b(if|while)\s*\(", line)
    if m:
        open_at = at + m.end() - 1
        close_at = skip_to_match(s, open_at)
        # evaluated as before (a call in it still runs), its answer ignored
        post = ") && 0" if op == "off" else ") || 1"
        return s[:open_at + 1] + "(" + s[open_at + 1:close_at] + post + s[close_at:]
    m = re.search(r"\breturn\s", line)
    if m and op == "off":
        start = at + m.end()
        semi = end_of_statement(s, start)
        return s[:start] + "0 && (" + s[start:semi] + ")" + s[semi:]
    raise ValueError("no if, while or return on the line for %r" % op)


def main():
    check = sys.argv[1] == "--check"
    args = sys.argv[2:] if check else sys.argv[1:]
    table, root = load(args[0]), args[1]
    tagged = tags(root)
    bad = 0
    for name in tagged:
        if name not in table:
            print("LOST    %s (tagged in runner/transcript.c but not in tests/mutate.sh's table)" % name)
            bad = 1
    names = list(table) if check else [args[2]]
    for name in names:
        edits = []
        for op, loc in table[name]:
            where = locate(root, name, op, loc, tagged)
            if isinstance(where, str):
                print("LOST    %s (%s)" % (name, where))
                bad = 1
                break
            edits += [(f, i, op) for f, i in where]
        else:
            if check:
                for f, i, op in edits:
                    print("%-28s %-4s %s:%d" % (name, op.split(" ")[0], f, i + 1))
                continue
            # all in memory first, bottom-up so that an edit does not move the
            # lines of the next; the files are written only when every edit applies
            texts = {}
            for f, i, op in sorted(edits, key=lambda e: (e[0], -e[1])):
                s = texts.get(f) or open(os.path.join(root, f)).read()
                at = sum(len(l) + 1 for l in s.split("\n")[:i])
                try:
                    texts[f] = apply(s, at, op)
                except (ValueError, IndexError) as e:
                    print("LOST    %s (%s:%d: %s)" % (name, f, i + 1, e))
                    return 1
            for f, t in texts.items():
                open(os.path.join(root, f), "w").write(t)
            print(" ".join(sorted(texts)))
    return bad


sys.exit(main())
EOF
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ceremony-mutate.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
table >"$scratch/table"
mutator >"$scratch/mutator.py"

if [ "${1:-}" = --list ]; then
	"$PY" "$scratch/mutator.py" --check "$scratch/table" "$top"
	exit $?
fi
start=$(date +%s)

# The scratch tree: what git tracks and what it would track, as it is on disk.
src="$scratch/w0"
mkdir -p "$src" "$scratch/pristine"
(
	cd "$top" || exit 1
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -co --exclude-standard | while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done
	else
		find . -path ./build -prune -o -path './build-*' -prune -o -type f -print
	fi
) >"$scratch/files" || exit 2
tar -C "$top" -cf - -T "$scratch/files" | tar -C "$src" -xf - || exit 2
tar -C "$top" -cf - -T "$scratch/files" | tar -C "$scratch/pristine" -xf - || exit 2

if ! "$PY" "$scratch/mutator.py" --check "$scratch/table" "$src" >"$scratch/list"; then
	grep '^LOST' "$scratch/list"
	echo "tests/mutate.sh: its table does not match the tags and lines of the tree; fix it first"
	exit 2
fi
if [ $# -gt 0 ]; then names=$*; else names=$(awk '{print $1}' "$scratch/list" | uniq); fi

# One build of the unmutated tree, and the tests must pass on it.
echo "# building the unmutated tree in $src"
if ! make -C "$src" -s -j"$jobs" CI= all build/tests/test_transcript >"$scratch/build.log" 2>&1; then
	tail -n 20 "$scratch/build.log"
	echo "tests/mutate.sh: the unmutated tree does not build"
	exit 2
fi

# run_tests DIR: "by TEST (first failure)" on stdout when a test fails, else nothing.
run_tests() {
	d=$1
	mkdir -p "$d/.tmp"
	first=$(TMPDIR="$d/.tmp" T0300_C_ONLY=1 CEREMONY="$d/build/ceremony" BUILD="$d/build" \
		timeout 300 sh "$d/tests/cli/t0300-vectors.sh" 2>&1 | grep -m 1 '^not ok')
	rm -rf "$d/.tmp"
	if [ -n "$first" ]; then
		echo "by t0300-vectors.sh (${first#not ok })"
		return
	fi
	if ! make -C "$d" -s CI= build/tests/test_transcript >"$d/.build.log" 2>&1; then
		echo "BROKEN"
		return
	fi
	if ! (cd "$d" && CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 build/tests/test_transcript >"$d/.unit.log" 2>&1); then
		echo "by test_transcript ($(grep -m 1 '^not ok' "$d/.unit.log" | sed 's/^not ok //'))"
	fi
}

if [ -n "$(run_tests "$src")" ]; then
	echo "tests/mutate.sh: the unmutated tree fails its tests (run make check); no mutant can prove anything"
	run_tests "$src"
	exit 2
fi
for w in $(seq 1 $((jobs - 1))); do cp -a "$src" "$scratch/w$w"; done

# worker K: mutants K, K+jobs, ... in its own tree and build directory
worker() {
	k=$1 d="$scratch/w$1" i=0
	for name in $names; do
		i=$((i + 1))
		[ $(((i - 1) % jobs)) -eq "$k" ] || continue
		changed=
		if ! out=$("$PY" "$scratch/mutator.py" "$scratch/table" "$d" "$name"); then
			line=$out   # LOST: nothing was written
		else
			changed=$out
			if ! make -C "$d" -s CI= all >"$d/.build.log" 2>&1; then
				line="BROKEN  $name (does not build: $(grep -m 1 'error' "$d/.build.log"))"
			else
				by=$(run_tests "$d")
				case $by in
				'') line="SURVIVED $name" ;;
				BROKEN) line="BROKEN  $name (test_transcript does not build)" ;;
				*) line="killed  $name  $by" ;;
				esac
			fi
		fi
		for f in $changed; do cp "$scratch/pristine/$f" "$d/$f" && touch "$d/$f"; done
		echo "$line"
		echo "$line" >>"$scratch/results.$k"
	done
}
for k in $(seq 0 $((jobs - 1))); do worker "$k" & done
wait

cat "$scratch"/results.* >"$scratch/results"
total=$(wc -l <"$scratch/results")
killed=$(grep -c '^killed' "$scratch/results")
echo
echo "$total mutants: $killed killed, $((total - killed)) not ($(grep -c '^SURVIVED' "$scratch/results") survived," \
	"$(grep -c '^LOST' "$scratch/results") lost, $(grep -c '^BROKEN' "$scratch/results") broken); $(($(date +%s) - start))s"
grep -v '^killed' "$scratch/results"
[ "$killed" -eq "$total" ]
