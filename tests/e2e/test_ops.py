#!/usr/bin/python3
"""End to end: running Carrier for real, from the command line.

`carrier check-config [FILE]` on good and bad files (the errors as FILE:LINE:COL,
exit 1 on any).

CARRIER_BIN names the binary (default: <repo>/build/carrier)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
BIN = os.environ.get("CARRIER_BIN", os.path.join(ROOT, "build", "carrier"))
SHIPPED = os.path.join(ROOT, "carrier.toml")
TIMEOUT = 30


def carrier(*args, cwd=None, stdin=None):
    return subprocess.run([BIN] + list(args), cwd=cwd, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)


@unittest.skipUnless(os.access(BIN, os.X_OK), "no carrier binary at " + BIN)
class CheckConfig(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="carrier-ops-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_shipped_file_is_good(self):
        r = carrier("check-config", SHIPPED)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "%s: ok" % SHIPPED)
        self.assertEqual(r.stderr, "")

    def test_every_error_printed_exit_1(self):
        path = self.write("bad.toml", '[bbs]\nmax_nodes = 0\nname = ""\n[chat]\nflood_rate = -1\n'
                          '[[menu.main]]\nhotkey = "C"\nname = "Chat"\ntype = "command"\n'
                          'command = "nope"\n')
        r = carrier("check-config", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = r.stderr.splitlines()
        self.assertIn('%s:2:1: "max_nodes" must be an integer from 1 to 100000' % path, lines)
        self.assertIn('%s:3:1: "name" must be a string of 1 to 63 bytes without control '
                      'characters' % path, lines)
        self.assertTrue(any(l.startswith("%s:5:1: \"flood_rate\"" % path) for l in lines), lines)
        self.assertTrue(any(l.startswith("%s:10:1: unknown command \"nope\"" % path)
                            for l in lines), lines)
        self.assertEqual(lines[-1], "%s: 4 errors" % path)
        self.assertEqual(r.stdout, "")

    def test_syntax_error(self):
        path = self.write("syntax.toml", '[server]\nhttp = "0.0.0.0:8080\n')
        r = carrier("check-config", path)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^%s:2:\d+: " % path)

    def test_warnings_are_not_errors(self):
        path = self.write("warn.toml", '[bbs]\nnmae = "typo"\n')
        r = carrier("check-config", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('%s:2:1: warning: unknown key "nmae" in [bbs]' % path, r.stderr)
        self.assertIn("ok (with warnings)", r.stdout)

    def test_missing_file(self):
        r = carrier("check-config", os.path.join(self.dir, "absent.toml"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read", r.stderr)

    def test_default_file_and_config_flag(self):
        # No FILE: --config, else ./carrier.toml.
        good = self.write("carrier.toml", '[bbs]\nname = "Here"\n')
        r = carrier("check-config", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "carrier.toml: ok")
        bad = self.write("other.toml", "[bbs]\nmax_nodes = -5\n")
        r = carrier("--config", bad, "check-config", cwd=self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:2:1:" % bad, r.stderr)
        self.assertTrue(os.path.exists(good))

    def test_starts_nothing(self):
        # No database is made, nothing listens.
        path = self.write("c.toml", '[server]\ndatabase = "made.db"\n')
        r = carrier("check-config", path, cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "made.db")))
        self.assertNotIn("event=", r.stderr)


if __name__ == "__main__":
    unittest.main()
