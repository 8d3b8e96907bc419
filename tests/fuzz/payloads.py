#!/usr/bin/env python3
"""payloads.py CTS... OUTDIR: writes, for each transcript, the CBOR sequence of its
record payloads (what fuzz_resign signs again) to OUTDIR/NAME, the seeds of
tests/fuzz/corpus/resign. Test-only."""
import os
import io
import sys

import cbor2


def payloads(path):
    out = b""
    with open(path, "rb") as f:
        data = f.read()

    s = io.BytesIO(data)
    while s.tell() < len(data):
        try:
            rec = cbor2.load(s)
        except Exception:
            break
        if isinstance(rec, cbor2.CBORTag) and isinstance(rec.value, list) and len(rec.value) == 4 \
                and isinstance(rec.value[2], bytes):
            out += rec.value[2]
    return out


def main():
    *files, outdir = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    for f in files:
        p = payloads(f)
        if p:
            with open(os.path.join(outdir, os.path.basename(f).removesuffix(".cts")), "wb") as o:
                o.write(p)


main()
