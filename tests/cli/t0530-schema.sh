#!/bin/sh
# schemas/ceremony.schema.json says what the loader accepts: it is a valid JSON
# Schema 2020-12; every ceremonies/*.yaml validates against it; it lists exactly the
# step types of the registry, each with exactly the keys of its descriptor (the
# common ones, `token` for the types that use one, its own), a record field may not
# take the name of the type's outputs or artifacts, key.generate's algorithms are
# token.c's; and bad scripts (an unknown key in a cert.issue step, a bad profile, a
# bad algorithm...) fail both the schema and `ceremony check`, while a script using
# most of the PKI vocabulary passes both.
# YAML is read as YAML 1.2 (core schema, as editors read it), with Debian's python3
# and its python3-yaml and python3-jsonschema (make deps).
. "$(dirname "$0")/lib.sh"
SCHEMA=$TOP/schemas/ceremony.schema.json

cat >"$T/schema.py" <<'PY'
"""schema.py SCHEMA TOP check | validate FILE... | registry
Prints one line per result: "ok|WHAT" or "fail|WHAT|WHY"."""
import glob, json, os, re, sys

try:
    import jsonschema, yaml
except ImportError as e:
    print("fail|python3-jsonschema and python3-yaml are installed|%s (make deps installs them)" % e)
    sys.exit(0)


class Core(yaml.SafeLoader):
    """YAML 1.2 core schema: no 1.1 yes/no booleans, sexagesimals or timestamps."""


Core.yaml_implicit_resolvers = {}
for tag, rx, first in [
        ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789.")]:
    Core.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(rx),
                               list(first) + ([""] if tag == "null" else []))


def core_int(loader, node):
    v = loader.construct_scalar(node)
    return int(v[2:], 8) if v.startswith("0o") else int(v[2:], 16) if v.startswith("0x") else int(v, 10)


Core.add_constructor("tag:yaml.org,2002:int", core_int)

schema_path, top, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)


def say(ok, what, why=""):
    print("ok|%s" % what if ok else "fail|%s|%s" % (what, why.replace("\n", " ")[:400]))


if cmd == "check":
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        say(True, "the schema is a valid JSON Schema 2020-12")
    except jsonschema.exceptions.SchemaError as e:
        say(False, "the schema is a valid JSON Schema 2020-12", str(e))

elif cmd == "validate":
    v = jsonschema.Draft202012Validator(schema)
    for path in args:
        with open(path, encoding="utf-8") as f:
            doc = json.loads(json.dumps(yaml.load(f, Loader=Core)))   # JSON's data model: string keys
        e = jsonschema.exceptions.best_match(v.iter_errors(doc))
        # "valid NAME" / "invalid NAME", so the shell can say what was expected.
        print("%s|%s|%s" % ("valid" if e is None else "invalid", os.path.basename(path),
                            "" if e is None else "at /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300])))

elif cmd == "registry":
    def src(p):
        with open(os.path.join(top, p), encoding="utf-8") as f:
            return f.read()

    def strings(body):
        return re.findall(r'"([^"]*)"', body)

    def array(text, name):
        m = re.search(r"^(?:static )?const char \*const %s\[\] = \{(.*?)\};" % name, text, re.M | re.S)
        return strings(m.group(1)) if m else None

    script = src("runner/script.c")
    common = array(script, "script_common_keys")
    defs = schema["$defs"]
    say(set(schema["properties"]) == set(array(script, "top_keys")), "top-level keys are the loader's",
        "schema %s" % sorted(schema["properties"]))
    roles = schema["properties"]["roles"]["additionalProperties"]["properties"]
    say(set(roles) == set(array(script, "role_keys")), "role keys are the loader's", "schema %s" % sorted(roles))
    tokens = schema["properties"]["tokens"]["additionalProperties"]["properties"]
    say(set(tokens) == set(array(script, "token_keys")), "token keys are the loader's", "schema %s" % sorted(tokens))
    if array(script, "activation_keys"):
        act = set(tokens.get("activation", {}).get("properties", {}))
        say(act == set(array(script, "activation_keys")), "activation keys are the loader's", "schema %s" % sorted(act))
    say(set(defs["step_common"]["properties"]) | {"type"} == set(common), "common step keys are the loader's",
        "schema %s" % sorted(defs["step_common"]["properties"]))

    # Every step type in steps/*.c, by the symbol registry.c lists.
    types = {}
    for path in sorted(glob.glob(os.path.join(top, "steps", "*.c"))):
        text = open(path, encoding="utf-8").read()
        for sym, body in re.findall(r"^const struct step_type (step_\w+) = \{(.*?)^\};", text, re.M | re.S):
            field = dict(re.findall(r"\.(\w+) = ([^\n]*?),?\n", body))
            get = lambda k: array(text, field[k]) if field.get(k, "").isidentifier() else []
            types[sym] = {"name": strings(field["name"])[0], "keys": get("keys"), "outputs": get("outputs"),
                          "artifacts": get("artifacts"), "token": "STEP_USES_TOKEN" in field.get("flags", ""),
                          "file": os.path.basename(path)}
    registered = [types[s] for s in re.findall(r"^\s*&(step_\w+),", src("steps/registry.c"), re.M)]
    enum = defs["step"]["properties"]["type"]["enum"]
    say(sorted(enum) == sorted(t["name"] for t in registered), "the schema lists every registered step type",
        "registry %s, schema %s" % (sorted(t["name"] for t in registered), sorted(enum)))
    branches = {b["if"]["properties"]["type"]["const"]: b["then"]["$ref"].split("/")[-1] for b in defs["step"]["allOf"]}
    arts = re.search(r"\(([^()]*)\)\)\?\$$", defs["artifact_ref"]["pattern"]).group(1).split("|")
    for t in registered:
        d = defs.get(branches.get(t["name"], ""), {})
        want = set(common) | set(t["keys"]) | ({"token"} if t["token"] else set())
        got = set(d.get("properties", {}))
        say(got == want and d.get("additionalProperties") is False, "%s: its keys (%s)" % (t["name"], t["file"]),
            "missing %s, not in the loader %s" % (sorted(want - got), sorted(got - want)))
        excl = d.get("properties", {}).get("record", {}).get("propertyNames", {}).get("not", {}).get("enum", [])
        say(set(excl) == set(t["outputs"]) | set(t["artifacts"]), "%s: record fields avoid its outputs" % t["name"],
            "schema %s, code %s" % (sorted(excl), sorted(t["outputs"] + t["artifacts"])))
        say(set(t["artifacts"]) <= set(arts), "%s: its artifacts can be referenced" % t["name"],
            "not in artifact_ref: %s" % sorted(set(t["artifacts"]) - set(arts)))
    m = re.search(r'alg_names\[\] = "([^"]*)"', src("runner/token.c"))
    algs = defs["step_key_generate"]["properties"]["algorithm"]["enum"]
    say(m is not None and algs == m.group(1).split(", "), "key.generate's algorithms are token.c's",
        "schema %s, token.c %s" % (algs, m.group(1) if m else "?"))
PY

# run the helper; turn its lines into TAP. Lines "valid|NAME|" or "invalid|NAME|WHY"
# are left in $T/results for the caller.
py() {
	"$PYTHON" "$T/schema.py" "$SCHEMA" "$TOP" "$@" >"$T/py" 2>&1 || echo "fail|schema.py $1 ran|$(tail -3 "$T/py")" >>"$T/py"
	: >"$T/results"
	while IFS='|' read -r kind what why; do
		case $kind in
		ok) ok "$what" ;;
		fail) not_ok "$what" "$why" ;;
		valid | invalid) echo "$kind|$what|$why" >>"$T/results" ;;
		*) not_ok "schema.py says: $kind $what $why" ;;
		esac
	done <"$T/py"
}

py check
py registry

# --- every ready ceremony validates --------------------------------------------
py validate "$TOP"/ceremonies/*.yaml
for f in "$TOP"/ceremonies/*.yaml; do
	name=$(basename "$f")
	line=$(grep "|$name|" "$T/results")
	case $line in
	valid*) ok "ceremonies/$name validates against the schema" ;;
	*) not_ok "ceremonies/$name validates against the schema" "${line:-no result}" ;;
	esac
done

# --- a script with most of the PKI vocabulary: both accept it ---------------------
cat >"$T/good.yaml" <<'YAML'
ceremony: 1
title: 2026
roles:
  admin: {count: 1}
  witness: {count: 1}
  custodian: {count: 3}
tokens:
  root: {label: ROOT}
  sub: {label: SUB, activation: {quorum: 2, of: custodian}}
steps:
  - id: attendance
    type: attendance
  - id: root-key
    type: key.generate
    token: root
    algorithm: ec-p384
    label: root-key
  - id: root
    type: cert.self_signed
    key: root-key
    subject: {C: US, O: "Example, Inc.", DC: [example, com], CN: Example Root CA}
    not_before: 2026-01-01T00:00:00Z
    not_after: 2096-01-01T00:00:00Z
    pathlen: 2
    crl_distribution_points: http://crl.example/root.crl
    authority_info_access: {ca_issuers: [http://ca.example/root.crt]}
    certificate_policies: [2.5.29.32.0]
    signature: {hash: sha384}
  - id: sub-activate
    type: token.activate
    token: sub
  - id: sub-key
    type: key.generate
    token: sub
    algorithm: rsa-3072
    label: sub-key
  - id: sub-csr
    type: csr.create
    key: {token: sub, label: sub-key}
    subject: {CN: Example Issuing CA, OU: [PKI, Devices]}
    signature: {hash: sha256, padding: pss}
  - id: sub
    type: cert.issue
    issuer: root.certificate
    issuer_key: root-key
    csr: sub-csr
    profile: issuing-ca
    pathlen: 0
    not_before: 2026-01-01T00:00:00Z
    not_after: 2086-01-01T00:00:00Z
    extended_key_usage: [clientAuth, 1.3.6.1.5.5.7.3.9]
    allow_csr_extensions: false
    record: {seal: seal number}
  - id: root-crl
    type: crl.create
    issuer: root
    crl_number: 2
    this_update: 2026-06-01T00:00:00Z
    next_update: 2027-06-01T00:00:00Z
    revoked:
      - {certificate: sub, reason: superseded, date: 2026-05-01T00:00:00Z}
      - {serial: "01:A2", reason: keyCompromise}
      - {serial: 1234}
  - id: chain
    type: chain.verify
    chain: [root, {cert: sub.certificate_pem, profile: issuing-ca, pathlen: any}]
    crls: [{crl: root-crl, issuer: root, revoked: 3}]
  - id: fp
    type: fingerprint
    of: sub
    readback: {role: witness, groups: 4}
  - id: export
    type: artifact.export
    artifacts: [root, {of: root-crl.crl_pem, name: root.crl}]
    formats: [pem, der]
    media: [usb-1, drives/usb-2]
YAML

# variant NAME SED-SCRIPT: $T/NAME.yaml is good.yaml edited by sed.
variant() { sed "$2" "$T/good.yaml" >"$T/$1.yaml"; }
variant unknown-key '/profile: issuing-ca/a\    validity: 3650'
variant bad-profile 's/profile: issuing-ca$/profile: intermediate-ca/'
variant bad-algorithm '0,/algorithm: ec-p384/s//algorithm: ec-p192/'
variant root-profile-issued 's/profile: issuing-ca$/profile: root-ca/'
variant issuing-pathlen-1 's/pathlen: 0$/pathlen: 1/'
variant days-and-dates '/csr: sub-csr/a\    validity_days: 3650'
variant no-validity '/not_after: 2086/d'
variant bad-subject '0,/CN: Example Root CA/s//CommonName: Example Root CA/'
variant bad-country 's/C: US/C: USA/'
variant bad-reason 's/reason: superseded/reason: unspecified/'
variant serial-and-cert 's/{certificate: sub, /{certificate: sub, serial: "05", /'
variant both-next-updates '/next_update: 2027/a\    next_update_days: 30'
variant bad-hash 's/hash: sha384/hash: sha1/'
variant bad-uri 's|http://crl.example/root.crl|crl.example/root.crl|'
variant bad-media 's|drives/usb-2|../usb-2|'
variant readback-17 's/groups: 4/groups: 17/'
variant quorum-1 's/quorum: 2/quorum: 1/'
variant record-output 's/record: {seal: seal number}/record: {serial: the serial}/'
variant csr-wrong-artifact 's/csr: sub-csr$/csr: sub-csr.csr_pem/'

names="good unknown-key bad-profile bad-algorithm root-profile-issued issuing-pathlen-1 days-and-dates
no-validity bad-subject bad-country bad-reason serial-and-cert both-next-updates bad-hash bad-uri bad-media
readback-17 quorum-1 record-output csr-wrong-artifact"
files=
for name in $names; do files="$files $T/$name.yaml"; done
# shellcheck disable=SC2086
py validate $files
for name in $names; do
	line=$(grep "|$name.yaml|" "$T/results")
	if [ "$name" = good ]; then want=valid; else want=invalid; fi
	case $line in
	"$want|"*) ok "schema: $name.yaml is $want" ;;
	*) not_ok "schema: $name.yaml is $want" "${line:-no result}" ;;
	esac
	# The loader says the same (it checks more: references, chains, files).
	"$CEREMONY" check "$T/$name.yaml" >"$T/out" 2>&1 </dev/null; got=$?
	if [ "$want" = valid ]; then code=0; else code=2; fi
	if [ "$got" -eq "$code" ]; then ok "ceremony check: $name.yaml exits $code"; else
		not_ok "ceremony check: $name.yaml exits $code" "exit $got" "$(head -c 1000 "$T/out")"; fi
done

# schemas/answers.schema.json lists every question key the runner asks (step.c's
# step_asks_always, step_asks_resume and each step type's asks), and every example answers file
# validates against it.
"$PYTHON" - "$TOP" >"$T/answers-schema" 2>&1 <<'PY'
import glob, json, os, re, sys
import jsonschema, yaml
top = sys.argv[1]
schema = json.load(open(os.path.join(top, "schemas/answers.schema.json")))
listed = set(schema["properties"]["steps"]["additionalProperties"]["additionalProperties"]["properties"])
def array(text, name):
    m = re.search(r"const char \*const %s\[\] = \{(.*?)\};" % name, text, re.S)
    return set(re.findall(r'"([^"]*)"', m.group(1))) if m else set()
asked = array(open(os.path.join(top, "runner/step.c")).read(), "step_asks_always")
asked |= array(open(os.path.join(top, "runner/step.c")).read(), "step_asks_resume")
for path in glob.glob(os.path.join(top, "steps/*.c")):
    asked |= array(open(path).read(), "asks")
print("keys|%s|%s" % (sorted(listed - asked), sorted(asked - listed)))
v = jsonschema.Draft202012Validator(schema)
for path in sorted(glob.glob(os.path.join(top, "examples/answers/*.yaml"))):
    errs = [e.message for e in v.iter_errors(yaml.safe_load(open(path)))]
    print("file|%s|%s" % (os.path.basename(path), "; ".join(errs)))
PY
grep -q '^keys|\[\]|\[\]$' "$T/answers-schema" && ok "the answers schema lists exactly the questions the runner asks" ||
	not_ok "the answers schema lists exactly the questions the runner asks" "$(cat "$T/answers-schema")"
bad=$(grep '^file|' "$T/answers-schema" | grep -v '|$')
[ -z "$bad" ] && [ "$(grep -c '^file|' "$T/answers-schema")" -ge 5 ] && ok "every example answers file validates against it" ||
	not_ok "every example answers file validates against it" "$bad" "$(cat "$T/answers-schema")"
echo "1..$n"
