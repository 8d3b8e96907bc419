"""x509check.py FILE... : tests/tools/x509check.go's twin with pyca/cryptography
(Debian 12's 38.0.4, run by /usr/bin/python3), whose Rust parser refuses what
OpenSSL forgives (a cA BOOLEAN that is not DER TRUE...). Every certificate, CSR and
CRL (PEM, several blocks to a file, or DER) is loaded, every field and extension
read, every signature verified, and every certificate's issuer found among the
files: same name, AKI = the issuer's SKI, the issuer a CA allowed to sign, the
certificate valid now. One line per object, "ok ..." or "FAIL ...: what: error",
then a count. Exit 0 all ok, 1 any failed, 2 usage or I/O error."""
import binascii
import datetime
import re
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----\r?\n?", re.S)
KINDS = {b"CERTIFICATE": "certificate", b"CERTIFICATE REQUEST": "csr",
         b"NEW CERTIFICATE REQUEST": "csr", b"X509 CRL": "crl"}
LOADERS = {"certificate": x509.load_der_x509_certificate, "csr": x509.load_der_x509_csr,
           "crl": x509.load_der_x509_crl}


class Fail(Exception):
    """what failed, and the library's error"""

    def __init__(self, what, err):
        super().__init__("%s: %s" % (what, "%s: %s" % (type(err).__name__, err) if isinstance(err, Exception) else err))


def why(what, f, *args):
    try:
        return f(*args)
    except Fail:
        raise
    except Exception as e:
        raise Fail(what, e) from e


# cryptography 38 has no accessor for RSASSA-PSS parameters (signature_hash_algorithm
# raises UnsupportedAlgorithm), so the signatureAlgorithm is read from the DER here
# with a minimal DER reader: only what PSS needs, definite minimal lengths only.
def tlv(b, i=0):
    """The DER element at b[i]: (tag, contents, index after it)."""
    if i + 2 > len(b) or b[i] & 0x1F == 0x1F:
        raise ValueError("bad DER element")
    tag, n, i = b[i], b[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7F
        if not 1 <= k <= 4 or i + k > len(b) or b[i] == 0:
            raise ValueError("bad DER length")
        n, i = int.from_bytes(b[i:i + k], "big"), i + k
        if n < 0x80:
            raise ValueError("non-minimal DER length")
    if i + n > len(b):
        raise ValueError("truncated DER")
    return tag, b[i:i + n], i + n


def elements(b):
    i, out = 0, []
    while i < len(b):
        tag, v, j = tlv(b, i)
        out.append((tag, v, b[i:j]))
        i = j
    return out


def oid_text(v):
    first, rest, n = v[0], [], 0
    for c in v[1:]:
        n = n << 7 | c & 0x7F
        if not c & 0x80:
            rest.append(n)
            n = 0
    return ".".join(map(str, [min(first // 40, 2), first - 40 * min(first // 40, 2)] + rest))


HASHES = {"1.3.14.3.2.26": hashes.SHA1, "2.16.840.1.101.3.4.2.1": hashes.SHA256,
          "2.16.840.1.101.3.4.2.2": hashes.SHA384, "2.16.840.1.101.3.4.2.3": hashes.SHA512}
MGF1 = "1.2.840.113549.1.1.8"


def pss_params(der):
    """(hash, MGF1 hash, salt length) of a signed object's outer RSASSA-PSS
    AlgorithmIdentifier (RFC 4055 §3.1; an absent field takes its default)."""
    cert = elements(tlv(der)[1])
    alg = elements(cert[1][1])
    fields = {t: elements(v)[0] for t, v, _ in elements(alg[1][1])} if len(alg) > 1 else {}
    h, m, salt = HASHES["1.3.14.3.2.26"], HASHES["1.3.14.3.2.26"], 20
    if 0xA0 in fields:
        h = HASHES[oid_text(elements(fields[0xA0][1])[0][1])]
    if 0xA1 in fields:
        mgf = elements(fields[0xA1][1])
        if oid_text(mgf[0][1]) != MGF1:
            raise ValueError("mask generation function %s is not MGF1" % oid_text(mgf[0][1]))
        m = HASHES[oid_text(elements(mgf[1][1])[0][1])]
    if 0xA2 in fields:
        salt = int.from_bytes(fields[0xA2][1], "big")
    if 0xA3 in fields and int.from_bytes(fields[0xA3][1], "big") != 1:
        raise ValueError("trailerField is not 1")
    return h(), m(), salt


def same_algorithm(der):
    """The signature AlgorithmIdentifier inside the TBS (its first SEQUENCE, for a
    certificate and a CRL alike) is the outer one, byte for byte (RFC 5280 §4.1.1.2)."""
    outer = elements(tlv(der)[1])
    inner = next(raw for tag, _, raw in elements(outer[0][1]) if tag == 0x30)
    if inner != outer[1][2]:
        raise ValueError("the TBS and the outer signature algorithms differ")


def check_signature(o, key):
    """o's signature by key, in the scheme o's algorithm names (a certificate's, or a
    CRL's by an Ed25519 key, which cryptography 38's is_signature_valid refuses)."""
    c, oid = o.obj, o.obj.signature_algorithm_oid
    tbs = c.tbs_certificate_bytes if o.kind == "certificate" else c.tbs_certlist_bytes
    if isinstance(key, ed25519.Ed25519PublicKey) and oid == SignatureAlgorithmOID.ED25519:
        key.verify(c.signature, tbs)
    elif isinstance(key, ec.EllipticCurvePublicKey) and oid._name.startswith("ecdsa"):
        key.verify(c.signature, tbs, ec.ECDSA(c.signature_hash_algorithm))
    elif isinstance(key, rsa.RSAPublicKey) and oid == SignatureAlgorithmOID.RSASSA_PSS:
        h, m, salt = why("RSASSA-PSS parameters", pss_params, o.der)
        key.verify(c.signature, tbs, padding.PSS(padding.MGF1(m), salt), h)
    elif isinstance(key, rsa.RSAPublicKey) and oid._name.endswith("WithRSAEncryption"):
        key.verify(c.signature, tbs, padding.PKCS1v15(), c.signature_hash_algorithm)
    else:
        raise ValueError("signature algorithm %s does not fit a %s" % (oid._name, type(key).__name__))


def ext(obj, cls):
    try:
        return obj.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


class Obj:
    def __init__(self, name, kind, der):
        self.name, self.kind, self.der, self.obj = name, kind, der, None
        self.what = self.fail = None

    def parse(self):
        """Loads the object and reads everything, as a user of it would."""
        o = why("parse " + self.kind, LOADERS[self.kind], self.der)
        if self.kind == "crl":
            why("parse crl", lambda: (o.issuer, o.last_update, o.next_update, o.signature_algorithm_oid))
            why("CRL entries", lambda: [(r.serial_number, r.revocation_date, [e.value for e in r.extensions]) for r in o])
            self.what = "crl %s" % o.issuer.rfc4514_string()
        else:
            why("parse " + self.kind, lambda: (o.subject, o.public_key(), o.signature_algorithm_oid))
            if self.kind == "certificate":
                why("parse certificate", lambda: (o.version, o.serial_number, o.issuer, o.not_valid_before, o.not_valid_after))
            self.what = "%s %s" % (self.kind, o.subject.rfc4514_string())
        why("extensions", lambda: [e.value for e in o.extensions])
        if self.kind != "csr":
            why("signature algorithm", same_algorithm, self.der)
        alg = o.signature_algorithm_oid._name
        if o.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS:
            # Named here: cryptography 38 calls it RSASSA-PSS, 43 (Debian 13) rsassaPss.
            alg = "RSASSA-PSS/" + why("RSASSA-PSS parameters", pss_params, self.der)[0].name
        self.what += " (%s)" % alg
        self.obj = o


def issued_by(o, p):
    """Why p cannot be o's issuer, or None when it is."""
    child, parent = o.obj, p.obj
    bc, ku = ext(parent, x509.BasicConstraints), ext(parent, x509.KeyUsage)
    if bc is None or not bc.ca:
        return "issuer is not a CA"
    if ku is not None and not (ku.crl_sign if o.kind == "crl" else ku.key_cert_sign):
        return "issuer's key usage does not allow signing this"
    aki, ski = ext(child, x509.AuthorityKeyIdentifier), ext(parent, x509.SubjectKeyIdentifier)
    if aki is not None and aki.key_identifier is not None and (ski is None or ski.digest != aki.key_identifier):
        return "authority key identifier is not the issuer's subject key identifier"
    try:
        if o.kind == "crl" and not isinstance(parent.public_key(), ed25519.Ed25519PublicKey):
            if not child.is_signature_valid(parent.public_key()):
                return "signature does not verify"
        else:
            check_signature(o, parent.public_key())
    except Exception as e:
        return "%s: %s" % (type(e).__name__, str(e) or "signature does not verify")
    return None


def issuer(o, certs, what="signature"):
    """The loaded certificate that issued o; a self-signed certificate must be its own."""
    name = o.obj.issuer.public_bytes()
    if o.kind == "certificate" and name == o.obj.subject.public_bytes():
        candidates, what = [o], "self-signature"
    else:
        candidates = [p for p in certs if p.obj.subject.public_bytes() == name]
    reasons = []
    for p in candidates:
        reasons.append(issued_by(o, p))
        if reasons[-1] is None:
            return p
    raise Fail(what, reasons[0] if reasons else "issuer not among the files")


def check_cert(o, certs):
    c, p = o.obj, issuer(o, certs)
    now = datetime.datetime.utcnow()
    if not c.not_valid_before <= now <= c.not_valid_after:
        raise Fail("validity", "not valid now (%s to %s)" % (c.not_valid_before, c.not_valid_after))
    bc, pbc = ext(c, x509.BasicConstraints), ext(p.obj, x509.BasicConstraints)
    # A CA under an issuer with a pathlen must leave it room (RFC 5280 §4.2.1.9).
    if p is not o and bc is not None and bc.ca and pbc.path_length is not None and (
            pbc.path_length == 0 or (bc.path_length is not None and bc.path_length >= pbc.path_length)):
        raise Fail("chain", "pathlen %d of the issuer leaves no room for this CA" % pbc.path_length)


def parsed(o):
    try:
        o.parse()
    except Fail as e:
        o.fail = str(e)
    return o


def load(path):
    data = open(path, "rb").read()
    if not data.lstrip().startswith(b"-----BEGIN"):
        tried = {kind: parsed(Obj(path, kind, data)) for kind in LOADERS}
        good = [o for o in tried.values() if o.fail is None]
        if good:
            return good[:1]
        try:
            serialization.load_der_public_key(data)
            print("note %s: public key skipped" % path)
            return []
        except ValueError:
            pass
        # None took it: report it as what its shape says (a certificate's TBS
        # starts with the [0] version, a request's with INTEGER 0).
        try:
            first = elements(tlv(tlv(data)[1])[1])[0]
            kind = "certificate" if first[0] == 0xA0 else "csr" if first[2] == b"\x02\x01\x00" else "crl"
        except (ValueError, IndexError):
            kind = "certificate"
        return [tried[kind]]
    blocks = list(PEM.finditer(data))
    if not blocks or PEM.sub(b"", data).strip():
        o = Obj(path, "file", data)
        o.fail = "PEM: not PEM, or text outside the blocks"
        return [o]
    out = []
    for i, b in enumerate(blocks):
        name = "%s#%d" % (path, i + 1) if len(blocks) > 1 else path
        kind = KINDS.get(b.group(1))
        if kind is None:
            print("note %s: %s block skipped" % (name, b.group(1).decode()))
            continue
        try:
            out.append(parsed(Obj(name, kind, binascii.a2b_base64(b"".join(b.group(2).split()), strict_mode=True))))
        except binascii.Error as e:
            out.append(Obj(name, kind, b""))
            out[-1].fail = "PEM: %s" % e
    return out


def main(paths):
    if not paths:
        print("usage: x509check.py FILE...", file=sys.stderr)
        return 2
    objs = []
    for p in paths:
        try:
            objs += load(p)
        except OSError as e:
            print("x509check.py: %s" % e, file=sys.stderr)
            return 2
    certs = [o for o in objs if o.kind == "certificate" and o.fail is None]
    for o in objs:
        if o.fail is None:
            try:
                if o.kind == "certificate":
                    check_cert(o, certs)
                elif o.kind == "csr":
                    if not why("signature", lambda: o.obj.is_signature_valid):
                        raise Fail("signature", "signature does not verify")
                else:
                    issuer(o, certs)
            except Fail as e:
                o.fail = str(e)
        print("FAIL %s: %s" % (o.name, o.fail) if o.fail else "ok %s: %s" % (o.name, o.what))
    failed = sum(1 for o in objs if o.fail)
    print("x509check: %d objects, %d failed" % (len(objs), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
