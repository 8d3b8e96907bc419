#!/usr/bin/python3
"""room.py: the people in the room, typing a live run in a tmux pane the way its
rehearsal was answered.

    room.py REHEARSAL-OUTPUT PINS DIR -- COMMAND...

REHEARSAL-OUTPUT is what `ceremony rehearse SCRIPT --answers FILE` printed: every
question it asked, in order, with the answer it read ("  [role] question: answer").
COMMAND (`ceremony run SCRIPT --bind ...`) runs on an 80x40 tmux terminal, and each
question it asks must be the rehearsal's next one; it is answered as the rehearsal
answered it, typed with send-keys. What a live run asks on top of a rehearsal is the
PINs of tokens initialised by hand: PINS holds lines "TOKEN user|so PIN". Answers
the rehearsal took from the screen are taken from this screen: a fingerprint's last
groups for a read-back and a share's checksum, typed as shown (as the rehearsal
typed them), and a share itself, typed from what was shown to its holder: its rows
with their numbers, without the header line.

Everything the terminal received is read from a pipe-pane log, so every question is
seen once even when the screen is cleared between two of them. DIR receives
stream.txt (that log without escape sequences), pane.txt (the pane and its scrollback
at the end, as capture-pane -S - gives it), asked.txt (each question and what was
typed, secrets as <secret>) and shown.txt (each share shown: purpose, index and its
first group, for a test to look for it where it must not be).

Exit 0 when the command exited 0 and every question was the rehearsal's next one and
all of them were asked; else 1 with what differed."""
import os
import re
import subprocess
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
QUESTION = re.compile(r"^ {2}\[([^\]\s]+)\] (.*): (.*)$")
ASKING = re.compile(r"^\s*\[([^\]\s]+)\] (.*):\s*$")
PIN = re.compile(r"^(user|security officer) PIN of token '([^']+)'")
SHOWN = " (as shown)"
MEMORY = re.compile(r"^ {2}\[([^\]\s]+)\] (.*): \(share from the rehearsal's memory: .*\)$")
FILE_SECRET = "(secret from the answers file)"
SHARE_SHOWN = re.compile(r"share #(\d+) of (\S+) for (.+?) only:\n\s*\n((?:[ \t]*\S.*\n)+)")
SHARE_ASKED = re.compile(r"type share #(\d+) of (\S+), its groups")
# A share of an earlier ceremony (no split of this run): the holder types their card whole.
CARD_ASKED = re.compile(r"^(.+): type your share for (token|the wrap key) '([^']+)', from 'cs1' to its last group")
HEX_LINE = re.compile(r"^\s*[0-9A-F]{4}( [0-9A-F]{4})*\s*$")


def rehearsal_questions(path):
    """The questions the rehearsal asked, in order: (role, text, kind, answer)."""
    out = []
    for line in open(path, encoding="utf-8", errors="replace").read().split("\n"):
        m = QUESTION.match(line)
        if not m:
            continue
        role, text, ans = m.groups()
        mm = MEMORY.match(line)   # its answer has ': ' in it
        if mm:
            out.append((mm.group(1), mm.group(2), "share", ""))
        elif ans == FILE_SECRET:
            out.append((role, text, "secret", ""))
        elif ans.endswith(SHOWN):
            out.append((role, text, "shown", ans[: -len(SHOWN)]))
        else:
            out.append((role, text, "text", ans))
    return out


class Room:
    def __init__(self, sock, log):
        self.sock, self.log = sock, log

    def tm(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] + list(args), check=check,
                              capture_output=True, text=True).stdout

    def stream(self):
        try:
            raw = open(self.log, "rb").read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        return ANSI.sub("", raw).replace("\r", "")

    def send(self, text):
        self.tm("send-keys", "-t", "room", "-l", text)
        self.tm("send-keys", "-t", "room", "Enter")


def last_groups(text, n):
    """The last n groups of the last fingerprint block shown (hex groups wrapped over lines)."""
    lines, block, blocks = text.split("\n"), [], []
    for line in lines:
        if HEX_LINE.match(line):
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    if not blocks:
        return None
    groups = " ".join(blocks[-1]).split()
    return groups[-n:]


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        sys.stderr.write(__doc__)
        return 2
    want = rehearsal_questions(argv[0])
    pins = {}
    for line in open(argv[1]):
        f = line.split()
        if len(f) == 3:
            pins[(f[0], f[1])] = f[2]
    out = argv[2]
    os.makedirs(out, exist_ok=True)
    log = os.path.join(out, "pipe.raw")
    room = Room("ceremony-room-%d" % os.getpid(), log)
    conf = os.path.join(out, "tmux.conf")
    with open(conf, "w") as f:
        f.write("set -g history-limit 100000\n")
    cmd = " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv[4:])
    room.tm("-f", conf, "new-session", "-d", "-x", "80", "-y", "40", "-s", "room",
            "sh -c 'sleep 0.3; %s; echo CEREMONY-EXIT=$?; sleep 120'" % cmd.replace("'", "'\\''"))
    room.tm("pipe-pane", "-t", "room", "-o", "cat >>'%s'" % log)
    asked, problems, shares = [], [], {}
    # ROOM_CARDS: the stream.txt files (colon-separated) of the earlier ceremonies'
    # rooms, whose shares the custodians took home on their cards:
    # holder -> [(purpose, rows)], the latest last.
    cards = {}
    for path in filter(None, os.environ.get("ROOM_CARDS", "").split(":")):
        for sm in SHARE_SHOWN.finditer(open(path, encoding="utf-8").read()):
            cards.setdefault(sm.group(3), []).append((sm.group(2), sm.group(4)))
    i, seen, code, pins_typed = 0, 0, None, 0
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            time.sleep(0.03)
            s = room.stream()
            m = re.search(r"CEREMONY-EXIT=(\d+)", s[seen:])
            if m:
                code = int(m.group(1))
                break
            for sm in SHARE_SHOWN.finditer(s):
                shares[(sm.group(2), int(sm.group(1)))] = sm.group(4)
            tail = s[seen:]
            if not tail.rstrip(" ").endswith(":"):
                continue
            time.sleep(0.05)   # the question is whole when nothing more comes
            if room.stream() != s:
                continue
            line = tail.rstrip(" ").split("\n")[-1]
            q = ASKING.match(line)
            if not q:
                continue
            role, text = q.groups()
            seen = len(s)
            p = PIN.match(text)
            if p:
                key = (p.group(2), "user" if p.group(1) == "user" else "so")
                if key not in pins:
                    problems.append("no PIN for %s %s: asked '%s'" % (key + (text,)))
                    break
                room.send(pins[key])
                pins_typed += 1
                asked.append("[%s] %s: <secret>" % (role, text))
                continue
            if i >= len(want):
                problems.append("the live run asked '[%s] %s' after all %d questions of the rehearsal" %
                                (role, text, len(want)))
                break
            wrole, wtext, kind, ans = want[i]
            if (role, text) != (wrole, wtext):
                problems.append("question %d: the live run asked '[%s] %s', the rehearsal '[%s] %s'" %
                                (i + 1, role, text, wrole, wtext))
                break
            i += 1
            if kind == "text":
                typed = ans
            elif kind == "shown" and "checksum" in text and shares:
                # the share shown last: its last group without its check character
                last = max(shares.values(), key=s.rfind)
                typed = last.split()[-1][:-1]
            elif kind == "shown" and (g := re.search(r"last (\d+) groups", text)):
                groups = last_groups(s, int(g.group(1)))
                typed = " ".join(groups) if groups else None
            elif kind == "share" and (a := CARD_ASKED.match(text)):
                # the card the custodian holds for it (a token's PIN, a wrap key), header too
                want_purpose = ("pin:" + a.group(3)) if a.group(2) == "token" else ("wrap:" + a.group(3).lower())
                held = [rows for purpose, rows in cards.get(a.group(1), []) if purpose == want_purpose]
                typed = " ".join(held[-1].split("\n")).strip() if held else None
            elif kind == "share" and (a := SHARE_ASKED.search(text)):
                rows = shares.get((a.group(2), int(a.group(1))))
                # its rows as shown, row numbers too, without the header line
                typed = " ".join(rows.split("\n")[1:]).strip() if rows else None
            else:
                typed = None
            if typed is None:
                problems.append("question %d '[%s] %s': no way to answer a '%s' answer from this screen" %
                                (i, role, text, kind))
                break
            room.send(typed)
            asked.append("[%s] %s: %s" % (role, text, "<secret>" if kind in ("share", "secret") else typed))
        else:
            problems.append("the live run did not end within 300 s")
        if code is None and not problems:
            problems.append("the live run did not end")
        pane = room.tm("capture-pane", "-p", "-S", "-", "-t", "room", check=False)
    finally:
        room.tm("kill-server", check=False)
    s = room.stream()
    with open(os.path.join(out, "stream.txt"), "w") as f:
        f.write(s)
    with open(os.path.join(out, "pane.txt"), "w") as f:
        f.write(pane)
    with open(os.path.join(out, "asked.txt"), "w") as f:
        f.write("\n".join(asked) + "\n")
    # For the test's secrecy check: each share shown, by its first group only.
    with open(os.path.join(out, "shown.txt"), "w") as f:
        for (purpose, k), rows in sorted(shares.items()):
            f.write("%s #%d %s\n" % (purpose, k, rows.split("\n")[1].split()[1]))
    if not problems and i < len(want):
        problems.append("the live run ended after %d of the rehearsal's %d questions; next: '[%s] %s'" %
                        ((i, len(want)) + want[i][:2]))
    if not problems and code != 0:
        problems.append("the live run exited %s" % code)
    print("%d questions answered as in the rehearsal, %d PINs typed, exit %s" % (i, pins_typed, code))
    for p in problems:
        print("room.py: " + p)
    if problems:
        print("--- the end of what the terminal showed:\n" + "\n".join(s.rstrip().split("\n")[-25:]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
