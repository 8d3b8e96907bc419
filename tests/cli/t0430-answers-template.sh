#!/bin/sh
# `ceremony answers SCRIPT` prints every question the script asks (issue 10, item 8):
# for each ready ceremony, the template with only its record fields filled in
# rehearses to completion. The run fails on a question the template lacks ("no
# answer") and on an answer it never asked for (exit 2), so the template is exactly
# the script's questions. It validates against schemas/answers.schema.json, and an
# empty record field is refused rather than recorded.
. "$(dirname "$0")/lib.sh"
for S in "$TOP"/ceremonies/*.yaml; do
	name=$(basename "$S" .yaml)
	[ -e "$TOP/examples/answers/$name.yaml" ] || continue
	after=$(after_args "$S") C=$(runner_for "$S")
	expect_exit 0 "$name: answers prints a template" "$CEREMONY" answers "$S" $after
	cp "$T/out" "$T/$name.yaml"
	"$PYTHON" - "$TOP/schemas/answers.schema.json" "$T/$name.yaml" >"$T/v" 2>&1 <<'PY'
import json, sys, jsonschema, yaml
errs = [e.message for e in jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).iter_errors(yaml.safe_load(open(sys.argv[2])))]
print("; ".join(errs))
PY
	[ -z "$(cat "$T/v")" ] && ok "$name: the template validates against the answers schema" ||
		not_ok "$name: the template validates against the answers schema" "$(cat "$T/v")"
	# A ceremony that builds on an earlier one asks for what only that one's people
	# hold (the shares handed out there, the seal number recorded there): its
	# template asks exactly what its example answers (which rehearse, t0520) answer.
	if [ -n "$after" ]; then
		"$PYTHON" - "$T/$name.yaml" "$TOP/examples/answers/$name.yaml" "$S" >"$T/v" 2>&1 <<'PY'
import sys, yaml
# Steps reached only when another fails are not in a rehearsal that passes.
skip = {st["id"] for st in yaml.safe_load(open(sys.argv[3]))["steps"] if st.get("only_on_fail")} | {"resume"}
def keys(p):
	d = yaml.safe_load(open(p))["steps"]
	return {(st, ro, k) for st, roles in d.items() if st not in skip for ro, qs in roles.items() for k in qs}
a, b = keys(sys.argv[1]), keys(sys.argv[2])
print("template only:", sorted(a - b), "answers only:", sorted(b - a)) if a != b else None
PY
		[ -z "$(cat "$T/v")" ] && ok "$name: the template asks exactly what its example answers answer" ||
			not_ok "$name: the template asks exactly what its example answers answer" "$(cat "$T/v")"
		continue
	fi
	records=$(grep -c ': ""   # ' "$T/$name.yaml")
	sed 's/: ""   # /: "filled in"   # /' "$T/$name.yaml" >"$T/$name-filled.yaml"
	expect_exit 0 "$name: rehearsed from the template ($records record fields filled in), it completes" \
		$C rehearse "$S" --answers "$T/$name-filled.yaml" $after --out "$T/r-$name"
	if [ "$records" -gt 0 ]; then
		expect_exit 1 "$name: with a record field left empty the rehearsal fails" \
			$C rehearse "$S" --answers "$T/$name.yaml" $after --out "$T/e-$name"
		expect_out "$name: because the empty value is refused" "an empty answer for '[a-z_0-9]+' is not recorded"
	fi
done
# Who of several confirms or signs off is asked once attendance has recorded them
# (attendance's own sign-offs too), and never when no attendance step came first.
for S in "$TOP/tests/cli/data/answers-two-admins.yaml" "$TOP/tests/cli/data/answers-no-attendance.yaml"; do
	name=$(basename "$S" .yaml)
	"$CEREMONY" answers "$S" | sed 's/: ""   # /: "filled in"   # /' >"$T/$name.yaml"
	expect_exit 0 "$name: rehearsed from its template, it completes (nothing missing, nothing extra)" \
		"$CEREMONY" rehearse "$S" --answers "$T/$name.yaml" --out "$T/r-$name"
done
grep -q 'confirm_by' "$T/answers-two-admins.yaml" && ok "two administrators: the template asks who confirms" ||
	not_ok "two administrators: the template asks who confirms" "$(cat "$T/answers-two-admins.yaml")"
expect_exit 2 "answers without a script is bad usage" "$CEREMONY" answers
printf 'ceremony: 1\ntitle: t\nroles: {a: {count: 1}}\nsteps:\n  - {id: s, type: nosuch}\n' >"$T/bad.yaml"
expect_exit 2 "answers of a bad script is refused" "$CEREMONY" answers "$T/bad.yaml"
expect_out "with the script's FILE:LINE:COL" "bad.yaml:5:[0-9]+: unknown step type"
echo "1..$n"
