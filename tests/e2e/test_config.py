#!/usr/bin/python3
"""End to end: the real carrier binary and its config file.

A bad config names FILE:LINE:COLUMN and the server refuses to start (exits non-zero,
never listens); an unknown key is a warning and the server starts; the shipped
carrier.toml starts the server with no warning; command-line flags override the
file; with no --config, ./carrier.toml is read if it exists.

CARRIER_BIN names the binary (default: <repo>/build/carrier)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CARRIER_BIN", os.path.join(ROOT, "build", "carrier"))
SHIPPED = os.path.join(ROOT, "carrier.toml")
TIMEOUT = 15


class Carrier:
    """A carrier process with its stderr collected line by line."""

    def __init__(self, args, cwd):
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([BIN] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)          # end of stream
            self.cond.notify_all()

    def wait_line(self, pattern):
        """The first stderr line matching pattern, or None if the stream ends first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + TIMEOUT
        seen = 0
        with self.cond:
            while True:
                while seen < len(self.lines):
                    line = self.lines[seen]
                    seen += 1
                    if line is None:
                        return None
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %r; stderr:\n%s"
                                         % (pattern, self.text()))
                self.cond.wait(left)

    def text(self):
        with self.cond:
            return "\n".join(l for l in self.lines if l is not None)

    def wait_exit(self):
        rc = self.proc.wait(TIMEOUT)
        self.reader.join(TIMEOUT)
        self.proc.stderr.close()
        return rc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait_exit()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@unittest.skipUnless(os.access(BIN, os.X_OK), "no carrier binary at " + BIN)
class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="carrier-config-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def start(self, *args, telnet=True):
        extra = ["--db", os.path.join(self.dir, "carrier.db")]
        if telnet:
            extra += ["--telnet", "127.0.0.1:0"]
        p = Carrier(list(args) + extra, self.dir)
        self.procs.append(p)
        return p

    def assert_refused(self, p, want):
        rc = p.wait_exit()
        err = p.text()
        self.assertNotEqual(rc, 0, err)
        self.assertIn(want, err.splitlines(), err)
        self.assertNotIn("event=ready", err)
        self.assertNotIn("event=listen", err)

    def wait_ready(self, p):
        m = p.wait_line(r" event=listen listener=http addr=\S+:(\d+)")
        self.assertIsNotNone(m, p.text())
        self.assertIsNotNone(p.wait_line(r" event=ready "), p.text())
        return int(m.group(1))

    # ---- a bad config: FILE:LINE:COL, non-zero, never listening ----

    def test_wrong_type_refuses_to_start(self):
        port = free_port()
        path = self.write("bad.toml",
                          '[server]\nhttp = "127.0.0.1:%d"\n\n[bbs]\n'
                          'name = "Test"\n  max_nodes = "many"\n' % port)
        p = self.start("--config", path, telnet=False)
        self.assert_refused(p, '%s:6:3: "max_nodes" must be an integer from 1 to 100000'
                            % path)
        self.assertFalse(port_open(port))

    def test_syntax_error_refuses_to_start(self):
        path = self.write("syntax.toml", '[bbs\nname = "x"\n')
        p = self.start("--config", path, "--http", "127.0.0.1:0")
        rc = p.wait_exit()
        self.assertNotEqual(rc, 0)
        self.assertRegex(p.text(), r"(?m)^%s:1:\d+: " % re.escape(path))
        self.assertNotIn("event=ready", p.text())

    def test_unknown_menu_command_refuses_to_start(self):
        path = self.write("menu.toml",
                          '[[menu.main]]\nhotkey = "C"\nname = "Chat"\ntype = "command"\n'
                          'command = "chat"\n\n[[menu.main]]\nhotkey = "Z"\n'
                          'name = "Zork"\ntype = "command"\ncommand = "zork"\n')
        p = self.start("--config", path, "--http", "127.0.0.1:0")
        self.assert_refused(p, '%s:11:1: unknown command "zork" in [[menu.main]] (known: '
                            'chat, who, last_callers, profile, user_lookup, logoff, telegrams)' % path)

    def test_missing_config_file_refuses_to_start(self):
        path = os.path.join(self.dir, "nowhere.toml")
        p = self.start("--config", path, "--http", "127.0.0.1:0")
        self.assert_refused(p, "%s: cannot read: No such file or directory" % path)

    # ---- warnings only: the server starts ----

    def test_unknown_key_warns_and_starts(self):
        path = self.write("warn.toml",
                          '[server]\nhttp = "127.0.0.1:0"\nfooo = 1\n[bbs]\nname = "Warned"\n')
        p = self.start("--config", path)
        port = self.wait_ready(p)
        self.assertIn('%s:3:1: warning: unknown key "fooo" in [server]' % path,
                      p.text().splitlines())
        self.assertTrue(port_open(port))
        self.assertEqual(p.stop(), 0, p.text())

    def test_shipped_config_starts(self):
        p = self.start("--config", SHIPPED, "--http", "127.0.0.1:0")
        port = self.wait_ready(p)
        self.assertNotIn("warning", p.text())
        self.assertIn("event=settings path=%s" % SHIPPED, p.text())
        self.assertTrue(port_open(port))
        self.assertEqual(p.stop(), 0, p.text())

    # ---- precedence: flags over the file; ./carrier.toml by default ----

    def test_flags_override_file(self):
        taken = free_port()
        path = self.write("ports.toml", '[server]\nhttp = "127.0.0.1:%d"\n' % taken)
        p = self.start("--config", path, "--http", "127.0.0.1:0")
        port = self.wait_ready(p)
        self.assertNotEqual(port, taken)
        self.assertEqual(p.stop(), 0, p.text())

    def test_file_port_is_used(self):
        want = free_port()
        path = self.write("port.toml", '[server]\nhttp = "127.0.0.1:%d"\n' % want)
        p = self.start("--config", path)
        self.assertEqual(self.wait_ready(p), want)
        self.assertEqual(p.stop(), 0, p.text())

    def test_reads_carrier_toml_in_working_directory(self):
        self.write("carrier.toml", '[bbs]\nmax_nodes = 0\n')
        p = self.start("--http", "127.0.0.1:0")
        self.assert_refused(p, 'carrier.toml:2:1: "max_nodes" must be an integer from 1 '
                            'to 100000')

    def test_runs_without_any_file(self):
        self.assertFalse(os.path.exists(os.path.join(self.dir, "carrier.toml")))
        p = self.start("--http", "127.0.0.1:0")
        port = self.wait_ready(p)
        self.assertNotIn("event=settings", p.text())
        self.assertTrue(port_open(port))
        self.assertEqual(p.stop(), 0, p.text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
