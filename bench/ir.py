#!/usr/bin/env python3
"""Instructions the server executes per delivery, one Carrier binary against another,
counted by callgrind: a measure the machine's noise cannot move (user-space only; the
kernel's share, one writev per member per flush, is the same code either way).

  python3 bench/ir.py BEFORE AFTER        (two carrier binaries; about 10 minutes)

Each binary serves 200 callers (the cached accounts of bench/chat.py), 5 of them
talking at 20 lines/s in all, twice: for 4 s and for 12 s.  (Ir(12) - Ir(4)) /
(deliveries(12) - deliveries(4)) cancels start-up and logins.  The last line is
"ir-per-delivery after/before=X"."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chat  # noqa: E402

CALLERS, SENDERS, RATE = 200, 5, 20
SHORT, LONG = 4, 12


def wrapper(binary, out):
    """A script that runs binary under callgrind, writing its counts to out."""
    path = out + ".sh"
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\nexec valgrind -q --tool=callgrind --callgrind-out-file={out} "
                f"{binary} \"$@\"\n")
    os.chmod(path, 0o755)
    return path


def run(binary, seconds, tag, db):
    out = os.path.join(chat.CACHE, f"ir-{tag}-{seconds}.out")
    chat.CARRIER = wrapper(binary, out)
    srv = chat.Server("carrier", CALLERS, db=db, pinned=False)
    try:
        r = chat.chatload(srv, ["-n", str(CALLERS), "-m", str(SENDERS), "-r", str(RATE),
                                "-d", str(seconds), "--warmup", "1", "-t", "600", "-c", "8"])
    finally:
        srv.stop()
    with open(out) as f:
        ir = int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1))
    return ir, r["delivered"]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    before, after = (os.path.abspath(b) for b in sys.argv[1:])
    os.makedirs(chat.CACHE, exist_ok=True)
    # The accounts are made by the older binary: a newer one migrates its copy.
    chat.BASELINE = before
    db = chat.accounts_db(CALLERS)
    per = {}
    for tag, binary in (("before", before), ("after", after)):
        short, long_ = run(binary, SHORT, tag, db), run(binary, LONG, tag, db)
        per[tag] = (long_[0] - short[0]) / (long_[1] - short[1])
        print(f"{tag}: {per[tag]:.0f} Ir per delivery ({long_[1] - short[1]} deliveries)",
              flush=True)
    print(f"ir-per-delivery after/before={per['after'] / per['before']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
