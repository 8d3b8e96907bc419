#!/usr/bin/python3
"""Prints each record of a ceremony transcript (.cts) as one line of JSON, for tests
that look inside: {"seq":…, "kind":…, "body":…}. Byte strings become hex. It does not
verify anything (that is verify_cts.py and `ceremony verify`)."""
import json
import sys

import cbor2

KINDS = {0: "genesis", 1: "step-begin", 2: "step-result", 3: "checkpoint", 4: "resume", 5: "seal"}


def plain(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    import io
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        rec = cbor2.load(stream)
        entry = cbor2.loads(rec.value[2])
        body = plain(entry[5])
        if entry[4] == 0:
            body.pop("3", None)  # the script bytes: long and not needed in a dump
        print(json.dumps({"seq": entry[0], "kind": KINDS.get(entry[4], entry[4]), "body": body}, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
