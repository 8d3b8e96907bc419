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

Run by hand from the top of the repository (not by make check); the vectors it
writes are committed:

    /usr/bin/python3 tests/vectors/forge.py

The keys are derived from fixed labels and the signatures use RFC 6979 nonces, so
a rerun writes the same bytes. It prints the kids and heads EXPECTED uses.
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


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | ai]) + n.to_bytes(width, "big")
    raise ValueError("integer too large")


def enc(v):
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


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print("wrote %-32s %6d bytes" % (name, len(data)))


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
    for k, v in facts.items():
        print("%s: %s" % (k, v))


if __name__ == "__main__":
    sys.exit(main())
