#!/usr/bin/python3
"""The layering of docs/DESIGN.md, checked: which module of src/ may include which.

    scripts/layering.py [SRC_DIR]        (default: src/ beside this script)

Reads every #include line of SRC_DIR's .c and .h files and prints one line per
include that crosses a forbidden boundary, as FILE:LINE: reason, then exits 1; exits
0 (printing a summary) when there are none.  `make check` runs it through
tests/static/test_layering.py.

The allowed directions are written once, here:

  MODULES   what a module (a directory of src/) may include: itself and the modules
            listed.  Files directly in src/ (main.c, server.[ch]) wire everything
            together and may include anything.
  PURE      codecs, parsers and renderers: bytes in, bytes or events out.  Beyond
            the module rule they include nothing that does I/O or keeps sessions:
            only util/ and term/ (and their own module) and other pure headers,
            never the event loop.  A module's counters (its stats.h: plain integers) are pure too, and a
            pure renderer may read another module's (the metrics page).
  LIBRARIES system headers only one module may include (a backend stays behind
            its module's functions).
"""
import os
import re
import sys

MODULES = {
    "util":   set(),
    "config": {"util"},
    "store":  {"util"},
    "term":   {"util"},
    "net":    {"util"},
    "ws":     {"net", "util"},
    "telnet": {"net", "term", "util"},
    "ssh":    {"net", "term", "util"},   # SSH is a transport beside telnet
    "http":   {"ws", "net", "config", "util"},   # the site reads its settings
    # The chat engine knows no session and no transport: rooms, members through
    # their sinks, the store for scrollback.
    "chat":   {"store", "term", "util"},
    # The BBS drives sessions over connections and the chat engine; it never sees a
    # transport (telnet, ws, http): what it needs of one is in net/conn.h.
    "bbs":    {"chat", "cluster", "config", "net", "store", "term", "util"},
    # The sysop's control line drives the BBS (moderation, who's on) from outside.
    "ctl":    {"bbs", "chat", "config", "net", "store", "util", "cluster"},
    # Several servers, one BBS: the Redis bus and cluster presence.  It feeds the
    # chat engine's seam (chat_deliver) and knows no session, transport or store.
    "cluster": {"chat", "util"},
    # The metrics: the page is a pure renderer of every module's counters (their
    # stats.h); collect.c reads the live state (sessions, rooms, queues, the
    # cluster's bus) for its gauges; listener.c serves it over HTTP on a listener
    # of its own.
    "metrics": {"bbs", "chat", "cluster", "http", "net", "store", "util"},
    # Running for real: systemd's notifications and watchdog.
    "ops":    {"util"},
}

PURE = [
    "ws/codec", "http/request", "http/response", "http/handshake",
    "telnet/proto", "telnet/frame", "chat/command", "chat/render", "chat/sanitize",
    "chat/flood", "chat/event", "config/toml", "term/", "ctl/proto", "cluster/wire",
    "metrics/page", "util/hist", "http/forwarded", "util/netaddr",
]
STATS = "stats"     # a module's counters: <module>/stats.h, pure
PURE_MAY = {"util", "term"}
PURE_NEVER_SYSTEM = {"uv.h"}

LIBRARIES = {
    "sqlite3.h": "store",
    "libpq-fe.h": "store",
    "libtelnet.h": "telnet",
    "http_parser.h": "http",
    "openssl/ssl.h": "net",          # TLS: net/tls.c alone
    "libssh/libssh.h": "ssh",
    "libssh/server.h": "ssh",
    "libssh/callbacks.h": "ssh",
    "systemd/sd-daemon.h": "ops",
    "hiredis/hiredis.h": "cluster",
    "hiredis/async.h": "cluster",
    "hiredis/adapters/libuv.h": "cluster",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def module_of(rel):
    """'chat/room.c' -> 'chat'; 'server.c' -> '' (the top)."""
    return rel.split("/", 1)[0] if "/" in rel else ""


def is_pure(rel):
    stem = os.path.splitext(rel)[0]
    if stem.endswith("/" + STATS):
        return True
    return any(stem == p or (p.endswith("/") and stem.startswith(p)) for p in PURE)


def check_file(src, rel):
    """Yield 'rel:line: reason' for each forbidden include of src/rel."""
    mod = module_of(rel)
    with open(os.path.join(src, rel), encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        kind, target = m.groups()
        where = f"{os.path.join(src, rel)}:{n}"
        if kind == "<":
            owner = LIBRARIES.get(target)
            if owner is not None and mod != owner:
                yield f"{where}: <{target}> belongs to src/{owner}/ alone ({mod or 'src'}/ may not include it)"
            if is_pure(rel) and target in PURE_NEVER_SYSTEM:
                yield f"{where}: {rel} is pure (no I/O): it may not include <{target}>"
            continue
        # A project header: "dir/file.h", or a name beside the includer.
        tmod = module_of(target) if "/" in target else mod
        if mod == "" or tmod == mod:
            continue
        if tmod not in MODULES:
            yield f"{where}: {rel} includes \"{target}\", outside the layered modules"
            continue
        if tmod not in MODULES.get(mod, set()):
            allowed = ", ".join(sorted(MODULES.get(mod, set()))) or "nothing"
            yield (f"{where}: {mod}/ may not include {tmod}/ (\"{target}\"); "
                   f"{mod}/ may include {allowed}")
            continue
        # A pure file may include util/, term/ and other pure headers (a value
        # type such as chat/event.h, a module's counters in its stats.h), nothing
        # that does I/O.
        if is_pure(rel) and tmod not in PURE_MAY and not is_pure(target):
            yield f"{where}: {rel} is pure (no I/O): it may not include {tmod}/ (\"{target}\")"


def check(src):
    problems, files = [], 0
    for root, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            rel = os.path.relpath(os.path.join(root, name), src).replace(os.sep, "/")
            files += 1
            mod = module_of(rel)
            if mod and mod not in MODULES:
                problems.append(f"{os.path.join(src, rel)}:1: src/{mod}/ is not a known module "
                                f"(add it to MODULES in scripts/layering.py, with what it may include)")
                continue
            problems.extend(check_file(src, rel))
    return problems, files


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    src = argv[1] if len(argv) > 1 else os.path.join(here, "..", "src")
    problems, files = check(src)
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} forbidden include(s) in {files} files")
        return 1
    print(f"layering: {files} files, every include within the allowed directions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
