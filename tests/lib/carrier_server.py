"""Start a real carrier server for a Python end-to-end test, and read screens.

    with CarrierServer() as srv:         # free loopback ports, a temporary database
        url = srv.ws_url                 # ws://127.0.0.1:PORT/ws
        ...
    srv.returncode                       # 0 for a clean exit (ASan leaks make it non-zero)

The binary is $CARRIER_BIN (default <repo>/build/carrier); vtscreen is
$CARRIER_BUILD/tests/vtscreen (default <repo>/build/tests/vtscreen).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CARRIER_BUILD") or os.path.join(ROOT, "build")
CARRIER_BIN = os.environ.get("CARRIER_BIN") or os.path.join(BUILD, "carrier")
VTSCREEN_BIN = os.path.join(BUILD, "tests", "vtscreen")


class CarrierServer:
    """The carrier binary on 127.0.0.1 with ports chosen by the kernel."""

    def __init__(self, extra_args=(), start_timeout=15.0):
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.dir = None
        self.proc = None
        self.http_port = None
        self.https_port = None     # with https in the config
        self.ssh_port = None       # with ssh in the config
        self.returncode = None
        self._out = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._reader = None

    # -- life cycle ---------------------------------------------------------

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="carrier-pytest-")
        args = [CARRIER_BIN, "--http", "127.0.0.1:0", "--telnet", "127.0.0.1:0",
                "--db", os.path.join(self.dir, "carrier.db")] + self.extra_args
        self.proc = subprocess.Popen(args, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if not self._ready.wait(self.start_timeout) or self.http_port is None:
            self.stop(sig=signal.SIGKILL)
            raise RuntimeError("carrier did not start:\n" + self.output())
        return self

    def _read_stderr(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace")
            with self._lock:
                self._out.append(line)
            if os.environ.get("CARRIER_TEST_VERBOSE"):
                print(line, end="", flush=True)
            m = re.search(r" event=listen listener=http addr=127\.0\.0\.1:(\d+)", line)
            if m:
                self.http_port = int(m.group(1))
            m = re.search(r" event=listen listener=https addr=127\.0\.0\.1:(\d+)", line)
            if m:
                self.https_port = int(m.group(1))
            m = re.search(r" event=listen listener=ssh addr=127\.0\.0\.1:(\d+)", line)
            if m:
                self.ssh_port = int(m.group(1))
            if re.search(r" event=ready ", line):
                self._ready.set()
        self._ready.set()   # exited: start() notices the missing port

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal the server and wait for it; returns its exit code (negative: killed)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._reader is not None:
            self._reader.join(5)
        self.returncode = self.proc.returncode
        self.proc.stderr.close()
        self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- accessors ----------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.http_port

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d/ws" % self.http_port

    @property
    def wss_url(self):
        return "wss://127.0.0.1:%d/ws" % self.https_port

    def output(self):
        with self._lock:
            return "".join(self._out)


def screen(data, cols=80, rows=24):
    """What a terminal shows after receiving data (bytes): vtscreen's JSON as a dict
    with text/fg/bold rows, cursor [row, col] and bells."""
    res = subprocess.run([VTSCREEN_BIN, str(cols), str(rows)], input=bytes(data),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return json.loads(res.stdout.decode("utf-8"))


def screen_has(scr, needle):
    """True if a row of the screen contains needle (str) or matches it (compiled re)."""
    for row in scr["text"]:
        if (needle.search(row) if hasattr(needle, "search") else needle in row):
            return True
    return False


def wait_until(pred, timeout=5.0, interval=0.02):
    """Poll pred() until it is true; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)
