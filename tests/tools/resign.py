"""resign.py: the test writer's one way to change a transcript and sign it again.

    import sys; sys.path.insert(0, TOP + "/tests/tools"); import resign
    resign.resign(src, dst, "label", body=lambda rec, body: body, time=lambda rec: rec.time)

Every record of src is written to dst with its body (a copy, to change) and its time
as the functions give them, re-chained and signed from genesis by a key of the test
writer's own (tests/vectors/forge.py's Key, derived from the label): a transcript
that is well formed and VALID under that key, whatever lie it now tells, so that
only the checks of what the records contain can find it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "vectors"))
import forge  # noqa: E402

GENESIS, STEP_RESULT = forge.GENESIS, forge.STEP_RESULT


def resign(src, dst, label, body=None, time=None):
    recs = forge.read_records(src)
    key = forge.Key(label)
    w = forge.Writer(recs[0].cid)
    for r in recs:
        b = dict(r.body)
        if r.kind == GENESIS:
            b[4] = key.signer
        if body:
            b = body(r, b)
        w.add(key, time(r) if time else r.time, r.kind, b)
    with open(dst, "wb") as f:
        f.write(w.data())
    return key
