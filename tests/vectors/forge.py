#!/usr/bin/python3
"""forge.py: writes the test vectors of issue 8 by playing the attacker.

The attacker has nothing but a sealed transcript (tests/vectors/rehearsal-generic-root.cts,
a rehearsal of ceremonies/generic-root.yaml whose checkpoint is record 34) and keys
of their own. With them it cuts the transcript after a record, appends a resume
record (kind 4) naming a new signer and signed by it, and re-signs the rest; or
re-signs the whole transcript from genesis. It also writes the zero-fill cases a
power cut leaves. TRANSCRIPT.md is the only reference: deterministic CBOR written
here (shortest integers, definite lengths, map keys in the order of their encoded
bytes), COSE_Sign1 with ES256 and r || s.

It also writes the tamper vectors (issue 9): tamper-base.cts, a small transcript of
its own keys with every kind and optional key, and tamper-*.cts, one copy of it per
check of the verifier that breaks that one rule (re-signed and re-chained, so that
only that check can find it). Their EXPECTED lines, printed at the end, pin each
check's seq and reason; tests/mutate.sh proves each one fails without its check.

Run by hand from the top of the repository (not by make check); the vectors it
writes are committed:

    /usr/bin/python3 tests/vectors/forge.py

The keys are derived from fixed labels and the signatures use RFC 6979 nonces, so
a rerun writes the same bytes (Ed25519 is deterministic by design; the RSA vector
has no private key). It prints the kids and heads EXPECTED uses.
"""

import hashlib
import hmac
import os
import sys

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SOURCE = os.path.join(HERE, "rehearsal-generic-root.cts")
CONTENT_TYPE = "application/ceremony-entry+cbor"
GENESIS, STEP_BEGIN, STEP_RESULT, CHECKPOINT, RESUME, SEAL = range(6)
CHECKPOINT_SEQ = 34

# --------------------------------------------------------------------------
# Deterministic CBOR (RFC 8949 §4.2.1), written from scratch
# --------------------------------------------------------------------------


class Tag18:
    def __init__(self, value):
        self.value = value


class Raw:
    """Bytes put into an encoding as they are: what enc would never write
    (for the tamper vectors)."""

    def __init__(self, b):
        self.b = b


class Pairs:
    """A map written in the order given, duplicates kept (for the tamper vectors)."""

    def __init__(self, pairs):
        self.pairs = pairs


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | ai]) + n.to_bytes(width, "big")
    raise ValueError("integer too large")


def enc(v):
    if isinstance(v, Raw):
        return v.b
    if isinstance(v, Pairs):
        return head(5, len(v.pairs)) + b"".join(enc(k) + enc(x) for k, x in v.pairs)
    if v is False:
        return b"\xf4"
    if v is True:
        return b"\xf5"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode("utf-8")
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        items = sorted((enc(k), enc(x)) for k, x in v.items())
        return head(5, len(items)) + b"".join(k + x for k, x in items)
    if isinstance(v, Tag18):
        return head(6, 18) + enc(v.value)
    raise TypeError("cannot encode %r" % type(v))


def plain(v):
    """cbor2's decoding as the plain values enc takes."""
    if isinstance(v, cbor2.CBORTag):
        assert v.tag == 18
        return Tag18(plain(v.value))
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


# --------------------------------------------------------------------------
# Keys and ES256 with RFC 6979 nonces (so the vectors are reproducible)
# --------------------------------------------------------------------------

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def rfc6979_k(d, h1):
    q = P256_N

    def bits2int(b):
        return int.from_bytes(b, "big")   # 256-bit hash, 256-bit order: no shift

    x = d.to_bytes(32, "big")
    h = (bits2int(h1) % q).to_bytes(32, "big")
    V, K = b"\x01" * 32, b"\x00" * 32
    K = hmac.new(K, V + b"\x00" + x + h, hashlib.sha256).digest()
    V = hmac.new(K, V, hashlib.sha256).digest()
    K = hmac.new(K, V + b"\x01" + x + h, hashlib.sha256).digest()
    V = hmac.new(K, V, hashlib.sha256).digest()
    while True:
        V = hmac.new(K, V, hashlib.sha256).digest()
        k = bits2int(V)
        if 1 <= k < q:
            return k
        K = hmac.new(K, V + b"\x00", hashlib.sha256).digest()
        V = hmac.new(K, V, hashlib.sha256).digest()


class Key:
    def __init__(self, label):
        self.d = int.from_bytes(hashlib.sha256(("forge.py " + label).encode()).digest(), "big") % (P256_N - 1) + 1
        self.priv = ec.derive_private_key(self.d, ec.SECP256R1())
        self.spki = self.priv.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = hashlib.sha256(self.spki).digest()
        self.signer = {0: self.kid, 1: self.spki, 2: -7, 3: "memory"}

    def sign(self, msg):
        h1 = hashlib.sha256(msg).digest()
        z = int.from_bytes(h1, "big")
        k = rfc6979_k(self.d, h1)
        r = ec.derive_private_key(k, ec.SECP256R1()).public_key().public_numbers().x % P256_N
        s = pow(k, -1, P256_N) * (z + r * self.d) % P256_N
        assert r and s
        self.priv.public_key().verify(encode_dss_signature(r, s), msg, ec.ECDSA(hashes.SHA256()))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def record(self, entry):
        """The COSE_Sign1 record of entry, signed with this key."""
        prot = enc({1: -7, 3: CONTENT_TYPE, 4: self.kid})
        payload = enc(entry)
        sig = self.sign(enc(["Signature1", prot, b"", payload]))
        return enc(Tag18([prot, {}, payload, sig]))


# --------------------------------------------------------------------------
# The real transcript, record by record
# --------------------------------------------------------------------------


class Record:
    def __init__(self, raw):
        self.raw = raw
        rec = cbor2.loads(raw)
        assert enc(plain(rec)) == raw, "source record is not deterministic"
        self.entry = plain(cbor2.loads(rec.value[2]))
        assert enc(self.entry) == rec.value[2]
        self.seq, self.prev, self.cid, self.time, self.kind, self.body = (self.entry[k] for k in range(6))


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    import io
    s = io.BytesIO(data)
    out = []
    while s.tell() < len(data):
        start = s.tell()
        cbor2.load(s)
        out.append(Record(data[start:s.tell()]))
    assert b"".join(r.raw for r in out) == data
    return out


def sha(b):
    return hashlib.sha256(b).digest()


class Writer:
    """Appends records to a transcript, keeping seq and prev right."""

    def __init__(self, cid):
        self.cid = cid
        self.raws = []

    @property
    def seq(self):
        return len(self.raws)

    def copy(self, rec):
        assert rec.seq == self.seq
        self.raws.append(rec.raw)

    def add(self, key, time, kind, body):
        prev = sha(self.raws[-1]) if self.raws else bytes(32)
        self.raws.append(key.record({0: self.seq, 1: prev, 2: self.cid, 3: time, 4: kind, 5: body}))

    def head_before(self, seq):
        return sha(self.raws[seq - 1]) if seq else bytes(32)

    def data(self):
        return b"".join(self.raws)


def resume_body(last_good, key):
    return {0: last_good, 1: 0, 2: sha(b""), 3: "power failure", 4: key.signer}


def pgp(b):
    even, odd = {}, {}
    with open(os.path.join(TOP, "data", "pgp-words.txt"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                hx, e, o = line.split()
                even[int(hx, 16)], odd[int(hx, 16)] = e, o
    return " ".join((even if i % 2 == 0 else odd)[x] for i, x in enumerate(b))


def tamper_other_cert():
    """A self-signed certificate of forge.py's own, PEM: not the ceremony's root."""
    import datetime
    from cryptography import x509 as cx509
    from cryptography.x509.oid import NameOID
    k = ec.derive_private_key(int.from_bytes(sha(b"forge.py other certificate"), "big") % (2**255), ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Not The Root")])
    t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    c = (cx509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
         .serial_number(1).not_valid_before(t).not_valid_after(t + datetime.timedelta(days=1)).sign(k, hashes.SHA256()))
    return c.public_bytes(serialization.Encoding.PEM)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print("wrote %-32s %6d bytes" % (name, len(data)))


# --------------------------------------------------------------------------
# Tamper vectors: one verifier check each (issue 9 item 6)
# --------------------------------------------------------------------------
# A small transcript of forge.py's own (tamper-base.cts: every kind, every optional
# key, a signed sign-off, a resume across a pending step) and copies of it that
# break exactly one rule each. A copy is re-signed and re-chained, so every other
# check still passes and only the one it is named for can find it; its line in
# EXPECTED pins the seq and a keyword of that check's message, so a verifier that
# loses the check fails tests/cli/t0300-vectors.sh (tests/mutate.sh proves it).


T0 = 1714550400000
TAMPER_CID = sha(b"forge.py tamper cid")[:16]
TAMPER_SCRIPT = (b"# tests/vectors/tamper-base.script: the script genesis of tamper-base.cts carries\n"
                 b"title: Tamper vectors\n"
                 b"steps:\n"
                 b"  - {id: generate, type: key.generate, curve: P-256}\n"
                 b"  - {id: sign, type: x509.sign}\n")
PUB = b"-----BEGIN PUBLIC KEY-----\nnot a real key, an artifact to hash\n-----END PUBLIC KEY-----\n"


class EdKey:
    """Ed25519 from a fixed seed (its signatures are deterministic by design)."""

    def __init__(self, label):
        from cryptography.hazmat.primitives.asymmetric import ed25519
        self.priv = ed25519.Ed25519PrivateKey.from_private_bytes(sha(("forge.py ed25519 " + label).encode()))
        self.spki = self.priv.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = sha(self.spki)
        self.alg = -8

    def sign(self, msg):
        return self.priv.sign(msg)


class As:
    """A key that says it is another alg, or an SPKI that is not a key at all."""

    def __init__(self, key, alg=None, spki=None, sign=None):
        self.alg = key.alg if alg is None else alg
        self.spki = key.spki if spki is None else spki
        self.kid = sha(self.spki)
        self._sign = sign or key.sign

    def sign(self, msg):
        return self._sign(msg)


Key.alg = -7


def rsa_1024_spki():
    """An RSA-1024 public key (a fixed odd modulus; nobody needs its private half)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    n = int.from_bytes(b"".join(sha(b"forge.py rsa %d" % i) for i in range(4)), "big") | (1 << 1023) | 1
    return rsa.RSAPublicNumbers(65537, n).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def signer_of(key, **over):
    """Genesis 4 / resume 4 for key; over as for setk (k3=...)."""
    return setk(**over)({0: key.kid, 1: key.spki, 2: key.alg, 3: "memory"})


def sign1(key, payload, hdr=None, prot=None, unprot=None, sig=None, tag=18, parts=None):
    """A COSE_Sign1 over payload (bytes), each part replaceable."""
    if prot is None:
        prot = enc(hdr if hdr is not None else {1: key.alg, 3: CONTENT_TYPE, 4: key.kid})
    if sig is None:
        sig = key.sign(enc(["Signature1", prot, b"", payload]))
    arr = [prot, {} if unprot is None else unprot, payload, sig]
    if parts:
        arr = parts(arr)
    return head(6, tag) + enc(arr)


class TWriter:
    """Writes the tamper base; h (a dict of hooks, by seq) changes one thing."""

    def __init__(self, h):
        self.h = h
        self.raws = []
        self.key = h.get("genesis_key", TKEY)

    @property
    def seq(self):
        return len(self.raws)

    def add(self, kind, body):
        h = self.h
        for extra_kind, extra_body in h.get("before", {}).get(self.seq, []):
            self._add(extra_kind, extra_body)
        return self._add(kind, body)

    def _add(self, kind, body):
        h, seq = self.h, self.seq
        if seq in h.get("replace", {}):
            kind, body = h["replace"][seq]
        if seq in h.get("body", {}):
            body = h["body"][seq](body)
        if seq in h.get("key_from", {}):
            self.key = h["key_from"][seq]
        prev = sha(self.raws[-1]) if self.raws else bytes(32)
        entry = {0: seq, 1: prev, 2: TAMPER_CID, 3: T0 + 1000 * seq, 4: kind, 5: body}
        if seq in h.get("entry", {}):
            entry = h["entry"][seq](entry)
        payload = enc(entry)
        if seq in h.get("payload", {}):
            payload = h["payload"][seq](payload)
        opts = dict(h.get("record", {}).get(seq, {}))
        raw = sign1(opts.pop("key", self.key), payload, **opts)
        if seq in h.get("raw", {}):
            raw = h["raw"][seq](raw)
        self.raws.append(raw)
        return seq


def signed_signoff(w, begin_seq, outputs, so_hook):
    """Sign-off by PART over the step at begin_seq (TRANSCRIPT.md signoff-payload)."""
    so = {0: "auditor", 1: "Bob Example", 2: "I checked the outputs", 3: T0 + 1500, 4: 1}
    key = so_hook.get("key", PART)
    payload = enc({0: TAMPER_CID, 1: begin_seq, 2: sha(w.raws[begin_seq]), 3: sha(enc(outputs)),
                   4: so[0], 5: so[1], 6: so[2]})
    cose = sign1(key, payload, **so_hook.get("record", {}))
    if "post" in so_hook:
        cose = so_hook["post"](cose)
    so[5], so[6] = cose, key.spki
    so.update(so_hook.get("after", {}))
    return so


def attested(role="witness", name="Alice Example", statement="I saw it done", t=T0 + 1200):
    return {0: role, 1: name, 2: statement, 3: t, 4: 0}


def tamper_base(h=None):
    """Records of the base (or of one tampered copy), as bytes."""
    h = h or {}
    w = TWriter(h)
    key = w.key
    w.add(GENESIS, {0: "ceremony-transcript/1", 1: "Tamper vectors: one check each", 2: sha(TAMPER_SCRIPT),
                    3: TAMPER_SCRIPT, 4: h.get("genesis_signer", signer_of(key)), 5: 1,
                    6: "forge.py (tests/vectors)", 7: sha(b"an earlier transcript's head"),
                    8: {"hostname": "vectors", "os": "Debian GNU/Linux 12"},
                    9: [{0: "root.csr", 1: sha(b"csr"), 2: 3}],
                    10: {"root": {"label": "root-2024", "serial": "0001"}}})
    b1 = w.add(STEP_BEGIN, {0: "generate", 1: 0, 2: "key.generate", 3: {"curve": "P-256", "label": "root-2024"},
                            4: "crypto-officer"})
    outputs = {"key_id": "01", "public_key_sha256": sha(PUB)}
    w.add(STEP_RESULT, {0: "generate", 1: b1, 2: 0, 3: outputs,
                        4: [{0: "key is not extractable", 1: False, 2: False, 3: True}],
                        5: [attested(), signed_signoff(w, b1, outputs, h.get("signoff", {}))],
                        6: [{0: "root.pub.pem", 1: sha(PUB), 2: len(PUB), 3: "application/x-pem-file", 4: PUB}],
                        7: {0: "Proceed to sign?", 1: "yes", 2: "sign"},
                        8: "all as planned",
                        9: {0: "none", 1: "no error"},
                        10: [attested("crypto-officer", "Carol Example", "the fingerprint shown is 01")],
                        11: [{0: "crypto-officer", 1: "Type the label", 2: "typed root-2O24", 3: T0 + 1300}],
                        12: [{0: "witness", 1: "Dave Example", 2: "arrived late", 3: T0 + 1400}]})
    w.add(CHECKPOINT, {0: "after key generation", 1: [attested()]})
    w.add(STEP_BEGIN, {0: "sign", 1: 1, 2: "x509.sign", 3: {}})
    w.add(RESUME, {0: 4, 1: 0, 2: sha(b""), 3: "power failure", 5: [attested()]})
    b6 = w.add(STEP_BEGIN, {0: "sign", 1: 1, 2: "x509.sign", 3: {}})
    w.add(STEP_RESULT, h.get("result7", {0: "sign", 1: b6, 2: 1, 3: {}, 8: "the signing token was not found"}))
    w.add(SEAL, {0: 0, 1: {"passed": 1, "failed": 1, "skipped": 0, "aborted": 0, "deviation": 0, "steps_run": 2,
                           "last_step": "sign"}, 2: [attested()]})
    for kind, body in h.get("after", []):
        w._add(kind, body)
    return w.raws


def upd(**kv):
    """A body hook setting keys (int keys as k0..k12)."""
    def f(b):
        b = dict(b)
        for k, v in kv.items():
            b[int(k[1:])] = v
        return b
    return f


def drop(*ks):
    def f(b):
        return {k: v for k, v in b.items() if k not in ks}
    return f


def sub(key, fn):
    """A body hook applying fn to body[key] (a copy)."""
    def f(b):
        b = dict(b)
        b[key] = fn(b[key])
        return b
    return f


def first(fn):
    """fn applied to element 0 of a list."""
    return lambda a: [fn(dict(a[0]))] + a[1:]


def second(fn):
    return lambda a: [a[0], fn(dict(a[1]))] + a[2:]


def setk(**kv):
    def f(m):
        m = dict(m)
        for k, v in kv.items():
            m[int(k[1:])] = v
        return m
    return f


def widen_sig(raw):
    """The signature's bstr head 58 40 written 59 00 40 (not the shortest form)."""
    i = raw.rindex(b"\x58\x40")
    assert i == len(raw) - 66
    return raw[:i] + b"\x59\x00\x40" + raw[i + 2:]


def indefinite(raw):
    """The record's array of 4 written with an indefinite length."""
    assert raw[:2] == b"\xd2\x84"
    return b"\xd2\x9f" + raw[2:] + b"\xff"


def flip_last(raw):
    return raw[:-1] + bytes([raw[-1] ^ 1])


def torn_embedding(embedded):
    """Record 7 carries an artifact whose content is a whole record (embedded(raws)),
    and the file ends inside record 7, just after that embedded record."""
    def hooks():
        holder = {}

        def result7_body(b):
            inner = embedded(holder["raws"])
            holder["inner"] = inner
            b = dict(b)
            b[6] = [{0: "record.cts", 1: sha(inner), 2: len(inner), 4: inner}]
            return b
        return holder, result7_body

    holder, f = hooks()

    def build():
        # two passes: the embedded record may be one of the base's own
        holder["raws"] = tamper_base()
        raws = tamper_base({"body": {7: f}})
        inner = holder["inner"]
        at = raws[7].index(inner) + len(inner)
        cut = b"".join(raws[:7]) + raws[7][:at + 1]
        assert cut[-1] != 0
        return cut, len(b"".join(raws[:7]))
    return build


def other_ceremony_record(raws):
    """A whole record of another ceremony, seq 9 (after the torn record's 7)."""
    return sign1(TKEY, enc({0: 9, 1: bytes(32), 2: sha(b"another ceremony")[:16], 3: T0, 4: CHECKPOINT,
                            5: {0: "elsewhere"}}))


TKEY = Key("tamper")
PART = Key("tamper participant")
NEWKEY = Key("tamper new signer")
EDPART = EdKey("tamper participant")
RESIGN = {"key_from": {5: NEWKEY}}   # the records from the resume at 5 on signed by NEWKEY
SO1 = 5   # step-result key 5: [attested, signed]
FLOAT_1_5 = Raw(b"\xf9\x3e\x00")


def tamper_list():
    """(file, code, ERE, hooks) for each tamper vector; ERE pins seq and reason."""
    ed = EdKey("tamper ed25519 as es256")
    p256_as_es384 = As(TKEY, alg=-35)
    rsa = As(TKEY, alg=-37, spki=rsa_1024_spki(), sign=lambda m: b"\x01" * 128)
    junk = As(TKEY, spki=b"not a SubjectPublicKeyInfo")
    trailing_spki = As(TKEY, spki=TKEY.spki + b"\x00")
    alg_liar = As(TKEY, alg=-35)
    t = []

    def v(name, code, ere, **h):
        t.append(("tamper-" + name + ".cts", code, ere, h))

    def g(name, ere, hook):          # genesis body
        v(name, 1, "^INVALID at seq 0: .*" + ere, body={0: hook})

    def rec2(name, ere, **opts):      # record 2's COSE_Sign1
        v(name, 1, "^INVALID at seq 2: " + ere, record={2: opts})

    def sr(name, ere, hook):          # the step-result at seq 2
        v(name, 1, "^INVALID at seq 2: .*" + ere, body={2: hook})

    # COSE_Sign1 and its headers (cose.c)
    rec2("cose-tag17", r"record is not a COSE_Sign1 \(tag 18\)", tag=17)
    rec2("cose-array3", "COSE_Sign1 is not an array of 4", parts=lambda a: a[:3])
    rec2("cose-payload-map", ".*must be byte strings", parts=lambda a: [a[0], a[1], Raw(a[2]), a[3]])
    rec2("cose-unprotected", "unprotected header is not the empty map", unprot={4: TKEY.kid})
    rec2("prot-extra-key", r"protected header is not a map of exactly \{1, 3, 4\}",
         hdr={1: -7, 3: CONTENT_TYPE, 4: TKEY.kid, 5: "x"})
    rec2("prot-no-content-type", r"protected header is not a map of exactly \{1, 3, 4\}",
         hdr={1: -7, 2: CONTENT_TYPE, 4: TKEY.kid})
    rec2("prot-trailing", "trailing bytes after the protected header",
         prot=enc({1: -7, 3: CONTENT_TYPE, 4: TKEY.kid}) + b"\x00")
    rec2("prot-nondeterministic", "protected header: not deterministic",   # the kid's length as 59 00 20
         prot=b"\xa3\x01\x26\x03" + enc(CONTENT_TYPE) + b"\x04\x59\x00\x20" + TKEY.kid)
    rec2("alg-uint", "protected header alg is not a listed algorithm", hdr={1: 7, 3: CONTENT_TYPE, 4: TKEY.kid})
    rec2("alg-unlisted", "algorithm -9 is not on the list", hdr={1: -9, 3: CONTENT_TYPE, 4: TKEY.kid})
    rec2("content-type", "content type is not 'application/ceremony-entry\\+cbor'",
         hdr={1: -7, 3: "application/cbor", 4: TKEY.kid})
    rec2("kid-31-bytes", "kid is not a 32-byte byte string", hdr={1: -7, 3: CONTENT_TYPE, 4: TKEY.kid[:31]})
    rec2("ecdsa-63-bytes", r"ECDSA signature is 63 bytes, expected 64 \(r \|\| s\)",
         sig=TKEY.sign(b"whatever")[:63])
    v("genesis-kid", 1, "^INVALID at seq 0: kid does not match the signer's key",
      record={0: {"hdr": {1: -7, 3: CONTENT_TYPE, 4: PART.kid}}})
    v("genesis-signature", 1, "^INVALID at seq 0: ES256 signature does not verify", raw={0: flip_last})
    v("spki-junk", 1, "^INVALID at seq 0: parsing the signer's SubjectPublicKeyInfo",
      genesis_key=junk, genesis_signer=signer_of(junk))
    v("spki-trailing", 1, "^INVALID at seq 0: trailing bytes after the signer's SubjectPublicKeyInfo",
      genesis_key=trailing_spki, genesis_signer=signer_of(trailing_spki))
    ed_as_es256 = As(ed, alg=-7)
    v("key-type", 1, "^INVALID at seq 0: signer key is not a EC key as ES256 needs",
      genesis_key=ed_as_es256, genesis_signer=signer_of(ed_as_es256))
    v("key-curve", 1, r"^INVALID at seq 0: signer key is not on the curve ES384 needs \(secp384r1\)",
      genesis_key=p256_as_es384, genesis_signer=signer_of(p256_as_es384))
    v("rsa-1024", 1, "^INVALID at seq 0: RSA key of 1024 bits is below 2048",
      genesis_key=rsa, genesis_signer=signer_of(rsa))
    v("alg-differs", 1, "^INVALID at seq 0: record alg differs from the signer's declared alg",
      genesis_signer=signer_of(alg_liar))

    # Deterministic CBOR (dcbor.c): the record, the payload
    v("record-nondeterministic", 1, "^INVALID at seq 2: record: not deterministic", raw={2: widen_sig})
    v("record-indefinite", 1, "^INVALID at seq 2: record: indefinite length", raw={2: indefinite})
    v("malformed-tail", 1, "^INVALID at seq 8: record: malformed", raw={8: lambda r: b"\xd2\x84\xfc\x01"})
    v("payload-trailing", 1, "^INVALID at seq 2: payload: trailing bytes after the entry",
      payload={2: lambda p: p + b"\x00"})
    params = lambda x: {1: sub(3, lambda p: dict(p, x=x))}   # noqa: E731
    v("float", 1, "^INVALID at seq 1: payload: floating-point value", body=params(FLOAT_1_5))
    v("undefined", 1, "^INVALID at seq 1: payload: undefined value", body=params(Raw(b"\xf7")))
    v("simple-value", 1, "^INVALID at seq 1: payload: simple value 16", body=params(Raw(b"\xf0")))
    v("tag-inside", 1, "^INVALID at seq 1: payload: tag 99 inside an item", body=params(Raw(b"\xd8\x63\x01")))
    v("utf8", 1, "^INVALID at seq 1: payload: text string is not valid UTF-8", body=params(Raw(b"\x62\xc3\x28")))
    v("duplicate-key", 1, "^INVALID at seq 1: payload: duplicate map key",
      body={1: sub(3, lambda p: Pairs([("x", 1), ("x", 1)]))})
    v("mixed-keys", 1, "^INVALID at seq 1: payload: map mixes unsigned integer and text string keys",
      body={1: sub(3, lambda p: Pairs([(1, "a"), ("b", "c")]))})
    v("bstr-key", 1, "^INVALID at seq 1: payload: map key is neither an unsigned integer nor a text string",
      body={1: sub(3, lambda p: Pairs([(b"x", "y")]))})

    # Shapes (transcript.c check_entry), by kind
    v("entry-unknown-key", 1, "^INVALID at seq 1: .*entry has unknown key 6", entry={1: setk(k6=0)})
    v("entry-types", 1, "^INVALID at seq 1: .*entry has a value of the wrong type",
      entry={1: setk(k2=TAMPER_CID[:15])})
    v("entry-not-map", 1, "^INVALID at seq 1: .*entry is not a map", payload={1: lambda p: enc([1, 2])})
    v("kind-6", 1, "^INVALID at seq 3: .*unknown kind 6", entry={3: setk(k4=6)})
    g("genesis-unknown-key", "genesis has unknown key 11", upd(k11="x"))
    g("genesis-format", "genesis format is not 'ceremony-transcript/1'", upd(k0="ceremony-transcript/2"))
    g("genesis-types", "genesis has a value of the wrong type", upd(k5=2))
    g("genesis-script-hash", "genesis script does not hash to script-sha256", upd(k2=sha(b"another script")))
    g("signer-unknown-key", "genesis signer has unknown key 4", sub(4, setk(k4="x")))
    g("signer-kid-size", "genesis signer kid must be bstr 32 and SPKI a bstr", sub(4, setk(k0=TKEY.kid[:31])))
    g("signer-alg-text", "genesis signer alg is not an integer", sub(4, setk(k2="ES256")))
    g("signer-location", "genesis signer location is not text", sub(4, setk(k3=7)))
    bad_kid = bytes([TKEY.kid[0] ^ 1]) + TKEY.kid[1:]
    v("signer-kid-spki", 1, "^INVALID at seq 0: .*genesis signer kid is not the SHA-256 of its SPKI",
      body={0: sub(4, setk(k0=bad_kid))}, record={0: {"hdr": {1: -7, 3: CONTENT_TYPE, 4: bad_kid}}})
    g("host-keys", "genesis host is not a map of text", upd(k8={1: "x"}))
    g("host-values", "genesis host is not a map of text", upd(k8={"os": 12}))
    g("tokens-keys", "genesis tokens is not a map of text", upd(k10={1: {}}))
    g("tokens-inner-keys", "genesis tokens is not a map of text to maps of text", upd(k10={"root": {1: "x"}}))
    g("tokens-inner-values", "genesis tokens is not a map of text to maps of text", upd(k10={"root": {"x": 1}}))
    g("inputs-array", "genesis inputs is not an array", upd(k9={}))
    g("input-unknown-key", "genesis input has unknown key 3", sub(9, first(setk(k3="x"))))
    g("input-types", "genesis input 0 has a value of the wrong type", sub(9, first(setk(k2="3"))))
    v("begin-not-map", 1, "^INVALID at seq 1: .*step-begin is not a map", body={1: lambda b: ["generate"]})
    v("begin-unknown-key", 1, "^INVALID at seq 1: .*step-begin has unknown key 5", body={1: upd(k5="x")})
    v("begin-types", 1, "^INVALID at seq 1: .*step-begin has a value of the wrong type", body={1: upd(k4=7)})
    sr("result-unknown-key", "step-result has unknown key 13", upd(k13="x"))
    sr("result-text-keys", "step-result has a key that is not an unsigned integer",
       lambda b: {"step": "generate", "outcome": 0})
    sr("result-lacks-key", "step-result lacks key 3", drop(3))
    sr("result-types", "step-result has a value of the wrong type", upd(k2=5))
    sr("checks-array", "step-result checks is not an array", upd(k4={}))
    sr("check-unknown-key", "check has unknown key 4", sub(4, first(setk(k4="x"))))
    sr("check-types", "check 0 has a value of the wrong type", sub(4, first(setk(k3=1))))
    sr("signoffs-array", "signoffs is not an array", upd(k5={}))
    sr("signoff-unknown-key", "signoff has unknown key 7", sub(SO1, first(setk(k7="x"))))
    sr("signoff-types", "signoff 0 has a value of the wrong type", sub(SO1, first(setk(k4=2))))
    sr("signoff-signed-lacks-key", r"signoff 1 is signed \(method 1\) but lacks", sub(SO1, second(drop(6))))
    sr("signoff-attested-carries", r"signoff 0 is attested \(method 0\) but carries a signature",
       sub(SO1, first(setk(k5=b"x", k6=b"y"))))
    sr("artifacts-array", "artifacts is not an array", upd(k6={}))
    sr("artifact-unknown-key", "artifact has unknown key 5", sub(6, first(setk(k5="x"))))
    sr("artifact-types", "artifact 0 has a value of the wrong type", sub(6, first(setk(k0=1))))
    sr("artifact-size", "artifact 0 size %d differs from its content" % (len(PUB) + 1),
       sub(6, first(setk(k2=len(PUB) + 1))))
    sr("artifact-hash", "artifact 0 content does not hash to its sha256", sub(6, first(setk(k1=sha(b"other")))))
    sr("decision-unknown-key", "decision has unknown key 3", sub(7, setk(k3="x")))
    sr("decision-types", "decision has a value of the wrong type", sub(7, setk(k1=1)))
    sr("error-unknown-key", "error has unknown key 2", sub(9, setk(k2="x")))
    sr("error-types", "error has a value of the wrong type", sub(9, setk(k0=1)))
    sr("confirmation-types", "signoff 0 has a value of the wrong type", sub(10, first(setk(k0=1))))
    sr("confirmation-signed", r"confirmation 0 is not attested \(method 0\)",
       sub(10, first(setk(k4=1, k5=b"x", k6=b"y"))))
    sr("attempts-array", "step-result attempts is not an array", upd(k11={}))
    sr("attempt-unknown-key", "attempt has unknown key 4", sub(11, first(setk(k4="x"))))
    sr("attempt-types", "attempt 0 has a value of the wrong type", sub(11, first(setk(k3="now"))))
    sr("refusal-types", "refusal 0 has a value of the wrong type", sub(12, first(setk(k1=1))))
    v("checkpoint-lacks-label", 1, "^INVALID at seq 3: .*checkpoint lacks key 0", body={3: drop(0)})
    v("checkpoint-unknown-key", 1, "^INVALID at seq 3: .*checkpoint has unknown key 2", body={3: upd(k2="x")})
    v("checkpoint-label", 1, "^INVALID at seq 3: .*checkpoint label is not text", body={3: upd(k0=7)})
    v("checkpoint-signoff", 1, "^INVALID at seq 3: .*signoff 0 has a value of the wrong type",
      body={3: sub(1, first(setk(k3="noon")))})
    v("checkpoint-signed-signoff", 1, r"^INVALID at seq 3: a signed sign-off \(method 1\) belongs in a step-result",
      body={3: sub(1, first(setk(k4=1, k5=b"x", k6=b"y")))})
    v("resume-unknown-key", 1, "^INVALID at seq 5: .*resume has unknown key 6", body={5: upd(k6="x")})
    v("resume-types", 1, "^INVALID at seq 5: .*resume has a value of the wrong type", body={5: upd(k3=7)})
    v("resume-signoff", 1, "^INVALID at seq 5: .*signoff 0 has a value of the wrong type",
      body={5: sub(5, first(setk(k1=7)))})
    v("resume-signer-location", 1, "^INVALID at seq 5: .*resume signer location is not text",
      body={5: upd(k4=signer_of(NEWKEY, k3=7))}, **RESIGN)
    v("seal-unknown-key", 1, "^INVALID at seq 8: .*seal has unknown key 3", body={8: upd(k3="x")})
    v("seal-types", 1, "^INVALID at seq 8: .*seal has a value of the wrong type", body={8: upd(k0=3)})
    v("seal-signoff", 1, "^INVALID at seq 8: .*signoff 0 has a value of the wrong type",
      body={8: sub(2, first(setk(k2=7)))})
    v("summary-not-count", 1, "^INVALID at seq 8: the seal's summary 'passed' is not a count",
      body={8: sub(1, lambda s: dict(s, passed="1"))})

    # The chain, the order, the signer
    v("first-not-genesis", 1, "^INVALID at seq 0: record 0 is not genesis",
      replace={0: (RESUME, {0: 0, 1: 0, 2: sha(b""), 3: "no genesis", 4: signer_of(TKEY)})})
    v("genesis-again", 1, "^INVALID at seq 1: genesis after record 0",
      before={1: [(GENESIS, {0: "ceremony-transcript/1", 1: "again", 2: sha(b""), 3: b"", 4: signer_of(TKEY),
                             5: 1, 6: "forge.py"})]})
    v("resume-not-signed-by-new", 1, "^INVALID at seq 5: resume names a new signer but is not signed by it",
      body={5: upd(k4=signer_of(NEWKEY))})
    v("genesis-prev", 1, "^INVALID at seq 0: prev is not the SHA-256 of the previous record",
      entry={0: setk(k1=sha(b"x"))})
    v("prev", 1, "^INVALID at seq 4: prev is not the SHA-256 of the previous record", entry={4: setk(k1=bytes(32))})
    v("cid", 1, r"^INVALID at seq 4: ceremony id changed", entry={4: setk(k2=sha(b"other")[:16])})
    v("time", 1, "^INVALID at seq 4: time decreases", entry={4: setk(k3=T0 + 2999)})
    v("step-begin-pending", 1, r"^INVALID at seq 5: step-begin while step 'sign' \(seq 4\) has no result",
      replace={5: (STEP_BEGIN, {0: "other", 1: 1, 2: "x509.sign", 3: {}})})
    v("result-names-other-begin", 1, "^INVALID at seq 7: step-result names seq 4, which is not the step-begin",
      result7={0: "sign", 1: 4, 2: 1, 3: {}})
    v("result-step-id", 1, "^INVALID at seq 7: step-result step id differs from its step-begin",
      result7={0: "generate", 1: 6, 2: 1, 3: {}})
    v("two-seals", 1, "^INVALID at seq 9: data after the seal", after=[(SEAL, {0: 0, 1: {}})])

    # Signed sign-offs (transcript.c verify_signoffs), sign-off 1 of the step-result at 2
    so = "^INVALID at seq 2: signed sign-off 1: "
    v("signoff-cose-malformed", 1, so + "its COSE_Sign1: ", signoff={"post": lambda c: b"\xd2\x84\xfc\x01"})
    v("signoff-cose-trailing", 1, so + "trailing bytes after its COSE_Sign1", signoff={"post": lambda c: c + b"\x00"})
    v("signoff-signature", 1, so + "ES256 signature does not verify", signoff={"post": flip_last})
    v("signoff-kid", 1, so + "kid does not match the signer's key",
      signoff={"record": {"hdr": {1: -7, 3: CONTENT_TYPE, 4: TKEY.kid}}})
    v("signoff-alg", 1, so + "alg -8 is not ES256 or ES384", signoff={"key": EDPART})
    v("signoff-covers", 1, so + "its signature does not cover this sign-off", signoff={"after": {2: "I did not"}})

    # Torn tails whose record embeds a whole record: of this ceremony but not after
    # the torn one, or after it but of another ceremony. Neither shows damage.
    v("torn-embeds-earlier-record", 4, "^INCOMPLETE.*torn tail at byte offset %d", build=torn_embedding(
        lambda raws: raws[1]))
    v("torn-embeds-other-ceremony", 4, "^INCOMPLETE.*torn tail at byte offset %d", build=torn_embedding(
        other_ceremony_record))
    return t


def tamper_vectors(facts):
    base = b"".join(tamper_base())
    write("tamper-base.cts", base)
    with open(os.path.join(HERE, "tamper-base.script"), "wb") as f:
        f.write(TAMPER_SCRIPT)
    lines = ["tamper-base.cts 0 ^VALID$",
             "tamper-base.cts 0 ^VALID$ -- --script \"$V/tamper-base.script\" --kid %s" % TKEY.kid.hex(),
             "tamper-base.cts 1 ^INVALID at seq 0: .*script.* does not match script-sha256 -- --script \"$V/forge.py\"",
             "tamper-base.cts 1 ^INVALID at seq 9: anchor 9 .*beyond -- --anchor 9:%s" % sha(b"x").hex()]
    for name, code, ere, h in tamper_list():
        if "build" in h:
            data, off = h["build"]()
            ere = ere % off
        else:
            data = b"".join(tamper_base(h))
        assert data != base
        # a bad last record ending in 0x00 would read as a torn tail: keep clear
        assert data[-1] != 0, name
        write(name, data)
        lines.append("%s %d %s" % (name, code, ere))
    facts["tamper base kid"] = TKEY.kid.hex()
    return lines


# --------------------------------------------------------------------------
# The forgeries
# --------------------------------------------------------------------------


def main():
    recs = read_records(SOURCE)
    assert len(recs) == 41 and recs[CHECKPOINT_SEQ].kind == CHECKPOINT and recs[-1].kind == SEAL
    cid = recs[0].cid
    facts = {}

    # forged-resume: cut after the checkpoint, resume to the forger's key, the
    # remaining steps re-signed with one value rewritten, an honest seal.
    forger = Key("forger")
    w = Writer(cid)
    for r in recs[:CHECKPOINT_SEQ + 1]:
        w.copy(r)
    resume_seq = w.seq
    w.add(forger, recs[CHECKPOINT_SEQ].time, RESUME, resume_body(CHECKPOINT_SEQ, forger))
    rewritten = False
    for r in recs[CHECKPOINT_SEQ + 1:]:
        body = dict(r.body)
        if r.kind == STEP_RESULT:
            if body[1] > CHECKPOINT_SEQ:
                body[1] += 1          # its step-begin moved one on
            if "safe_location" in body[3]:
                body[3] = dict(body[3], safe_location="Locker 7, Station Road left luggage")
                rewritten = True
        w.add(forger, r.time, r.kind, body)
    assert rewritten
    write("forged-resume.cts", w.data())
    facts["forged-resume: resume seq"] = resume_seq
    facts["forged-resume: head before %d" % resume_seq] = w.head_before(resume_seq).hex()
    facts["forged-resume: head before 38"] = w.head_before(38).hex()
    facts["forged-resume: head before 38 (words)"] = pgp(w.head_before(38))
    # the same, the power cut "during" the power-down step: no seal
    write("forged-resume-no-seal.cts", b"".join(w.raws[:39]))

    # forged-empty-seal: genesis, resume to a new key, a seal with no steps
    # behind it claiming the ceremony's 19 passed steps; and an honest variant.
    empty = Key("forger-empty-seal")
    seal = recs[-1]
    for name, summary in (("forged-empty-seal.cts", {"failed": 0, "last_step": "closing", "passed": 19, "steps_run": 19}),
                          ("forged-empty-seal-honest.cts", {"failed": 0, "passed": 0, "steps_run": 0})):
        w = Writer(cid)
        w.copy(recs[0])
        w.add(empty, recs[0].time, RESUME, resume_body(0, empty))
        w.add(empty, seal.time, SEAL, {0: 0, 1: summary})
        write(name, w.data())

    # resigned-genesis: the whole rehearsal signed again from genesis by a key of
    # the forger's; lying-summary: the same with the seal's "passed" a lie.
    resigner = Key("resigner")
    for name, lie in (("resigned-genesis.cts", False), ("lying-summary.cts", True)):
        w = Writer(cid)
        for r in recs:
            body = dict(r.body)
            if r.kind == GENESIS:
                body[4] = resigner.signer
            if r.kind == SEAL and lie:
                body[1] = dict(body[1], passed=body[1]["passed"] + 1)
            w.add(resigner, r.time, r.kind, body)
        data = w.data()
        # A bad last record ending in 0x00 would read as a torn tail: keep clear.
        assert data[-1] != 0
        write(name, data)

    # Content vectors (issue 13): every record re-signed and well formed, each with
    # one lie about what the records contain, which only the checks of what they
    # contain (runner/ts_contents.c) can find.
    #   content-bad-cert-signature: the root certificate's signature altered, its
    #     record's hash and size, its PEM twin and the SHA-256 the steps show all
    #     made to match: only the certificate's own signature tells;
    #   content-fingerprint-lie: the fingerprint step shows another SHA-256;
    #   content-pem-twin: the PEM twin of the certificate holds another certificate.
    from cryptography import x509 as cx509
    def cert_step(body):
        return body.get(0) == "root-cert" and any(a[0] == "certificate" for a in body.get(6, []))

    def pem_of(der):
        return cx509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)

    orig = next(r for r in recs if r.kind == STEP_RESULT and cert_step(r.body))
    der = next(a[4] for a in orig.body[6] if a[0] == "certificate")
    bad = bytearray(der)
    bad[-3] ^= 0x01   # inside the ECDSA signature's last INTEGER: still DER, no longer valid
    bad = bytes(bad)
    other = tamper_other_cert()
    for name in ("content-bad-cert-signature.cts", "content-fingerprint-lie.cts", "content-pem-twin.cts"):
        w = Writer(cid)
        for r in recs:
            body = dict(r.body)
            if r.kind == GENESIS:
                body[4] = resigner.signer
            if r.kind == STEP_RESULT and name == "content-bad-cert-signature.cts":
                arts = []
                for a in body.get(6, []):
                    a = dict(a)
                    if a[4] == der:
                        a[4], a[1], a[2] = bad, sha(bad), len(bad)
                    elif body[0] == "root-cert" and a[0] == "certificate_pem":
                        a[4] = pem_of(bad)
                        a[1], a[2] = sha(a[4]), len(a[4])
                    arts.append(a)
                if arts:
                    body[6] = arts
                if body[3].get("sha256") == sha(der).hex():
                    body[3] = dict(body[3], sha256=sha(bad).hex())
            if r.kind == STEP_RESULT and name == "content-fingerprint-lie.cts" and body[0] == "root-fingerprint":
                body[3] = dict(body[3], sha256=sha(b"another certificate").hex())
            if r.kind == STEP_RESULT and name == "content-pem-twin.cts" and cert_step(body):
                arts = []
                for a in body[6]:
                    a = dict(a)
                    if a[0] == "certificate_pem":
                        a[4] = other
                        a[1], a[2] = sha(other), len(other)
                    arts.append(a)
                body[6] = arts
            w.add(resigner, r.time, r.kind, body)
        data = w.data()
        assert data[-1] != 0
        write(name, data)

    # Power cuts: the file extended over the seal's length but the data not
    # written (all zeros, or the first 20 bytes then zeros); and zeros in the
    # middle of a record, followed by more records (not a tail: INVALID).
    cut = b"".join(r.raw for r in recs[:40])
    n = len(recs[40].raw)
    write("zero-filled-tail.cts", cut + bytes(n))
    write("zero-after-prefix.cts", cut + recs[40].raw[:20] + bytes(n - 20))
    facts["torn tail offset (after record 39)"] = len(cut)
    data = bytearray(b"".join(r.raw for r in recs))
    start = len(b"".join(r.raw for r in recs[:20]))
    mid = start + len(recs[20].raw) // 2
    data[mid - 20:mid + 20] = bytes(40)
    write("zeros-in-middle.cts", bytes(data))
    # A payload length made longer than the rest of the file: the record reads as
    # cut short, but the records it swallows show it was damaged, not torn (INVALID).
    def payload_at(raw):
        # d2 84, the protected bstr (58 LL ...), the empty unprotected map a0, then the payload
        assert raw[:3] == b"\xd2\x84\x58" and raw[4 + raw[3]] == 0xa0
        return 5 + raw[3]
    k = next(i for i in range(10, len(recs)) if recs[i].raw[payload_at(recs[i].raw)] == 0x59)
    data = bytearray(b"".join(r.raw for r in recs))
    start = len(b"".join(r.raw for r in recs[:k]))
    at = payload_at(recs[k].raw)
    data[start + at + 1:start + at + 3] = b"\xff\xff"
    assert len(data) < 0xffff
    facts["inflated-length record"] = k
    write("inflated-length.cts", bytes(data))
    # zeros after the seal: nothing follows a seal, not even zero fill
    write("zeros-after-seal.cts", b"".join(r.raw for r in recs) + bytes(64))

    facts["original genesis kid"] = recs[0].body[4][0].hex()
    facts["original genesis kid (words)"] = pgp(recs[0].body[4][0])
    facts["checkpoint prev (head before 34)"] = recs[CHECKPOINT_SEQ].prev.hex()
    facts["checkpoint prev (words)"] = pgp(recs[CHECKPOINT_SEQ].prev)
    facts["forger kid"] = forger.kid.hex()
    facts["forger kid (words)"] = pgp(forger.kid)
    facts["empty-seal forger kid"] = empty.kid.hex()
    facts["resigner kid"] = resigner.kid.hex()
    lines = tamper_vectors(facts)
    for k, v in facts.items():
        print("%s: %s" % (k, v))
    print("EXPECTED lines of the tamper vectors:")
    for line in lines:
        print(line)


if __name__ == "__main__":
    sys.exit(main())
