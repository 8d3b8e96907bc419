#!/usr/bin/env python3
"""verify_cts: an independent verifier of `ceremony-transcript/1` files.

Written only from TRANSCRIPT.md (the normative format, in the design notes), in
Python with python3-cbor2 and python3-cryptography, sharing no code with the C
implementation, so that two readings of the format must agree on the verdicts
of tests/vectors/.

usage: verify_cts.py FILE [--script S] [--anchor SEQ:HEAD]... [--kid KID]...

HEAD and KID are 32 bytes from the paper log, as 64 hex digits (spaces allowed)
or as 32 PGP words (even-position words for bytes at even positions). An anchor
SEQ:HEAD says HEAD is the head before record SEQ. Every --kid must be the kid of
a signer of the file. A signer change at a resume record R is vouched for by an
anchor with SEQ > R or by --kid with the new signer's kid; without either the
verdict is UNANCHORED.

Prints the verdict first ("VALID", "VALID, ABORTED", "INCOMPLETE (why)",
"INVALID at seq N: reason", "UNANCHORED from seq R: reason"), then records,
head and each signer with the records it signed.
Exit status: 0 VALID, 3 VALID but aborted or halted, 4 INCOMPLETE,
5 UNANCHORED, 1 INVALID, 2 unreadable or bad usage.
"""

import base64
import hashlib
import os
import re
import sys

import cbor2
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

CONTENT_TYPE = "application/ceremony-entry+cbor"
FORMAT = "ceremony-transcript/1"

# alg -> (name, kind, hash, curve name, bytes per ECDSA coordinate)
ALGS = {
    -7: ("ES256", "ec", hashes.SHA256, "secp256r1", 32),
    -35: ("ES384", "ec", hashes.SHA384, "secp384r1", 48),
    -36: ("ES512", "ec", hashes.SHA512, "secp521r1", 66),
    -8: ("EdDSA", "ed25519", None, None, 0),
    -37: ("PS256", "pss", hashes.SHA256, None, 0),
}
OPENSSL_GROUP = {"secp256r1": "prime256v1", "secp384r1": "secp384r1", "secp521r1": "secp521r1"}

GENESIS, STEP_BEGIN, STEP_RESULT, CHECKPOINT, RESUME, SEAL = range(6)


class Bad(Exception):
    """The record at hand breaks the format: INVALID."""


class Torn(Exception):
    """The data ends inside an item: a torn tail."""


# --------------------------------------------------------------------------
# CBOR: item boundaries, and the deterministic-encoding rule
# --------------------------------------------------------------------------

def item_end(b, off, top_tag=True):
    """Offset just past the CBOR item starting at b[off]. Raises Torn when the
    data ends inside it before anything malformed was seen (a crash mid-write
    leaves a prefix of a good record), and Bad when it is malformed, uses an
    indefinite length (never deterministic) or has a tag anywhere but at its top
    (the only tag of the format is the record's 18; none at all when not top_tag).
    Byte offsets in messages count from the item's first byte."""
    start = off
    pending = 1
    while pending:
        pending -= 1
        if off >= len(b):
            raise Torn()
        head_at = off
        ib = b[off]
        major, ai = ib >> 5, ib & 31
        off += 1
        if ai < 24:
            arg = ai
        elif ai < 28:
            n = 1 << (ai - 24)
            if off + n > len(b):
                raise Torn()
            arg = int.from_bytes(b[off:off + n], "big")
            off += n
        elif ai == 31 and 2 <= major <= 5:
            raise Bad("indefinite length at byte %d" % (head_at - start))
        else:
            raise Bad("malformed initial byte 0x%02x at byte %d" % (ib, head_at - start))
        if major in (2, 3):
            if off + arg > len(b):
                raise Torn()
            off += arg
        elif major == 4:
            pending += arg
        elif major == 5:
            pending += 2 * arg
        elif major == 6:
            if head_at != start or not top_tag:
                raise Bad("tag %d inside an item" % arg)
            pending += 1
    return off


def head_of(b, off):
    """(major, argument, offset after the head) of the well-formed item at b[off]."""
    ib = b[off]
    major, ai = ib >> 5, ib & 31
    if ai < 24:
        return major, ai, off + 1
    n = 1 << (ai - 24)
    return major, int.from_bytes(b[off + 1:off + 1 + n], "big"), off + 1 + n


def no_duplicate_keys(b):
    """A map may not repeat a key (RFC 8949 §5.6; cbor2 would keep the last one and
    the re-encoding would only say 'not deterministic'). b is one well-formed item
    whose map keys are uints or tstrs (check_value has seen it), so a key's
    encoding is its head and, for a tstr, its text."""
    off = 0
    stack = [[1, None]]   # per open container: items left, keys seen (maps) or None
    while stack:
        top = stack[-1]
        if top[0] == 0:
            stack.pop()
            continue
        is_key = top[1] is not None and top[0] % 2 == 0
        top[0] -= 1
        at = off
        major, arg, off = head_of(b, off)
        if major in (2, 3):
            off += arg
        if is_key:
            k = b[at:off]
            if k in top[1]:
                raise Bad("duplicate map key")
            top[1].add(k)
        if major == 4:
            stack.append([arg, None])
        elif major == 5:
            stack.append([2 * arg, set()])
        elif major == 6:
            stack.append([1, None])


def check_value(v, top_tag):
    """Only what the format allows: uint, negative int, bstr, tstr, bool, null,
    arrays, and maps keyed all by uints or all by tstrs; no tags inside."""
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, int):
        if not -(1 << 64) <= v < (1 << 64):
            raise Bad("integer out of range (bignum)")
        return
    if isinstance(v, (bytes, str)):
        return
    if isinstance(v, list):
        for x in v:
            check_value(x, False)
        return
    if isinstance(v, dict):
        ks = list(v.keys())   # in the order they were encoded
        if ks:
            uint = type(ks[0]) is int and ks[0] >= 0
            if not uint and type(ks[0]) is not str:
                raise Bad("map key is neither an unsigned integer nor a text string")
            for k in ks:
                if (type(k) is int and k >= 0) != uint or (not uint and type(k) is not str):
                    raise Bad("map mixes unsigned integer and text string keys")
        for x in v.values():
            check_value(x, False)
        return
    if isinstance(v, cbor2.CBORTag):
        if top_tag:
            check_value(v.value, False)   # open_sign1 wants it to be 18
            return
        raise Bad("tag %d inside an item" % v.tag)
    if isinstance(v, float):
        raise Bad("floating-point value")
    if v is cbor2.undefined:
        raise Bad("undefined value")
    if isinstance(v, cbor2.CBORSimpleValue):
        raise Bad("simple value %d" % v.value)
    raise Bad("value of a type the format does not allow: %s" % type(v).__name__)


def strict(b, top_tag=False, what=None, trailing=None):
    """Decodes the single item b, which must be deterministically encoded: the
    reader re-encodes what it decoded and rejects the item if the bytes differ.
    what prefixes the messages ("payload: ..."); trailing is the message for
    bytes after the item."""
    try:
        try:
            end = item_end(b, 0, top_tag)
        except Torn:
            raise Bad("data ends inside an item")
        if end != len(b):
            raise Bad(trailing or "trailing bytes after the item")
        try:
            v = cbor2.loads(b)
        except Exception as e:
            # cbor2 up to 5.4 raises the UnicodeDecodeError itself; later ones (the C
            # decoder of Debian 13's) wrap it in their own error, as its cause.
            if isinstance(e, UnicodeDecodeError) or isinstance(e.__cause__, UnicodeDecodeError):
                raise Bad("text string is not valid UTF-8")
            raise Bad("malformed CBOR: %s" % e)  # any other decoder complaint
        check_value(v, top_tag)
        no_duplicate_keys(b)
        try:
            again = cbor2.dumps(v, canonical=True)
        except Exception as e:
            raise Bad("cannot re-encode: %s" % e)
        if again != b:
            raise Bad("not deterministic CBOR (re-encoding differs)")
    except Bad as e:
        if what and str(e) != trailing:
            raise Bad("%s: %s" % (what, e))
        raise
    return v


# --------------------------------------------------------------------------
# Shapes (TRANSCRIPT.md "Entry"). The messages say what the C verifier's say,
# so that tests/vectors/EXPECTED can pin the reason for both.
# --------------------------------------------------------------------------

def is_uint(v):
    return type(v) is int and v >= 0


def is_int(v):
    return type(v) is int


def is_tstr(v):
    return type(v) is str


def is_bstr(v, n=None):
    return type(v) is bytes and (n is None or len(v) == n)


def is_tstr_map(v):
    return type(v) is dict and all(type(k) is str for k in v)


def keys(m, required, optional, what):
    if type(m) is not dict:
        raise Bad("%s is not a map" % what)
    for k in m:
        if not is_uint(k):
            raise Bad("%s has a key that is not an unsigned integer" % what)
        if k not in required and k not in optional:
            raise Bad("%s has unknown key %d" % (what, k))
    for k in sorted(required):
        if k not in m:
            raise Bad("%s lacks key %d" % (what, k))


def need(cond, msg):
    if not cond:
        raise Bad(msg)


def shape_signer(s, what):
    keys(s, {0, 1, 2}, {3}, what)
    need(is_bstr(s[0], 32) and is_bstr(s[1]), "%s kid must be bstr 32 and SPKI a bstr" % what)
    need(is_int(s[2]), "%s alg is not an integer" % what)
    need(3 not in s or is_tstr(s[3]), "%s location is not text" % what)
    need(hashlib.sha256(s[1]).digest() == s[0], "%s kid is not the SHA-256 of its SPKI" % what)


def shape_signoffs(a):
    need(type(a) is list, "signoffs is not an array")
    for i, so in enumerate(a):
        keys(so, {0, 1, 2, 3, 4}, {5, 6}, "signoff")
        need(is_tstr(so[0]) and is_tstr(so[1]) and is_tstr(so[2]) and is_uint(so[3])
             and is_uint(so[4]) and so[4] in (0, 1) and (5 not in so or is_bstr(so[5]))
             and (6 not in so or is_bstr(so[6])), "signoff %d has a value of the wrong type" % i)
        if so[4] == 1:
            need(5 in so and 6 in so, "signoff %d is signed (method 1) but lacks its COSE_Sign1 (key 5) or "
                 "the signer's SPKI (key 6)" % i)
        else:
            need(5 not in so and 6 not in so, "signoff %d is attested (method 0) but carries a signature" % i)


def check_signed_signoffs(body, cid, begin_seq, begin_hash):
    """Signed sign-offs (method 1) of a step-result: the COSE_Sign1 at key 5 verifies
    with the SPKI at key 6 and signs {0: cid, 1: begin seq, 2: SHA-256 of the
    step-begin record, 3: SHA-256 of the outputs map, 4: role, 5: name, 6: statement}.
    Returns the kids of the signers."""
    kids = []
    outputs_hash = hashlib.sha256(cbor2.dumps(body[3], canonical=True)).digest()
    for i, so in enumerate(body.get(5, [])):
        if so[4] != 1:
            continue
        try:
            sign1 = strict(so[5], top_tag=True, what="its COSE_Sign1", trailing="trailing bytes after its COSE_Sign1")
            prot, payload, sig, alg, kid = open_sign1(sign1)
            need(kid == hashlib.sha256(so[6]).digest(), "kid does not match the signer's key")
            check_signature(alg, so[6], prot, payload, sig)
            need(alg in (-7, -35), "alg %r is not ES256 or ES384" % (alg,))
            want = {0: cid, 1: begin_seq, 2: begin_hash, 3: outputs_hash, 4: so[0], 5: so[1], 6: so[2]}
            need(strict(payload) == want and payload == cbor2.dumps(want, canonical=True),
                 "its signature does not cover this sign-off")
        except Bad as e:
            raise Bad("signed sign-off %d: %s" % (i, e))
        kids.append(kid)
    return kids


def shape_genesis(b):
    keys(b, set(range(7)), {7, 8, 9, 10}, "genesis")
    need(is_tstr(b[0]) and b[0] == FORMAT, "genesis format is not '%s'" % FORMAT)
    need(is_tstr(b[1]) and is_bstr(b[2], 32) and is_bstr(b[3]) and is_uint(b[5]) and b[5] in (0, 1)
         and is_tstr(b[6]) and (7 not in b or is_bstr(b[7], 32)), "genesis has a value of the wrong type")
    need(hashlib.sha256(b[3]).digest() == b[2], "genesis script does not hash to script-sha256")
    shape_signer(b[4], "genesis signer")
    if 8 in b:
        need(is_tstr_map(b[8]) and all(is_tstr(x) for x in b[8].values()), "genesis host is not a map of text")
    if 10 in b:
        need(is_tstr_map(b[10]), "genesis tokens is not a map of text")
        need(all(is_tstr_map(t) and all(is_tstr(v) for v in t.values()) for t in b[10].values()),
             "genesis tokens is not a map of text to maps of text")
    if 9 in b:
        need(type(b[9]) is list, "genesis inputs is not an array")
        for n, i in enumerate(b[9]):
            keys(i, {0, 1, 2}, set(), "genesis input")
            need(is_tstr(i[0]) and is_bstr(i[1], 32) and is_uint(i[2]),
                 "genesis input %d has a value of the wrong type" % n)


def shape_step_begin(b):
    keys(b, {0, 1, 2, 3}, {4}, "step-begin")
    need(is_tstr(b[0]) and is_uint(b[1]) and is_tstr(b[2]) and is_tstr_map(b[3]) and (4 not in b or is_tstr(b[4])),
         "step-begin has a value of the wrong type")


def shape_step_result(b):
    keys(b, {0, 1, 2, 3}, set(range(4, 13)), "step-result")
    need(is_tstr(b[0]) and is_uint(b[1]) and is_uint(b[2]) and b[2] <= 4 and is_tstr_map(b[3])
         and (8 not in b or is_tstr(b[8])), "step-result has a value of the wrong type")
    if 4 in b:
        need(type(b[4]) is list, "step-result checks is not an array")
        for i, c in enumerate(b[4]):
            keys(c, {0, 1, 2, 3}, set(), "check")
            need(is_tstr(c[0]) and type(c[3]) is bool, "check %d has a value of the wrong type" % i)
    if 5 in b:
        shape_signoffs(b[5])
    if 6 in b:
        need(type(b[6]) is list, "artifacts is not an array")
        for i, a in enumerate(b[6]):
            keys(a, {0, 1, 2}, {3, 4}, "artifact")
            need(is_tstr(a[0]) and is_bstr(a[1], 32) and is_uint(a[2]) and (3 not in a or is_tstr(a[3]))
                 and (4 not in a or is_bstr(a[4])), "artifact %d has a value of the wrong type" % i)
            if 4 in a:
                # check 6: embedded artifacts hash to their recorded sha256
                need(len(a[4]) == a[2], "artifact %d size %d differs from its content (%d bytes)" % (i, a[2], len(a[4])))
                need(hashlib.sha256(a[4]).digest() == a[1], "artifact %d content does not hash to its sha256" % i)
    if 7 in b:
        keys(b[7], {0, 1}, {2}, "decision")
        need(is_tstr(b[7][0]) and is_tstr(b[7][1]) and (2 not in b[7] or is_tstr(b[7][2])),
             "decision has a value of the wrong type")
    if 9 in b:
        keys(b[9], {0, 1}, set(), "error")
        need(is_tstr(b[9][0]) and is_tstr(b[9][1]), "error has a value of the wrong type")
    if 10 in b:
        shape_signoffs(b[10])
        for i, c in enumerate(b[10]):
            need(c[4] == 0, "confirmation %d is not attested (method 0)" % i)
    for k, what in ((11, "attempt"), (12, "refusal")):
        if k in b:
            need(type(b[k]) is list, "step-result %ss is not an array" % what)
            for i, a in enumerate(b[k]):
                keys(a, {0, 1, 2, 3}, set(), what)
                need(is_tstr(a[0]) and is_tstr(a[1]) and is_tstr(a[2]) and is_uint(a[3]),
                     "%s %d has a value of the wrong type" % (what, i))


def shape_body(kind, b):
    if kind == GENESIS:
        shape_genesis(b)
    elif kind == STEP_BEGIN:
        shape_step_begin(b)
    elif kind == STEP_RESULT:
        shape_step_result(b)
    elif kind == CHECKPOINT:
        keys(b, {0}, {1}, "checkpoint")
        need(is_tstr(b[0]), "checkpoint label is not text")
        if 1 in b:
            shape_signoffs(b[1])
    elif kind == RESUME:
        keys(b, {0, 1, 2, 3}, {4, 5}, "resume")
        need(is_uint(b[0]) and is_uint(b[1]) and is_bstr(b[2], 32) and is_tstr(b[3]),
             "resume has a value of the wrong type")
        if 5 in b:
            shape_signoffs(b[5])
        if 4 in b:
            shape_signer(b[4], "resume signer")
    elif kind == SEAL:
        keys(b, {0, 1}, {2}, "seal")
        need(is_uint(b[0]) and b[0] <= 2 and is_tstr_map(b[1]), "seal has a value of the wrong type")
        if 2 in b:
            shape_signoffs(b[2])
    else:
        raise Bad("unknown kind %r" % kind)


# --------------------------------------------------------------------------
# COSE_Sign1 (RFC 9052 §4.2, §4.4; RFC 9053 §2.1, §2.2; RFC 8230 §2)
# --------------------------------------------------------------------------

def open_sign1(rec):
    need(isinstance(rec, cbor2.CBORTag) and rec.tag == 18, "record is not a COSE_Sign1 (tag 18)")
    arr = rec.value
    need(type(arr) is list and len(arr) == 4, "COSE_Sign1 is not an array of 4")
    prot, unprot, payload, sig = arr
    need(is_bstr(prot) and is_bstr(payload) and is_bstr(sig),
         "COSE_Sign1 protected, payload and signature must be byte strings")
    need(unprot == {} and type(unprot) is dict, "unprotected header is not the empty map")
    hdr = strict(prot, what="protected header", trailing="trailing bytes after the protected header")
    need(type(hdr) is dict and set(hdr.keys()) == {1, 3, 4} and all(type(k) is int for k in hdr),
         "protected header is not a map of exactly {1, 3, 4}")
    need(type(hdr[1]) is int and hdr[1] < 0, "protected header alg is not a listed algorithm")
    need(hdr[1] in ALGS, "algorithm %d is not on the list" % hdr[1])
    need(hdr[3] == CONTENT_TYPE, "content type is not '%s'" % CONTENT_TYPE)
    need(is_bstr(hdr[4], 32), "kid is not a 32-byte byte string")
    return prot, payload, sig, hdr[1], hdr[4]


def der_length(b):
    """The length a DER SEQUENCE at the start of b says it has, or None."""
    if len(b) < 2 or b[0] != 0x30:
        return None
    if b[1] < 0x80:
        return 2 + b[1]
    n = b[1] & 0x7f
    if not 1 <= n <= 4 or len(b) < 2 + n:
        return None
    return 2 + n + int.from_bytes(b[2:2 + n], "big")


def check_signature(alg, spki, prot, payload, sig):
    name, kind, h, curve, coord = ALGS[alg]
    # Before the library sees it: newer pyca/cryptography refuses trailing bytes
    # itself, with its own words.
    n = der_length(spki)   # None or too long: the library says what is wrong
    need(n is None or n >= len(spki), "trailing bytes after the signer's SubjectPublicKeyInfo")
    try:
        key = serialization.load_der_public_key(spki)
    except Exception as e:
        raise Bad("parsing the signer's SubjectPublicKeyInfo: %s" % e)
    tbs = cbor2.dumps(["Signature1", prot, b"", payload], canonical=True)
    try:
        if kind == "ec":
            need(isinstance(key, ec.EllipticCurvePublicKey), "signer key is not a EC key as %s needs" % name)
            need(key.curve.name == curve, "signer key is not on the curve %s needs (%s)" % (name, OPENSSL_GROUP[curve]))
            need(len(sig) == 2 * coord, "ECDSA signature is %d bytes, expected %d (r || s)" % (len(sig), 2 * coord))
            r = int.from_bytes(sig[:coord], "big")
            s = int.from_bytes(sig[coord:], "big")
            key.verify(encode_dss_signature(r, s), tbs, ec.ECDSA(h()))
        elif kind == "ed25519":
            need(isinstance(key, ed25519.Ed25519PublicKey), "signer key is not a ED25519 key as EdDSA needs")
            key.verify(sig, tbs)
        else:
            need(isinstance(key, rsa.RSAPublicKey), "signer key is not a RSA key as PS256 needs")
            need(key.key_size >= 2048, "RSA key of %d bits is below 2048" % key.key_size)
            key.verify(sig, tbs, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    except InvalidSignature:
        raise Bad("%s signature does not verify" % name)

# --------------------------------------------------------------------------
# The walk (checks 1-5, then the optional 6)
# --------------------------------------------------------------------------

OUTCOMES = ("passed", "failed", "skipped", "aborted", "deviation")   # step-result key 2: 0..4


class Segment:
    """A run of records signed by one signer: from genesis, or from a resume
    record that named a new signer (a signer change)."""

    def __init__(self, kid, first, resume):
        self.kid = kid
        self.first = first
        self.last = first
        self.resume = resume       # seq of the resume record that changed to this signer, or None
        self.vouched = []          # what vouches for it: "--kid", "anchor S"


class Result:
    def __init__(self):
        self.verdict = "INCOMPLETE"
        self.bad_seq = None
        self.reason = ""
        self.records = 0
        self.head = bytes(32)
        self.segments = []
        self.prevs = []
        self.script_sha256 = None
        self.seal_status = None
        self.title = None
        self.mode = None
        self.signed_signoffs = 0
        self.signoff_kids = []
        self.otherwise = None      # the verdict line an UNANCHORED transcript would have had
        self.results = []          # (seq, body) of each good step-result, for the content checks

    def invalid(self, seq, why):
        self.verdict = "INVALID"
        self.bad_seq = seq
        self.reason = why

    def kids(self):
        out = []
        for s in self.segments:
            if s.kid not in out:
                out.append(s.kid)
        return out


def later_record(data, start, end, pos, cid):
    """Is there a whole record of this ceremony with a seq after pos anywhere in
    data[start:end]? A record that cannot be read but is followed by good ones was
    damaged, not torn (a length made longer swallows the records after it)."""
    i = data.find(b"\xd2", start, end)   # tag 18 starts every record
    while i >= 0:
        try:
            rec = strict(data[i:item_end(data[:end], i)], top_tag=True)
            entry = strict(open_sign1(rec)[1])
            if is_uint(entry.get(0)) and entry[0] > pos and entry.get(2) == cid:
                return True
        except (Bad, Torn, AttributeError, KeyError, TypeError):
            pass
        i = data.find(b"\xd2", i + 1, end)
    return False


def torn_tail(data, off, pos, cid):
    """The record at off (seq pos) failed: is what follows a torn tail? Zero fill (a
    power cut can extend the file without writing its data) is discounted: with NZ
    the length without trailing 0x00 bytes, it is torn when nothing but zeros is
    left from off on, or when data[off:NZ] is a strict prefix of a CBOR item
    (decoding it runs out of data before anything malformed) and no later record
    of the ceremony lies inside it."""
    nz = len(data.rstrip(b"\0"))
    if off >= nz:
        return True
    try:
        item_end(data[:nz], off)
    except Torn:
        return pos == 0 or not later_record(data, off + 1, nz, pos, cid)
    except Bad:
        return False
    return False


def check_summary(summary, counts):
    """Seal key 1: every count present (passed, failed, skipped, aborted,
    deviation, steps_run) is a uint equal to what the step-results hold."""
    want = dict(zip(OUTCOMES, counts))
    want["steps_run"] = sum(counts)
    for k in OUTCOMES + ("steps_run",):
        if k not in summary:
            continue
        v = summary[k]
        need(is_uint(v), "the seal's summary '%s' is not a count" % k)
        need(v == want[k], "the seal's summary says %s %d, the step-results hold %d" % (k, v, want[k]))


def verify(data):
    res = Result()
    off = 0
    pos = 0
    signer = None            # (spki, alg, kid)
    cid = None
    last_time = None
    sealed = False
    pending = None           # (seq, step id, hash) of a step-begin awaiting its result
    open_step = None         # (seq, id, type, token, label) of that step-begin, for INCOMPLETE
    resumed = False
    counts = [0] * len(OUTCOMES)

    while off < len(data):
        if sealed:
            # Nothing follows a seal, zeros neither: the runner never writes after it.
            res.invalid(pos, "data after the seal")
            return res
        signed_ok = False
        try:
            try:
                end = item_end(data, off)
            except Bad as e:
                raise Bad("record: %s" % e)
            raw = data[off:end]
            rec = strict(raw, top_tag=True, what="record")
            prot, payload, sig, alg, kid = open_sign1(rec)

            # Check 1 first, when the current signer's kid is on the record: the
            # signature is checked before anything in the payload is believed.
            sig_done = False
            if pos > 0 and kid == signer[2]:
                check_signature(alg, signer[0], prot, payload, sig)
                sig_done = True
                signed_ok = True

            # Check 2
            entry = strict(payload, what="payload", trailing="payload: trailing bytes after the entry")
            keys(entry, {0, 1, 2, 3, 4, 5}, set(), "entry")
            seq, prev, this_cid, t, kind, body = (entry[k] for k in range(6))
            need(is_uint(seq) and is_bstr(prev, 32) and is_bstr(this_cid, 16) and is_uint(t) and is_uint(kind),
                 "entry has a value of the wrong type")
            shape_body(kind, body)

            # Check 4 (signer part): genesis names the first signer, only a
            # resume may name another, and is then signed by it.
            named = None
            if pos == 0:
                need(kind == GENESIS, "record 0 is not genesis")
                named = body[4]
            else:
                need(kind != GENESIS, "genesis after record 0")
                if kind == RESUME and 4 in body:
                    named = body[4]
            change = False
            if sig_done:
                need(named is None or named[0] == signer[2], "resume names a new signer but is not signed by it")
            else:
                need(named is not None, "kid does not match the current signer")
                need(kid == named[0], "kid does not match the signer's key")
                check_signature(alg, named[1], prot, payload, sig)
                signed_ok = True
                change = pos > 0
                signer = (named[1], named[2], named[0])
            spki, signer_alg, signer_kid = signer
            need(alg == signer_alg, "record alg differs from the signer's declared alg")

            # check 3: the chain
            need(seq == pos, "seq %d at position %d" % (seq, pos))
            want_prev = bytes(32) if pos == 0 else res.head
            need(prev == want_prev, "prev is not the SHA-256 of the previous record")
            if pos == 0:
                cid = this_cid
            need(this_cid == cid, "ceremony id changed (record from another transcript)")
            need(last_time is None or t >= last_time, "time decreases")

            # check 4: steps in order
            signed = []
            if kind == STEP_BEGIN:
                if pending is not None and not resumed:
                    raise Bad("step-begin while step '%s' (seq %d) has no result" % (pending[1], pending[0]))
                pending = (pos, body[0], hashlib.sha256(raw).digest())
                params = body.get(3) if isinstance(body.get(3), dict) else {}
                open_step = (pos, body[0], body.get(2), params.get("token"), params.get("label"))
                resumed = False
            elif kind == STEP_RESULT:
                need(pending is not None and body[1] == pending[0],
                     "step-result names seq %d, which is not the step-begin awaiting a result" % body[1])
                need(body[0] == pending[1], "step-result step id differs from its step-begin")
                signed = check_signed_signoffs(body, cid, pending[0], pending[2])
                pending = None
                resumed = False
            elif kind == RESUME:
                resumed = True
            if kind in (CHECKPOINT, RESUME, SEAL):
                sos = body.get({CHECKPOINT: 1, RESUME: 5, SEAL: 2}[kind], [])
                need(all(so[4] == 0 for so in sos), "a signed sign-off (method 1) belongs in a step-result, where it signs over the step")

            # check 5: the seal's summary counts match the records
            if kind == SEAL:
                check_summary(body[1], counts)
        except (Bad, Torn) as e:
            # A record whose signature verified is whole (its last byte may be a
            # zero of its signature): what is wrong with it is never a torn tail.
            if not signed_ok and torn_tail(data, off, pos, cid):
                res.reason = "torn tail at byte offset %d" % off
            else:
                res.invalid(pos, str(e) if isinstance(e, Bad) else "the record runs past the end of the file")
            return res

        if pos == 0:
            res.title = body[1]
            res.mode = "rehearsal" if body[5] == 1 else "live"
            res.script_sha256 = body[2]
        if pos == 0 or change:
            res.segments.append(Segment(signer_kid, pos, pos if change else None))
        res.segments[-1].last = pos
        if kind == STEP_RESULT:
            res.results.append((pos, body))
            counts[body[2]] += 1
            res.signed_signoffs += len(signed)
            res.signoff_kids += [k for k in signed if k not in res.signoff_kids]
        if kind == SEAL:
            sealed = True
            res.seal_status = body[0]
        res.prevs.append(prev)
        res.head = hashlib.sha256(raw).digest()
        res.records += 1
        last_time = t
        off = end
        pos += 1

    # check 5: exactly one seal, the last record
    if sealed:
        res.verdict = "VALID" if res.seal_status == 0 else "ABORTED"
    elif res.records == 0:
        res.reason = "empty transcript"
    elif pending is not None and open_step is not None and open_step[0] == pending[0]:
        seq, sid, stype, token, label = open_step
        res.reason = "no seal; step '%s' (%s) began at record %d and has no result" % (sid, stype, seq)
        if isinstance(token, str):
            res.reason += ": it may have acted on token '%s'" % token
            if isinstance(label, str):
                res.reason += ", where an object labelled '%s' may exist" % label
    else:
        res.reason = "no seal"
    return res


def optional_checks(res, script, anchors, kids):
    if script is not None and res.script_sha256 is not None:
        if hashlib.sha256(script).digest() != res.script_sha256 and (res.bad_seq is None or res.bad_seq > 0):
            res.invalid(0, "script does not match script-sha256")
    for seq, head in anchors:
        if res.bad_seq is not None and res.bad_seq <= seq:
            continue
        if seq >= res.records:
            res.invalid(seq, "anchor %d beyond the last good record" % seq)
        elif res.prevs[seq] != head:
            res.invalid(seq, "anchor %d does not match" % seq)
    # A kid from the paper log that signed nothing here: the file is not the
    # room's (e.g. re-signed from genesis by another key). When the file is
    # INVALID already, the finding stands (the kid may sign records past it).
    signers = res.kids()
    for kid in kids:
        if kid not in signers and res.verdict != "INVALID":
            res.invalid(0, "kid %s given with --kid signed no record" % kid.hex())
    if res.verdict == "INVALID":
        return
    # A signer change is vouched for by an anchor after the resume record (its
    # head covers the resume) or by the new signer's kid from the paper log.
    first = None
    for s in res.segments:
        if s.resume is None:
            continue
        if s.kid in kids:
            s.vouched.append("--kid")
        s.vouched += ["anchor %d" % a for a, _ in sorted(set(anchors)) if a > s.resume]
        if not s.vouched and first is None:
            first = s
    if first is not None:
        res.otherwise = verdict_line(res)
        res.verdict = "UNANCHORED"
        res.bad_seq = first.resume
        res.reason = ("the signer changed there to kid %s, and nothing from the paper log (--kid, or an "
                      "--anchor after seq %d) vouches for records %d onward" % (first.kid.hex(), first.resume, first.resume))


# --------------------------------------------------------------------------
# Check 6, what the records contain: embedded artifacts, certificates, CRLs and
# CSRs re-verified with pyca/cryptography, and the SHA-256 values steps show.
# --------------------------------------------------------------------------

def sig_ok(pub, sig, data, hash_alg, padding_hint=None):
    """True, False, or None (a key or algorithm this cryptography cannot check)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(sig, data, ec.ECDSA(hash_alg))
        elif isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(sig, data)
        elif isinstance(pub, rsa.RSAPublicKey):
            if padding_hint == "pss":
                pub.verify(sig, data, padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size), hash_alg)
            else:
                pub.verify(sig, data, padding.PKCS1v15(), hash_alg)
        else:
            return None
        return True
    except InvalidSignature:
        return False
    except Exception:
        return None


PSS_OID = "1.2.840.113549.1.1.10"


def load(der):
    """(kind, object) for a certificate, CRL or CSR in DER; (None, None) otherwise."""
    from cryptography import x509 as cx509
    for kind, fn in (("certificate", cx509.load_der_x509_certificate), ("CRL", cx509.load_der_x509_crl),
                     ("certificate request", cx509.load_der_x509_csr)):
        try:
            return kind, fn(der)
        except Exception:
            pass
    return None, None


def public_key_of(obj):
    """The object's public key, or None where this cryptography cannot load it
    (ML-DSA: pyca/cryptography 43 of Debian 13 has none). Its signatures are then
    unverifiable, as ceremony verify counts them, not failed."""
    try:
        return obj.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None


def signed_by(kind, obj, pub):
    if pub is None:
        return None
    pss = "pss" if obj.signature_algorithm_oid.dotted_string == PSS_OID else None
    try:
        h = obj.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    tbs = obj.tbs_certificate_bytes if kind == "certificate" else obj.tbs_certlist_bytes if kind == "CRL" else obj.tbs_certrequest_bytes
    return sig_ok(pub, obj.signature, tbs, h, pss)


def content_checks(res):
    arts = []      # (seq, step, name, content)
    bad = []

    def fail(seq, why):
        if not bad:
            bad.append((seq, why))

    def find(step, name):
        for a in reversed(arts):
            if (a[1] == step and a[2] == name) or a[2] == step:
                return a
        return None

    def claim(seq, step, what, shown, a):
        if a is None or not isinstance(shown, str) or not shown:
            return
        h = hashlib.sha256(a[3]).hexdigest()
        if h != shown:
            fail(seq, "step '%s' shows %s %s, but %s.%s hashes to %s" % (step, what, shown, a[1], a[2], h))

    for seq, body in res.results:
        step, first = body[0], len(arts)
        for a in body.get(6, []):
            if 4 in a:
                arts.append((seq, step, a[0], a[4]))
        out = body[3]
        ref = out.get("artifact")
        if isinstance(ref, str) and "." in ref:
            st, _, nm = ref.rpartition(".")
            claim(seq, step, "SHA-256", out.get("sha256"), find(st, nm))
        elif ref is None:
            for a in arts[first:]:
                if a[2] in ("certificate", "crl", "csr"):
                    claim(seq, step, "SHA-256", out.get("sha256"), a)
        for a in arts[first:]:
            if a[2] == "public_key":
                claim(seq, step, "public_key_sha256", out.get("public_key_sha256"), a)
    # A PEM twin holds its DER twin's bytes.
    for a in arts:
        if not a[2].endswith("_pem"):
            continue
        for b in arts:
            if b[0] == a[0] and b[2] == a[2][:-4]:
                try:
                    text = a[3].decode("ascii")
                    body = "".join(l for l in text.splitlines() if l and not l.startswith("-----"))
                    same = base64.b64decode(body) == b[3]
                except Exception:
                    same = False
                if not same:
                    fail(a[0], "artifact %s of step '%s' is not the PEM of its %s" % (a[2], a[1], b[2]))
    # Certificates, CRLs, CSRs against the key that must have signed them.
    parsed = []
    for a in arts:
        if a[2].endswith("_pem"):
            continue
        kind, obj = load(a[3])
        if kind:
            parsed.append((a, kind, obj))
    certs = [(a, o) for a, k, o in parsed if k == "certificate"]
    for a, kind, obj in parsed:
        if kind == "certificate request":
            ok = signed_by(kind, obj, public_key_of(obj))
            if ok is False:
                fail(a[0], "the certificate request %s of step '%s' does not verify with its own key" % (a[2], a[1]))
            continue
        if kind == "certificate" and obj.issuer == obj.subject:
            if signed_by(kind, obj, public_key_of(obj)) is False:
                fail(a[0], "the certificate %s of step '%s' does not verify with its own key" % (a[2], a[1]))
            continue
        issuers = [o for b, o in certs if o.subject == obj.issuer and b is not a]
        answers = [signed_by(kind, obj, public_key_of(o)) for o in issuers]
        if issuers and True not in answers and None not in answers:
            fail(a[0], "the %s %s of step '%s' does not verify with the key of its issuer" % (kind, a[2], a[1]))
    if bad:
        res.otherwise = None
        res.invalid(*bad[0])


def verdict_line(res):
    if res.verdict == "INVALID":
        return "INVALID at seq %d: %s" % (res.bad_seq, res.reason)
    if res.verdict == "UNANCHORED":
        return "UNANCHORED from seq %d: %s" % (res.bad_seq, res.reason)
    if res.verdict == "ABORTED":
        return "VALID, ABORTED"
    if res.verdict == "INCOMPLETE":
        return "INCOMPLETE (%s)" % res.reason
    return "VALID"


# --------------------------------------------------------------------------
# Heads and kids from the paper log: 64 hex digits, or 32 PGP words
# --------------------------------------------------------------------------

def pgp_words():
    """data/pgp-words.txt: lines "HEX even-word odd-word", '#' comments. The
    even word stands for a byte at an even position (0, 2, ...), the odd one
    for a byte at an odd position."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "pgp-words.txt")
    even, odd = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            hx, e, o = line.split()
            even[e.lower()] = int(hx, 16)
            odd[o.lower()] = int(hx, 16)
    if len(even) != 256 or len(odd) != 256:
        raise ValueError("%s is not a list of 256 word pairs" % path)
    return even, odd


def parse_hash(text, what):
    """32 bytes given as 64 hex digits (spaces allowed) or as 32 PGP words."""
    compact = "".join(text.split())
    if re.fullmatch(r"[0-9A-Fa-f]{64}", compact):
        return bytes.fromhex(compact)
    words = text.split()
    if len(words) != 32:
        raise ValueError("%s %r is neither 64 hex digits nor 32 PGP words" % (what, text))
    even, odd = pgp_words()
    out = bytearray()
    for i, w in enumerate(words):
        table = even if i % 2 == 0 else odd
        if w.lower() not in table:
            raise ValueError("%s: %r is not a PGP word for a byte at %s position %d"
                             % (what, w, "an even" if i % 2 == 0 else "an odd", i))
        out.append(table[w.lower()])
    return bytes(out)


EXIT = {"VALID": 0, "ABORTED": 3, "INCOMPLETE": 4, "UNANCHORED": 5, "INVALID": 1}


def main(argv):
    path, script, anchors, kids = None, None, [], []
    args = argv[1:]
    i = 0
    try:
        while i < len(args):
            a = args[i]
            if a in ("-h", "--help"):
                print(__doc__)
                return 0
            if a == "--script":
                i += 1
                with open(args[i], "rb") as f:
                    script = f.read()
            elif a == "--anchor":
                i += 1
                seq, _, hx = args[i].partition(":")
                if not seq.strip().isdigit():
                    raise ValueError("anchor %r is not SEQ:HEAD" % args[i])
                anchors.append((int(seq), parse_hash(hx, "anchor head")))
            elif a == "--kid":
                i += 1
                kids.append(parse_hash(args[i], "kid"))
            elif path is None and not a.startswith("-"):
                path = a
            else:
                raise ValueError("unexpected argument %r" % a)
            i += 1
        if path is None:
            raise ValueError("no transcript given")
        with open(path, "rb") as f:
            data = f.read()
    except (OSError, ValueError, IndexError) as e:
        print("verify_cts: %s" % e, file=sys.stderr)
        return 2

    res = verify(data)
    optional_checks(res, script, anchors, kids)
    if res.verdict != "INVALID" and res.records:
        content_checks(res)
    print(verdict_line(res))
    if res.otherwise:
        print("otherwise: %s" % res.otherwise)
    if res.title is not None:
        print("title:    %s" % res.title)
        print("mode:     %s" % res.mode)
    print("records:  %d" % res.records)
    print("head:     %s" % res.head.hex())
    for s in res.segments:
        line = "signer:   %s  records %d..%d" % (s.kid.hex(), s.first, s.last)
        if s.resume is not None:
            line += " (from the resume at seq %d; vouched by %s)" % (s.resume, ", ".join(s.vouched) or "NOTHING")
        print(line)
    if res.signed_signoffs:
        print("signed sign-offs: %d, by kid %s" % (res.signed_signoffs, ", ".join(k.hex() for k in res.signoff_kids)))
    return EXIT[res.verdict]


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception:  # a bug here must not pass for a verdict (1 would read INVALID)
        import traceback
        traceback.print_exc()
        sys.exit(2)
