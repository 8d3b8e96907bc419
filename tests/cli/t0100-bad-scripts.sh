#!/bin/sh
# ceremony check refuses bad and hostile scripts: exit 2, in bounded time, with
# a message naming FILE:LINE:COL (FILE: for whole-file problems) and what was
# expected, and without creating any file in the working directory.
. "$(dirname "$0")/lib.sh"

W=$T/wd
mkdir "$W"

# bad WHAT FILE TEXT: `check FILE` run in $W exits 2 within 10 s, its output
# contains TEXT (fixed string), and $W is still empty afterwards.
bad() {
	what=$1; file=$2; want=$3
	(cd "$W" && timeout 10 "$CEREMONY" check "$file") >"$T/out" 2>&1 </dev/null; got=$?
	if [ "$got" -ne 2 ]; then
		not_ok "$what" "exit $got, wanted 2 (124 is a timeout)" "$(head -c 2000 "$T/out")"
	elif ! grep -qF -- "$want" "$T/out"; then
		not_ok "$what" "no line with: $want" "$(head -c 2000 "$T/out")"
	elif [ -n "$(ls -A "$W")" ]; then
		not_ok "$what" "files left in the working directory: $(ls -A "$W" | tr '\n' ' ')"
		rm -rf "$W" && mkdir "$W"
	else
		ok "$what"
	fi
}

f=$T/empty.yaml
: >"$f"
bad "empty file" "$f" "$f: the file is empty; expected a ceremony script"

f=$T/comments.yaml
printf '# only a comment\n\n' >"$f"
bad "file with only comments" "$f" "$f: the file is empty; expected a ceremony script"

f=$T/list.yaml
printf -- '- ceremony: 1\n- title: x\n' >"$f"
bad "a YAML list instead of a map" "$f" \
	"$f:1:1: expected a map with the keys ceremony, title, roles and steps at the top of the script, found a list"

f=$T/invalid.yaml
printf 'ceremony: 1\ntitle: [unclosed\nroles: {}\n' >"$f"
bad "invalid YAML" "$f" "$f:3:6: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 8)"

f=$T/utf8.yaml
printf 'ceremony: 1\ntitle: caf\351\n' >"$f"
bad "invalid UTF-8 (Latin-1 e-acute)" "$f" "$f:2:11: expected UTF-8 text, found the byte 0xe9 that is not valid UTF-8 there"

f=$T/overlong.yaml
printf 'ceremony: 1\ntitle: \300\257\n' >"$f"
bad "overlong UTF-8" "$f" "$f:2:8: expected UTF-8 text, found the byte 0xc0"

f=$T/nul.yaml
printf 'ceremony: 1\ntitle: ab\000cd\n' >"$f"
bad "NUL byte" "$f" "$f:2:10: expected text, found a NUL byte"

f=$T/laughs.yaml
awk 'BEGIN {
	print "ceremony: 1"
	print "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"
	prev = "a"
	for (i = 2; i <= 9; i++) {
		name = sprintf("l%d", i)
		line = name ": &" name " ["
		for (j = 0; j < 9; j++) line = line (j ? "," : "") "*" prev
		print line "]"
		prev = name
	}
}' >"$f"
bad "alias bomb (billion laughs)" "$f" "$f:2:4: anchors and aliases are not allowed; found the anchor '&a'"

f=$T/deep.yaml
head -c 10000 /dev/zero | tr '\0' '[' >"$f"
bad "10000 levels of nesting" "$f" "$f:1:33: nesting too deep: expected at most 32 levels of maps and lists"

f=$T/deepmap.yaml
awk 'BEGIN { for (i = 0; i < 200; i++) { printf "%*sk:\n", i, "" } }' >"$f"
bad "200 levels of block maps" "$f" "$f:33:33: nesting too deep: expected at most 32 levels of maps and lists"

f=$T/scalar2m.yaml
{ printf 'ceremony: 1\ntitle: '; head -c 2097152 /dev/zero | tr '\0' x; printf '\n'; } >"$f"
bad "2 MiB scalar" "$f" "$f: the file is too large: expected at most 1048576 bytes, found 2097172"

f=$T/scalar100k.yaml
{ printf 'ceremony: 1\ntitle: '; head -c 102400 /dev/zero | tr '\0' x; printf '\n'; } >"$f"
bad "100 KiB scalar" "$f" "$f:2:8: value too long: expected at most 65536 bytes, found 102400"

f=$T/big.yaml
head -c 5242880 /dev/zero | tr '\0' '#' >"$f"
bad "5 MiB file" "$f" "$f: the file is too large: expected at most 1048576 bytes, found 5242880"

f=$T/manynodes.yaml
awk 'BEGIN { print "ceremony: 1"; print "x:"; for (i = 0; i < 100001; i++) print "- 1" }' >"$f"
bad "100001 values" "$f" "$f:99998:3: too many values: expected at most 100000 maps, lists and values in the file"

f=$T/dup.yaml
printf 'ceremony: 1\ntitle: A\nroles: {a: {count: 1}}\ntitle: B\n' >"$f"
bad "duplicate keys" "$f" "$f:4:1: duplicate key 'title' (first at line 2, column 1): expected each key once in a map"

f=$T/twodocs.yaml
printf 'ceremony: 1\ntitle: A\n---\nceremony: 1\ntitle: B\n' >"$f"
bad "two documents" "$f" "$f:3:1: expected a ceremony script in one YAML document, found a second document"

f=$T/tag.yaml
printf 'ceremony: !!int 1\n' >"$f"
bad "a tag" "$f" "$f:1:11: tags are not allowed"

f=$T/version.yaml
printf 'ceremony: 2\ntitle: A\nroles: {a: {count: 1}}\nsteps: [{id: s, type: manual}]\n' >"$f"
bad "unknown format version" "$f" "$f:1:11: unknown format version 2: this runner reads version 1 only ('ceremony: 1')"

f=$T/range.yaml
printf 'ceremony: 1\ntitle: A\nroles:\n  witness: {count: 99999999999999999999999}\nsteps: [{id: s, type: manual}]\n' >"$f"
bad "out-of-range number" "$f" \
	"$f:4:20: expected a whole number from 1 to 100 for 'count' of role 'witness', found '99999999999999999999999'"

f=$T/typo.yaml
printf 'ceremony: 1\ntitle: A\nroles: {a: {count: 1}}\nsteps:\n  - id: s\n    type: manual\n    sya: hello\n' >"$f"
bad "unknown key with a suggestion" "$f" "$f:7:5: unknown key 'sya' in step 's' (did you mean 'say'?)"

mkdir "$T/dir.yaml"
bad "a directory" "$T/dir.yaml" "$T/dir.yaml: expected a regular file holding a ceremony script, found a directory"

bad "a missing file" "$T/missing.yaml" "$T/missing.yaml: cannot open a ceremony script: No such file or directory"

if mkfifo "$T/fifo.yaml" 2>/dev/null; then
	bad "a FIFO is refused, not waited on" "$T/fifo.yaml" "$T/fifo.yaml: expected a regular file holding a ceremony script, found a pipe"
else
	n=$((n + 1)); echo "ok $n # SKIP mkfifo not available"
fi

f=$T/good.yaml
cat >"$f" <<'EOF'
ceremony: 1
title: A small valid ceremony
roles:
  operator: {count: 1}
  witness: {count: 1}
tokens:
  root: {label: ROOT-TEST}
steps:
  - id: attendance
    type: attendance
    say: Each participant states name and role.
  - id: key
    type: key.generate
    token: root
    algorithm: ec-p256
    label: test-key
    performed_by: operator
    signoff: [witness]
  - id: fpr
    type: fingerprint
    of: key.public_key
  - id: seal
    type: manual
    record: {seal_number: seal number of the bag}
    expect: {seal_number: "1234"}
EOF
(cd "$W" && timeout 10 "$CEREMONY" check "$f") >"$T/out" 2>&1 </dev/null; got=$?
if [ "$got" -eq 0 ] && [ -z "$(ls -A "$W")" ]; then ok "a valid script checks with exit 0"; else
	not_ok "a valid script checks with exit 0" "exit $got" "$(head -c 2000 "$T/out")"; fi

# A UTF-8 byte order mark (some editors write one) is accepted, and positions stay right.
printf '\357\273\277ceremony: 1\ntitle: bom\nroles: {a: {count: 1}}\nsteps:\n  - {id: s, type: manual}\n' >"$T/bom.yaml"
expect_exit 0 "a script with a byte order mark checks" "$CEREMONY" check "$T/bom.yaml"
printf '\357\273\277ceremony: 1\ntitle: bom\nroles: {a: {count: 1}}\nsteps:\n  - {id: s, type: manul}\n' >"$T/bom2.yaml"
expect_exit 2 "an error after a byte order mark" "$CEREMONY" check "$T/bom2.yaml"
expect_out "is still at the right line and column" "bom2.yaml:5:19: unknown step type 'manul'"

# Two tokens with one label would let a binding merge them.
printf 'ceremony: 1\ntitle: t\nroles: {a: {count: 1}}\ntokens:\n  x: {label: SAME}\n  y: {label: SAME}\nsteps:\n  - {id: s, type: manual}\n' >"$T/labels.yaml"
expect_exit 2 "two tokens with one label are refused" "$CEREMONY" check "$T/labels.yaml"
expect_out "it names both" "labels.yaml:6:14: token 'y' has the label SAME of token 'x'"

# A typed value may not take the name of an output of its step.
printf 'ceremony: 1\ntitle: t\nroles: {a: {count: 1}}\nsteps:\n  - {id: s, type: manual, record: {done: was it done}}\n' >"$T/shadow.yaml"
expect_exit 2 "a record field named like an output is refused" "$CEREMONY" check "$T/shadow.yaml"
expect_out "it says why" "record field 'done' of step 's' has the name of an output of manual"

# An expectation the step's own parameters make impossible: refused at the value.
f=$T/contradiction.yaml
cat >"$f" <<'Y'
ceremony: 1
title: t
roles:
  administrator: {count: 1}
tokens:
  root: {label: R}
steps:
  - id: attendance
    type: attendance
  - id: key
    type: key.generate
    token: root
    algorithm: ec-p256
    label: k
    backup: true
    expect: {sensitive: true, extractable: false}
Y
bad "backup: true with expect extractable: false" "$f" \
	"$f:16:44: step 'key' expects extractable: false, but 'backup: true' makes the private key's CKA_EXTRACTABLE true: the check cannot pass; expected extractable: true or no expectation"
sed -i 's/    backup: true/    backup: false/; s/extractable: false}/extractable: true}/' "$f"
bad "a key without backup expected extractable" "$f" \
	"$f:16:44: step 'key' expects extractable: true, but key.generate makes the private key's CKA_EXTRACTABLE false"

# The security officer's login (wrapkey.create) ends the custodians' session on a
# quorum token: a later step that needs it without a token.activate is refused.
f=$T/so-ends.yaml
cat >"$f" <<'Y'
ceremony: 1
title: t
roles:
  administrator: {count: 1}
  custodian: {count: 3}
tokens:
  hsm: {label: H, activation: {quorum: 2, of: custodian}}
steps:
  - {id: attendance, type: attendance}
  - {id: init, type: token.init, token: hsm}
  - {id: activate, type: token.activate, token: hsm}
  - {id: wrap, type: wrapkey.create, token: hsm, label: w}
  - {id: key, type: key.generate, token: hsm, algorithm: ec-p256, label: k}
Y
bad "a quorum token used after the security officer's login without activation" "$f" \
	"$f:13:42: step 'key' logs in to token 'hsm', but step 'wrap' (wrapkey.create) logged in the security officer there, which ended the custodians' session; expected a token.activate step between them"
sed -i 's/^  - {id: key,/  - {id: again, type: token.activate, token: hsm}\n  - {id: key,/' "$f"
expect_exit 0 "with a token.activate between them it is valid" "$CEREMONY" check "$f"
expect_out "the plan says the session ends there" "ends the user's session on token 'hsm' \(the security officer logs in\): custodians activate it again before its next use"
# The plan shows what is read aloud, what is expected and what a failure does.
expect_exit 0 "check prints the plan of generic-root" "$CEREMONY" check "$TOP/ceremonies/generic-root.yaml"
expect_out "with each step's say" "^      say: The administrator, as security officer of the HSM, creates the trusted AES-256"
expect_out "its expectations" "^      expect: trusted: true$"
expect_out "one under the other" "^              extractable: false$"
expect_out "and what a failure does" "^      on fail: (halt|retry|decision)"

echo "1..$n"
