#!/usr/bin/python3
"""Compares the records of two transcripts apart from what differs between any two
runs of the same script: times, the ceremony id, the chain, keys, signatures,
serials, fingerprints and other random or derived bytes. For restructures that must
not change behaviour: rehearse a ceremony with the old and the new binary and run
    records_diff.py old.cts new.cts
Exit 0 and no output when the records are the same; else a unified diff of the
normalised records.
    records_diff.py --live rehearsal.cts live.cts
compares a rehearsal with a live run of the same script: the first must be a
rehearsal and the second live (genesis mode, key 5), and the mode is not compared."""
import difflib
import io
import json
import re
import sys

import cbor2

HEX = re.compile(r"\b[0-9A-Fa-f]{12,}\b|\b(?:[0-9A-F]{2}[: ]){7,}[0-9A-F]{2}\b|\b(?:[0-9A-F]{4} )+[0-9A-F]{4}\b")
# Values read aloud from random bytes (a fingerprint in PGP words).
RANDOM_WORDS = ("pgp_words",)
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|\d{14}Z|\d{12}Z")
RUNTIME = re.compile(r"/tmp/[^ \"']*")


def norm(v, key=None):
    if isinstance(v, bytes):
        return "<bytes>"
    if isinstance(v, dict):
        if 1 in v and 2 in v and isinstance(v.get(1), bytes) and isinstance(v.get(2), int):
            v = {**v, 2: "<size>"}   # an artifact: an ECDSA signature's DER length varies
        return {str(k): ("<words>" if str(k) in RANDOM_WORDS else norm(x, str(k))) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, str):
        v = RUNTIME.sub("<path>", v)
        v = TIME.sub("<time>", v)
        return HEX.sub("<hex>", v)
    # "bytes": the size of an exported certificate, whose ECDSA signature varies in length
    if isinstance(v, int) and key in ("3", "time", "serial", "serial_number", "checkpoint_seq", "bytes"):
        return "<n>"
    return v


# --live: what the mode decides, in the records of a step that builds on an earlier
# ceremony (a rehearsal imports a rehearsal's transcript, a live run a live one's).
MODE_WORDS = re.compile(r"^(live|rehearsal|live or rehearsal)$")


def records(path, mode=None):
    data = open(path, "rb").read()
    s = io.BytesIO(data)
    out = []
    while s.tell() < len(data):
        rec = cbor2.load(s)
        entry = cbor2.loads(rec.value[2])
        kind, body = entry[4], entry[5]
        if kind == 0:   # genesis: what a run of the same script shares
            if mode is not None:
                if body.get(5) != mode:
                    sys.exit("%s: genesis mode is %s, not %s" % (path, body.get(5), mode))
                body = {k: v for k, v in body.items() if k != 5}
            body = {k: body[k] for k in (0, 1, 2, 5) if k in body}
        body = norm(body)
        if mode is not None:
            body = json.loads(json.dumps(body), object_hook=lambda d: {
                k: ("<mode>" if isinstance(v, str) and MODE_WORDS.match(v) else v) for k, v in d.items()})
        out.append(json.dumps({"kind": kind, "body": body}, sort_keys=True, indent=1))
    return "\n".join(out).splitlines()


MODE_LIVE, MODE_REHEARSAL = 0, 1


def main(*args):
    live = args[:1] == ("--live",)
    a, b = args[1:3] if live else args[:2]
    ra = records(a, MODE_REHEARSAL if live else None)
    rb = records(b, MODE_LIVE if live else None)
    d = list(difflib.unified_diff(ra, rb, a, b, lineterm=""))
    print("\n".join(d))
    return 1 if d else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
