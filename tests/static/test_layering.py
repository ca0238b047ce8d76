#!/usr/bin/python3
"""The layering check (scripts/layering.py) over src/, and proof that it can fail:
a tree with forbidden includes is refused, each named by file and line.

    /usr/bin/python3 tests/static/test_layering.py
"""
import os
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(REPO, "scripts", "layering.py")


def run(src):
    return subprocess.run([sys.executable, CHECK, src], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)


def tree(files):
    """A temporary src/ holding files {relpath: text}."""
    d = tempfile.TemporaryDirectory()
    for rel, text in files.items():
        path = os.path.join(d.name, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return d


class Layering(unittest.TestCase):
    def test_src_is_layered(self):
        r = run(os.path.join(REPO, "src"))
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("every include within the allowed directions", r.stdout)

    def test_each_forbidden_direction_is_named(self):
        cases = {
            # chat -> bbs, chat -> a transport
            "chat/room.c": ('#include "chat/room.h"\n\n#include "bbs/session.h"\n', 3, "chat/ may not include bbs/"),
            "chat/member.c": ('#include "telnet/transport.h"\n', 1, "chat/ may not include telnet/"),
            # bbs -> transports
            "bbs/session.c": ('#include <stdio.h>\n#include "ws/transport.h"\n', 2, "bbs/ may not include ws/"),
            "bbs/login.c": ('#include "http/request.h"\n', 1, "bbs/ may not include http/"),
            # codecs -> sessions
            "ws/codec.c": ('#include "bbs/session.h"\n', 1, "ws/ may not include bbs/"),
            "telnet/proto.c": ('#include "net/conn.h"\n', 1, "telnet/proto.c is pure"),
            "http/request.c": ('#include <uv.h>\n', 1, "is pure (no I/O): it may not include <uv.h>"),
            # term -> net/store
            "term/ansi.c": ('#include "net/conn.h"\n', 1, "term/ may not include net/"),
            "term/art.c": ('  #  include "store/store.h"\n', 1, "term/ may not include store/"),
            # config -> store
            "config/config.c": ('#include "store/store.h"\n', 1, "config/ may not include store/"),
            # a backend's header outside its module
            "bbs/bbs.c": ('#include <sqlite3.h>\n', 1, "<sqlite3.h> belongs to src/store/ alone"),
        }
        with tree({rel: text for rel, (text, _, _) in cases.items()}) as src:
            r = run(src)
        self.assertEqual(r.returncode, 1, r.stdout)
        for rel, (_, line, why) in cases.items():
            want = f"{os.path.join(src, rel)}:{line}: "
            hits = [l for l in r.stdout.splitlines() if l.startswith(want)]
            self.assertTrue(hits, f"{rel}:{line} not named in:\n{r.stdout}")
            self.assertIn(why, hits[0])
        self.assertIn(f"{len(cases)} forbidden include(s)", r.stdout)

    def test_allowed_directions_pass(self):
        files = {
            "chat/room.c": '#include "chat/member.h"\n#include "store/store.h"\n#include "util/buf.h"\n#include <uv.h>\n',
            "bbs/chat.c": '#include "chat/registry.h"\n#include "net/conn.h"\n#include "term/lineedit.h"\n',
            "server.c": '#include "telnet/transport.h"\n#include "bbs/bbs.h"\n',
            "store/store.c": '#include <sqlite3.h>\n#include "internal.h"\n',
        }
        with tree(files) as src:
            r = run(src)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_a_new_module_must_be_placed(self):
        with tree({"shiny/thing.c": '#include "util/buf.h"\n'}) as src:
            r = run(src)
        self.assertEqual(r.returncode, 1)
        self.assertIn("src/shiny/ is not a known module", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
