#!/usr/bin/python3
"""End to end: running Carrier for real, from the command line and under systemd.

`carrier check-config [FILE]` on good and bad files (the errors as FILE:LINE:COL,
exit 1 on any); the unit file in contrib/ passes `systemd-analyze verify` (skipped,
with the reason, where systemd-analyze cannot run); and the server speaks systemd's
notify protocol: READY=1 once the listeners are open, watchdog pings from the loop,
RELOADING=1 and READY=1 around a SIGHUP, STOPPING=1 (read on a datagram socket of
the test's own, as systemd would).

CARRIER_BIN names the binary (default: <repo>/build/carrier)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
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


UNIT = os.path.join(ROOT, "contrib", "carrier.service")


class SystemdUnit(unittest.TestCase):
    """contrib/carrier.service, checked by systemd's own tools."""

    def setUp(self):
        self.analyze = shutil.which("systemd-analyze")
        if self.analyze is None:
            self.skipTest("systemd-analyze is not installed (Debian: apt-get install systemd)")
        self.dir = tempfile.mkdtemp(prefix="carrier-unit-")
        # verify wants ExecStart to exist: point it at the build.
        self.units = []
        for name in sorted(os.listdir(os.path.dirname(UNIT))):
            if not name.endswith((".service", ".timer")):
                continue
            with open(os.path.join(os.path.dirname(UNIT), name), encoding="utf-8") as f:
                text = f.read()
            path = os.path.join(self.dir, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("/usr/local/bin/carrier", os.path.abspath(BIN)))
            self.units.append(path)
        self.unit = os.path.join(self.dir, "carrier.service")
        self.assertIn(self.unit, self.units)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def analyze_run(self, *args):
        r = subprocess.run([self.analyze] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60, cwd=self.dir)
        # Where systemd-analyze itself cannot work here (no /run/systemd, a
        # container without the manager's pieces), say so and skip.
        out = r.stdout + r.stderr
        for why in ("Failed to initialize manager", "Failed to connect to bus",
                    "Failed to create bus connection", "System has not been booted with systemd",
                    "Failed to setup working directory"):
            if why in out and r.returncode != 0:
                self.skipTest("systemd-analyze cannot run here: " + why)
        return r

    def test_verify(self):
        # carrier.service, and the nightly backup's service and timer
        self.assertEqual(len(self.units), 3, self.units)
        r = self.analyze_run("verify", *self.units)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # verify only warns about unknown keys and bad values: none allowed.
        self.assertEqual(r.stderr.strip(), "", r.stderr)

    def test_the_check_can_fail(self):
        with open(self.unit, encoding="utf-8") as f:
            text = f.read()
        with open(self.unit, "w", encoding="utf-8") as f:
            f.write(text.replace("NoNewPrivileges=yes", "NoNewPrivilegs=yes"))
        r = self.analyze_run("verify", self.unit)
        self.assertIn("Unknown key 'NoNewPrivilegs'", r.stderr)

    def test_what_the_unit_says(self):
        with open(UNIT, encoding="utf-8") as f:
            text = f.read()
        for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=",
                     "DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=carrier",
                     "NoNewPrivileges=yes", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                     "AmbientCapabilities=CAP_NET_BIND_SERVICE"):
            self.assertRegex(text, r"(?m)^" + re.escape(line), line)

    def test_exposure(self):
        for unit in self.units:
            if not unit.endswith(".service"):
                continue
            r = self.analyze_run("security", "--offline=yes", unit)
            if r.returncode != 0 and "--offline" in r.stderr:
                self.skipTest("this systemd-analyze has no --offline")
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            self.assertLessEqual(float(m.group(1)), 2.0, unit + "\n" + r.stdout)


class Notify(unittest.TestCase):
    """The notify protocol, without systemd: $NOTIFY_SOCKET names a datagram
    socket of ours."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="carrier-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()
        self.proc = None

    def read(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            with self.cond:
                self.msgs.append(data.decode("utf-8", "replace"))
                self.cond.notify_all()

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.proc.stderr.close()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_msg(self, pred, what, timeout=15):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, m in enumerate(self.msgs):
                    if pred(m):
                        del self.msgs[:i + 1]
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    self.fail("no %s; got %r" % (what, self.msgs))
                self.cond.wait(left)

    def barrier(self):
        """Everything sent to the socket so far has been read: returns it (and
        forgets it), by sending a marker of our own and waiting for it."""
        mark = "MARK-%f" % time.monotonic()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(mark.encode(), self.path)
        deadline = time.monotonic() + 15
        with self.cond:
            while mark not in self.msgs:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.fail("our own marker never arrived")
                self.cond.wait(left)
            i = self.msgs.index(mark)
            before = self.msgs[:i]
            del self.msgs[:i + 1]
            return before

    def wait_stopped(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "T":
                    return
            time.sleep(0.01)
        self.fail("the server never stopped")

    def test_ready_watchdog_reload_stopping(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.path, WATCHDOG_USEC="200000")
        env.pop("WATCHDOG_PID", None)
        self.proc = subprocess.Popen(
            [BIN, "--http", "127.0.0.1:0", "--telnet", "127.0.0.1:0",
             "--db", os.path.join(self.dir, "c.db")], cwd=self.dir, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ready = self.wait_msg(lambda m: "READY=1" in m, "READY=1")
        self.assertRegex(ready, r"STATUS=serving: http port \d+")
        # Ready means listening: the port in the status takes connections now.
        port = int(re.search(r"http port (\d+)", ready).group(1))
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        # Pings, every 100 ms (half the 200 ms asked for), from the loop.
        for _ in range(3):
            self.wait_msg(lambda m: m == "WATCHDOG=1", "WATCHDOG=1")
        self.proc.send_signal(signal.SIGHUP)
        self.assertRegex(self.wait_msg(lambda m: "RELOADING=1" in m, "RELOADING=1"),
                         r"MONOTONIC_USEC=\d+")
        self.assertIn("settings reloaded", self.wait_msg(lambda m: "READY=1" in m, "READY=1"))
        # A stopped (wedged) loop stops pinging: once it is stopped and what it sent
        # before has been read, 2.5 intervals pass in silence.
        self.proc.send_signal(signal.SIGSTOP)
        self.wait_stopped()
        self.barrier()
        time.sleep(0.5)       # what is under test: silence while time passes
        self.assertEqual(self.barrier(), [])
        self.proc.send_signal(signal.SIGCONT)
        self.wait_msg(lambda m: m == "WATCHDOG=1", "WATCHDOG=1 again")
        self.proc.send_signal(signal.SIGTERM)
        self.wait_msg(lambda m: "STOPPING=1" in m, "STOPPING=1")
        self.assertEqual(self.proc.wait(15), 0)
        err = self.proc.stderr.read().decode()
        self.assertIn("event=watchdog interval_ms=200", err)

    def test_without_systemd_nothing_changes(self):
        env = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        self.proc = subprocess.Popen(
            [BIN, "--http", "127.0.0.1:0", "--telnet", "127.0.0.1:0",
             "--db", os.path.join(self.dir, "c.db")], cwd=self.dir, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lines = []
        for raw in self.proc.stderr:
            lines.append(raw.decode())
            if " event=ready " in lines[-1]:
                break
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(15), 0)
        err = "".join(lines) + self.proc.stderr.read().decode()
        self.assertNotIn("event=watchdog", err)
        self.assertNotIn("notify_failed", err)
        # Not the journal: every line starts with its time.
        for line in err.splitlines():
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) event=")


if __name__ == "__main__":
    unittest.main()
