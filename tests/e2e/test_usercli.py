#!/usr/bin/env python3
"""`carrier user ...`: the sysop command line against a real database file, read back
with Python's own sqlite3; and durability: adds killed with SIGKILL at random moments
lose no add that reported success and never corrupt the file.

Runs $CARRIER_BIN (default <repo>/build/carrier).  Skipped, with the reason, while
the `user` subcommand is not wired into the binary."""
import os
import random
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CARRIER_BIN", os.path.join(ROOT, "build", "carrier"))
PASSWORD = "correct horse battery"


def probe():
    """None if `carrier user` works, else why not."""
    if not os.access(BIN, os.X_OK):
        return "%s is not built" % BIN
    with tempfile.TemporaryDirectory() as d:
        try:
            r = subprocess.run([BIN, "--db", os.path.join(d, "probe.db"), "user", "list"],
                               capture_output=True, text=True, timeout=20,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "'carrier user list' did not exit: the subcommand is not wired"
    if r.returncode != 0 or "HANDLE" not in r.stdout:
        return "'carrier user' is not wired into the binary yet (%s)" % r.stderr.strip()[:120]
    return None


SKIP = probe()


@unittest.skipIf(SKIP is not None, SKIP or "")
class UserCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        # A directory that does not exist yet: the first command creates it.
        self.db = os.path.join(self.tmp.name, "data", "carrier.db")

    def tearDown(self):
        self.tmp.cleanup()

    def run_user(self, *args, stdin=None):
        return subprocess.run([BIN, "--db", self.db, "user", *args], input=stdin,
                              capture_output=True, text=True, timeout=60)

    def add(self, handle, *extra, password=PASSWORD):
        r = self.run_user("add", handle, *extra, stdin=password + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def rows(self, sql, *params):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def user(self, handle):
        rows = self.rows("SELECT id, handle, pwhash, location, level FROM users"
                         " WHERE handle = ? COLLATE NOCASE", handle)
        return rows[0] if rows else None

    def assert_refused(self, r, words):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(words.lower(), r.stderr.lower())

    def test_add_and_list(self):
        r = self.add("Dark Knight", "--level", "20", "--location", "Gotham City")
        self.assertIn("Dark Knight", r.stdout)
        self.assertTrue(os.path.exists(self.db))
        uid, handle, pwhash, location, level = self.user("dark knight")
        self.assertEqual(handle, "Dark Knight")
        self.assertTrue(pwhash.startswith("$argon2id$"), pwhash)
        self.assertNotIn(PASSWORD, pwhash)
        self.assertEqual(location, "Gotham City")
        self.assertEqual(level, 20)
        self.add("Robin", "--level=5")
        r = self.run_user("list")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertIn("HANDLE", lines[0])
        self.assertEqual(len(lines), 3)
        self.assertIn("Dark Knight", lines[1])
        self.assertIn("Gotham City", lines[1])
        self.assertIn("Robin", lines[2])
        self.assertIn(" 5 ", lines[2])
        self.assertEqual(self.rows("PRAGMA journal_mode")[0][0], "wal")

    def test_default_level(self):
        self.add("Plain")
        self.assertEqual(self.user("plain")[4], 10)

    def test_duplicate_refused(self):
        self.add("Bob")
        for dup in ("Bob", "BOB", "bob"):
            r = self.run_user("add", dup, stdin=PASSWORD + "\n")
            self.assert_refused(r, "taken")
        self.assertEqual(self.rows("SELECT count(*) FROM users")[0][0], 1)

    def test_bad_handles_refused(self):
        for bad in ("ab", "a" * 21, "SysOp", "sysop", "Sys Op", "New", "Guest", "bad!name",
                    " lead", "trail ", "two  spaces", "J\u00fcrgen", "x'; DROP TABLE users;--"):
            r = self.run_user("add", bad, stdin=PASSWORD + "\n")
            self.assertEqual(r.returncode, 1, "%r accepted" % bad)
            self.assertIn("handle", r.stderr)
        self.assertEqual(self.rows("SELECT count(*) FROM users")[0][0], 0)

    def test_bad_passwords_refused(self):
        self.assert_refused(self.run_user("add", "Shorty", stdin="1234567\n"), "at least 8")
        self.assert_refused(self.run_user("add", "Nobody1", stdin=""), "no password")
        self.assert_refused(self.run_user("add", "Nobody2", stdin="\n"), "no password")
        self.assert_refused(self.run_user("add", "Nobody3", stdin="bell\x07bell\x07\n"),
                            "control")
        self.assertEqual(self.rows("SELECT count(*) FROM users")[0][0], 0)

    def test_bad_arguments(self):
        self.assertEqual(self.run_user("add").returncode, 1)
        self.assertEqual(self.run_user("frobnicate").returncode, 1)
        self.assertEqual(self.run_user("list", "extra").returncode, 1)
        self.assert_refused(self.run_user("add", "Leveled", "--level", "abc",
                                          stdin=PASSWORD + "\n"), "level")
        self.assert_refused(self.run_user("add", "Leveled", "--level", "256",
                                          stdin=PASSWORD + "\n"), "level")
        self.assert_refused(self.run_user("add", "Located", "--location", "x" * 64,
                                          stdin=PASSWORD + "\n"), "location")
        self.assert_refused(self.run_user("add", "Located", "--location", "\x1b[2J",
                                          stdin=PASSWORD + "\n"), "location")

    def test_passwd(self):
        self.add("Changer")
        uid, _, before, _, _ = self.user("changer")
        # A session token, which a new password revokes.
        con = sqlite3.connect(self.db)
        con.execute("INSERT INTO tokens (hash, user_id, expires) VALUES (?, ?, ?)",
                    (os.urandom(32), uid, int(time.time()) + 3600))
        con.commit()
        con.close()
        r = self.run_user("passwd", "CHANGER", stdin="another password\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = self.user("changer")[2]
        self.assertTrue(after.startswith("$argon2id$"))
        self.assertNotEqual(before, after)
        self.assertEqual(self.rows("SELECT count(*) FROM tokens WHERE user_id = ?", uid)[0][0],
                         0)
        self.assert_refused(self.run_user("passwd", "Changer", stdin="short\n"), "at least 8")
        self.assertEqual(self.user("changer")[2], after)
        self.assert_refused(self.run_user("passwd", "Ghost1", stdin="another password\n"),
                            "no user")

    def test_level(self):
        self.add("Climber")
        r = self.run_user("level", "climber", "100")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.user("climber")[4], 100)
        self.assert_refused(self.run_user("level", "climber", "-1"), "level")
        self.assert_refused(self.run_user("level", "climber", "ten"), "level")
        self.assertEqual(self.user("climber")[4], 100)
        self.assert_refused(self.run_user("level", "Ghost1", "5"), "no user")

    def test_delete(self):
        self.add("Leaver")
        self.add("Stayer")
        r = self.run_user("delete", "LEAVER")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(self.user("leaver"))
        self.assertIsNotNone(self.user("stayer"))
        self.assert_refused(self.run_user("delete", "Leaver"), "no user")
        self.add("leaver")    # the handle is free again

    def test_parallel_adds(self):
        """Several `carrier user add` at once: each waits its turn for the lock."""
        self.add("First")     # the schema exists before the race
        results = {}

        def one(i):
            results[i] = self.run_user("add", "Racer%d" % i, stdin=PASSWORD + "\n")

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, r in results.items():
            self.assertEqual(r.returncode, 0, "Racer%d: %s" % (i, r.stderr))
        self.assertEqual(self.rows("SELECT count(*) FROM users")[0][0], 9)

    def test_sigkill_loses_no_committed_add(self):
        """Kill adds with SIGKILL at random moments; every add that printed success is
        in the database afterwards, and the file passes integrity_check."""
        rng = random.Random(int(os.environ.get("SEED", "0")) or None)
        self.add("Warmup")
        t0 = time.monotonic()
        self.add("Timing")
        typical = time.monotonic() - t0
        attempted, succeeded, killed = {"Warmup", "Timing"}, {"Warmup", "Timing"}, 0
        for i in range(40):
            handle = "Victim%d" % i
            attempted.add(handle)
            p = subprocess.Popen([BIN, "--db", self.db, "user", "add", handle],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            p.stdin.write(PASSWORD + "\n")
            p.stdin.close()
            if i % 4 != 0:
                # Most are killed: anywhere in their life, or near its end, where
                # the row is written and committed.
                if i % 2:
                    time.sleep(rng.uniform(0, typical * 1.2))
                else:
                    time.sleep(rng.uniform(typical * 0.6, typical * 1.05))
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
            out, err = p.stdout.read(), p.stderr.read()
            p.stdout.close()
            p.stderr.close()
            rc = p.wait()
            if rc == -signal.SIGKILL:
                killed += 1
            if rc not in (0, -signal.SIGKILL):
                self.fail("%s: exit %d: %s" % (handle, rc, err))
            if "added " + handle in out:
                succeeded.add(handle)
        self.assertGreater(killed, 5, "the kills never landed (typical add %.3fs)" % typical)
        self.assertGreater(len(succeeded), 10)

        self.assertEqual(self.rows("PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(self.rows("PRAGMA foreign_key_check"), [])
        present = {h for (h,) in self.rows("SELECT handle FROM users")}
        if os.environ.get("VERBOSE"):
            print("\n  typical %.3fs; %d killed; %d reported success; %d present"
                  % (typical, killed, len(succeeded), len(present)))
        self.assertTrue(succeeded <= present, "lost: %s" % sorted(succeeded - present))
        self.assertTrue(present <= attempted, "unexpected: %s" % sorted(present - attempted))
        # And the tool itself still works on the file.
        r = self.run_user("list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 1 + len(present))


if __name__ == "__main__":
    unittest.main(verbosity=2)
