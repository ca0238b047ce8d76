#!/usr/bin/python3
"""Every log line is an event with key=value fields (src/util/log.h):

    log_info("event=login conn=%llu node=%u handle=%s", ..., LOG_Q(handle));

This reads every log_debug/info/warn/error call in src/ and checks its format
string: it starts with event=NAME and goes on with space-separated key=value pairs,
keys and event names in lower case.  It also proves the check can fail.

    /usr/bin/python3 tests/static/test_logs.py
"""
import os
import re
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALL = re.compile(r'\blog_(debug|info|warn|error)\s*\(')
# A log function handed to a macro of a module's own: LOG(log_info, sc, "event=...")
PASSED = re.compile(r'\blog_(debug|info|warn|error)\s*,')
LITERAL = re.compile(r'\s*"((?:[^"\\\n]|\\.)*)"')
EVENT = re.compile(r'^event=[a-z][a-z0-9_]*$')
FIELD = re.compile(r'^[a-z][a-z0-9_]*=\S+$')


def format_of(text, at):
    """The format string of the call whose '(' ends at `at`: adjacent literals
    joined, or None if the first argument is not a literal."""
    parts, pos = [], at
    while True:
        m = LITERAL.match(text, pos)
        if not m:
            break
        parts.append(m.group(1))
        pos = m.end()
    return "".join(parts) if parts else None


def calls(text):
    """(start, end of what precedes the format) of every log call: direct, or
    through a macro that is handed the log function (its format is the first string
    literal after it)."""
    for m in CALL.finditer(text):
        yield m.start(), m.end()
    for m in PASSED.finditer(text):
        q = text.find('"', m.end())
        if q >= 0 and text.count("\n", m.end(), q) <= 2:
            yield m.start(), q
        else:
            yield m.start(), m.end()     # no literal near: reported as such


def problems_in(path, rel):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for start, end in calls(text):
        line = text.count("\n", 0, start) + 1
        where = f"{rel}:{line}"
        if text[:start].rstrip().endswith("define"):
            continue                      # the macros themselves
        fmt = format_of(text, end)
        if fmt is None:
            yield f"{where}: the format is not a string literal"
            continue
        words = fmt.split(" ")
        if not EVENT.match(words[0]):
            yield f"{where}: the line must start with event=NAME: {fmt!r}"
            continue
        for w in words[1:]:
            if not FIELD.match(w):
                yield f"{where}: {w!r} is not a key=value field: {fmt!r}"


def check(src):
    out, n_calls = [], 0
    for root, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".c", ".h")):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, src)
                if rel == os.path.join("util", "log.h"):
                    continue
                with open(path, encoding="utf-8", errors="replace") as f:
                    n_calls += len(list(calls(f.read())))
                out.extend(problems_in(path, rel))
    return out, n_calls


class Logs(unittest.TestCase):
    def test_every_call_is_an_event_with_fields(self):
        problems, calls = check(os.path.join(REPO, "src"))
        self.assertGreater(calls, 40)
        self.assertEqual(problems, [], "\n".join(problems))

    def test_the_check_can_fail(self):
        bad = {
            "a.c": 'log_info("conn %llu: hung up", id);\n',
            "b.c": 'log_warn("event=x handle %s", h);\n',
            "c.c": 'log_error(fmt, x);\n',
            "d.c": 'log_debug("event=Bad");\n',
            "ok.c": 'log_info("event=ok a=%d "\n\t "b=%s", 1, LOG_Q(s));\n',
            "e.c": 'LOG(log_info, sc, "%s logged in", user);\n',
            "ok2.c": 'LOG(log_debug, sc, "event=fine x=%d", 1);\n',
        }
        with tempfile.TemporaryDirectory() as d:
            for name, text in bad.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            problems, calls = check(d)
        self.assertEqual(calls, 7)
        named = sorted({p.split(":")[0] for p in problems})
        self.assertEqual(named, ["a.c", "b.c", "c.c", "d.c", "e.c"], "\n".join(problems))


if __name__ == "__main__":
    unittest.main()
