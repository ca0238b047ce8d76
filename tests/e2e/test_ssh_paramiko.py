"""SSH scripted with python3-paramiko (Debian's): what a caller gets and what it
never gets.

- any user name and no password get a shell, and the shell is the BBS;
- the pty's terminal type picks the charset by the telnet rules (SyncTERM: CP437
  bytes; xterm and vt100: UTF-8), a window-change redraws the menu to fit;
- exec, subsystem (sftp), x11, a second session, direct-tcpip, tcpip-forward:
  refused, and the connection goes on;
- garbage instead of an SSH banner is closed; connections that never log in are
  closed after ssh_login_timeout, and more than handshakes_per_address of them from
  one address are refused at once;
- with ssh_login: "none" is not enough, a banned account is told why and hung up,
  a wrong password is refused (three and the
  connection is closed), the BBS lockout applies, the right one lands at the menu.

Run: /usr/bin/python3 tests/e2e/test_ssh_paramiko.py
"""

import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import paramiko  # noqa: E402

from carrier_server import CarrierServer, screen, screen_has, wait_until  # noqa: E402

SLOW = 3 if "san" in os.environ.get("CARRIER_BUILD", "") else 1
TIMEOUT = 10.0 * SLOW
PASSWORD = "correct horse battery"
BOX_UTF8 = "╔".encode("utf-8")


def start(config, extra=()):
    d = tempfile.mkdtemp(prefix="carrier-ssh-py-")
    path = os.path.join(d, "carrier.toml")
    with open(path, "w") as f:
        f.write(config)
    srv = CarrierServer(["--config", path] + list(extra)).start()
    srv.conf_dir = d
    return srv


def stop(srv):
    code = srv.stop()
    if code != 0:
        raise AssertionError("server exit %r:\n%s" % (code, srv.output()[-4000:]))


def connect(srv, user="guest", password=None, auth_none=True):
    """A paramiko Transport, authenticated."""
    sock = socket.create_connection(("127.0.0.1", srv.ssh_port), timeout=TIMEOUT)
    t = paramiko.Transport(sock)
    t.banner_timeout = TIMEOUT
    t.start_client(timeout=TIMEOUT)
    if password is not None:
        t.auth_password(user, password)
    elif auth_none:
        t.auth_none(user)
    return t


def shell(t, term="xterm", cols=80, rows=24):
    chan = t.open_session(timeout=TIMEOUT)
    chan.settimeout(TIMEOUT)
    chan.get_pty(term=term, width=cols, height=rows)
    chan.invoke_shell()
    return chan


def try_shell(t):
    """shell(t), or None if the server refused the session or its pty."""
    try:
        return shell(t)
    except paramiko.SSHException:
        return None


def read_until(chan, data, pred, what):
    deadline = time.monotonic() + TIMEOUT
    while not pred(data):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s; got %r" % (what, bytes(data[-600:])))
        chan.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = chan.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            raise AssertionError("closed while waiting for %s; got %r" % (what, bytes(data[-600:])))
        data.extend(chunk)
    return data


def screen_until(chan, data, needle, cols=80, rows=24):
    def has(d):
        return screen_has(screen(d, cols, rows), needle)
    read_until(chan, data, has, repr(needle))
    return screen(data, cols, rows)


class OpenDoor(unittest.TestCase):
    """ssh_login off: the BBS's own login follows."""

    @classmethod
    def setUpClass(cls):
        cls.srv = start('[server]\nssh = "127.0.0.1:0"\n[bbs]\npassword_ops = "min"\n'
                        'password_mem = "min"\n[limits]\nssh_login_timeout = 2\n'
                        'handshakes_per_address = 4\n')

    @classmethod
    def tearDownClass(cls):
        stop(cls.srv)

    def test_any_user_no_password_gets_the_bbs(self):
        t = connect(self.srv, "whoever")
        self.assertTrue(t.is_authenticated())
        chan = shell(t)
        screen_until(chan, bytearray(), "Enter your handle")
        t.close()

    def test_terminal_type_picks_the_charset(self):
        for term, cp437 in (("syncterm", True), ("ANSI-BBS", True), ("xterm-256color", False),
                            ("vt100", False)):
            t = connect(self.srv)
            chan = shell(t, term=term)
            data = read_until(chan, bytearray(), lambda d: b"Enter your handle" in d, "the prompt")
            if cp437:
                self.assertIn(bytes([0xC9, 0xCD]), data, term)       # ╔═ in CP437
                self.assertNotIn(BOX_UTF8, data, term)
            else:
                self.assertIn(BOX_UTF8, data, term)
            t.close()

    def test_window_change_redraws_the_menu(self):
        t = connect(self.srv)
        chan = shell(t, cols=80, rows=24)
        data = bytearray()
        screen_until(chan, data, "Enter your handle")
        for line, wait in (("NEW", "Choose a handle"), ("Pam", "Choose a password"),
                           (PASSWORD, "Type the password again"),
                           (PASSWORD, "Where are you calling from"), ("", "Command")):
            chan.sendall((line + "\r").encode())
            screen_until(chan, data, wait)
        screen_until(chan, data, "╔" + "═" * 77 + "╗")
        chan.resize_pty(width=40, height=20)
        scr = screen_until(chan, data, "╔" + "═" * 37 + "╗", cols=40, rows=20)
        self.assertTrue(screen_has(scr, "╚" + "═" * 37 + "╝"))
        t.close()

    def test_exec_subsystem_x11_refused(self):
        for ask in (lambda c: c.exec_command("id"), lambda c: c.invoke_subsystem("sftp"),
                    lambda c: c.request_x11(single_connection=True)):
            t = connect(self.srv)
            chan = t.open_session(timeout=TIMEOUT)
            with self.assertRaises(paramiko.SSHException):     # "Channel closed."
                ask(chan)
            t.close()
        # After a refusal the connection goes on: its channel closed, a new one
        # gets a shell at once.  paramiko marks the channel closed before it
        # sends its close, so its next open can reach the server first, and the
        # server may read the old channel's close while it lets that channel go.
        # That close once marked the new channel closed (about one try in five
        # failed): 20 tries, each of which must work the first time.
        for attempt in range(20):
            t = connect(self.srv)
            chan = t.open_session(timeout=TIMEOUT)
            with self.assertRaises(paramiko.SSHException):
                chan.exec_command("sh")
            self.assertTrue(wait_until(lambda: chan.closed, TIMEOUT))
            chan = try_shell(t)
            self.assertIsNotNone(chan, "no shell after the refusal (try %d)" % attempt)
            screen_until(chan, bytearray(), "Enter your handle")
            if attempt < 19:
                t.close()
        # ...and a second session beside the shell is refused.
        with self.assertRaises(paramiko.ChannelException):
            t.open_session(timeout=TIMEOUT)
        t.close()
        self.assertTrue(wait_until(lambda: "event=ssh_refused what=exec " in self.srv.output()
                                   and "event=ssh_refused what=subsystem name=sftp "
                                   in self.srv.output(), TIMEOUT))

    def test_port_forwarding_refused(self):
        t = connect(self.srv)
        with self.assertRaises(paramiko.ChannelException):
            t.open_channel("direct-tcpip", ("127.0.0.1", self.srv.http_port), ("127.0.0.1", 0),
                           timeout=TIMEOUT)
        with self.assertRaises(paramiko.SSHException):
            t.request_port_forward("127.0.0.1", 0)
        chan = shell(t)
        screen_until(chan, bytearray(), "Enter your handle")
        t.close()

    def test_garbage_instead_of_a_banner(self):
        s = socket.create_connection(("127.0.0.1", self.srv.ssh_port), timeout=TIMEOUT)
        s.sendall(b"GET / HTTP/1.1\r\n\r\n" + bytes(range(256)) * 8)
        s.settimeout(TIMEOUT)
        try:
            while s.recv(4096):     # our banner, perhaps; then the end
                pass
        except ConnectionResetError:
            pass                    # closed with the garbage unread
        s.close()
        self.assertTrue(wait_until(lambda: "event=ssh_kex_failed " in self.srv.output(), TIMEOUT))
        # Others are served.
        t = connect(self.srv)
        screen_until(shell(t), bytearray(), "Enter your handle")
        t.close()

    def test_unauthenticated_connections_time_out_and_are_capped(self):
        socks = []
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", self.srv.ssh_port), timeout=TIMEOUT)
            s.settimeout(TIMEOUT)
            socks.append(s)
        for s in socks:
            self.assertTrue(s.recv(64).startswith(b"SSH-2.0-"))
        # A fifth from the same address is refused at once, without a banner.
        extra = socket.create_connection(("127.0.0.1", self.srv.ssh_port), timeout=TIMEOUT)
        extra.settimeout(TIMEOUT)
        self.assertEqual(extra.recv(64), b"")
        extra.close()
        # The four idle ones are closed after ssh_login_timeout (2 s).
        t0 = time.monotonic()
        for s in socks:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
            s.close()
        self.assertGreater(time.monotonic() - t0, 0.5)
        self.assertIn("event=ssh_no_shell seconds=2 ", self.srv.output())
        self.assertIn("reason=logins_in_flight", self.srv.output())
        # And new callers are welcome again.
        t = connect(self.srv)
        screen_until(shell(t), bytearray(), "Enter your handle")
        t.close()


class BbsLogin(unittest.TestCase):
    """ssh_login on: the SSH user name and password are the BBS's."""

    @classmethod
    def setUpClass(cls):
        cls.srv = start('[server]\nssh = "127.0.0.1:0"\nssh_login = true\n[bbs]\n'
                        'password_ops = "min"\npassword_mem = "min"\nmax_login_failures = 4\n'
                        'lockout_minutes = 5\n')
        subprocess_env = dict(os.environ)
        import subprocess
        for handle in ("Olga", "Lock", "Banned"):
            subprocess.run([os.environ.get("CARRIER_BIN") or os.path.join(
                os.path.dirname(__file__), "..", "..", "build", "carrier"),
                "--db", os.path.join(cls.srv.dir, "carrier.db"), "user", "add", handle],
                input=(PASSWORD + "\n").encode(), check=True, capture_output=True,
                env=subprocess_env)

    @classmethod
    def tearDownClass(cls):
        stop(cls.srv)

    def test_none_is_not_enough(self):
        t = connect(self.srv, auth_none=False)
        with self.assertRaises(paramiko.BadAuthenticationType) as cm:
            t.auth_none("Olga")
        self.assertEqual(cm.exception.allowed_types, ["password"])
        t.close()

    def test_right_password_lands_at_the_menu(self):
        t = connect(self.srv, "olga", PASSWORD)
        self.assertTrue(t.is_authenticated())
        scr = screen_until(shell(t), bytearray(), "Command")
        self.assertTrue(screen_has(scr, "Welcome, Olga!"))
        self.assertFalse(screen_has(scr, "Enter your handle"))
        t.close()

    def test_wrong_passwords_then_disconnected(self):
        t = connect(self.srv, auth_none=False)
        for _ in range(2):
            with self.assertRaises(paramiko.AuthenticationException):
                t.auth_password("Olga", "wrong password")
        with self.assertRaises((paramiko.AuthenticationException, paramiko.SSHException, EOFError)):
            t.auth_password("Olga", "wrong password")
        self.assertTrue(wait_until(lambda: not t.is_active(), TIMEOUT))
        self.assertTrue(wait_until(lambda: "event=ssh_login_failures failures=3 " in self.srv.output(),
                                   TIMEOUT))
        # Olga's count went up, but she is not locked (4 allowed): she gets in.
        t = connect(self.srv, "Olga", PASSWORD)
        self.assertTrue(t.is_authenticated())
        t.close()

    def test_lockout_applies(self):
        for _ in range(2):
            t = connect(self.srv, auth_none=False)
            for _ in range(2):
                with self.assertRaises(paramiko.AuthenticationException):
                    t.auth_password("Lock", "wrong password")
            t.close()
        self.assertTrue(wait_until(lambda: "event=lockout handle=Lock failures=4 " in self.srv.output(),
                                   TIMEOUT))
        t = connect(self.srv, auth_none=False)
        with self.assertRaises(paramiko.AuthenticationException):
            t.auth_password("Lock", PASSWORD)    # right, but locked
        t.close()

    def test_a_banned_account_is_told_and_hung_up(self):
        import subprocess
        r = subprocess.run([os.environ.get("CARRIER_BIN") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build", "carrier"),
            "--db", os.path.join(self.srv.dir, "carrier.db"), "ctl", "ban", "Banned", "2h",
            "spam"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The password is right (the transport checked it); the account is banned.
        t = connect(self.srv, "Banned", PASSWORD)
        chan = shell(t)
        data = bytearray()
        scr = screen_until(chan, data, "This account is banned until")
        self.assertTrue(screen_has(scr, "(spam)."))
        self.assertFalse(screen_has(scr, "Command"))
        self.assertTrue(wait_until(lambda: chan.exit_status_ready() or chan.closed, TIMEOUT))
        t.close()

    def test_new_gets_the_login_prompt(self):
        t = connect(self.srv, "new", auth_none=True)
        self.assertTrue(t.is_authenticated())
        screen_until(shell(t), bytearray(), "Enter your handle")
        t.close()


if __name__ == "__main__":
    unittest.main()
