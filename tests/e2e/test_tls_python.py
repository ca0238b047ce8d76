"""HTTPS and WSS with Python's own TLS (the ssl module over OpenSSL, as a client
trusting the test's certificate) and python3-websockets: TLS 1.3 with ALPN
http/1.1, the page, a wss caller that registers and talks in the room, what the
server refuses (TLS 1.2 without forward secrecy, TLS 1.1, a certificate the client
does not trust), and the server still serving afterwards.

The certificate is made by the test with `openssl req`.

Run: /usr/bin/python3 tests/e2e/test_tls_python.py
"""

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import websockets  # noqa: E402

from carrier_server import CarrierServer, screen, screen_has, wait_until  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*TLSv1")

SRV = None
DIR = None
CERT = KEY = None
TIMEOUT = 5.0 * (3 if "san" in os.environ.get("CARRIER_BUILD", "") else 1)
PASSWORD = "correct horse battery"


def setUpModule():
    global SRV, DIR, CERT, KEY
    DIR = tempfile.mkdtemp(prefix="carrier-tls-py-")
    CERT, KEY = os.path.join(DIR, "c.crt"), os.path.join(DIR, "c.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", KEY, "-out", CERT,
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    conf = os.path.join(DIR, "carrier.toml")
    with open(conf, "w") as f:
        f.write('[server]\nhttps = "127.0.0.1:0"\ntls_cert = "c.crt"\ntls_key = "c.key"\n'
                '[bbs]\npassword_ops = "min"\npassword_mem = "min"\n')
    SRV = CarrierServer(["--config", conf]).start()


def tearDownModule():
    code = SRV.stop()
    shutil.rmtree(DIR, ignore_errors=True)
    if code != 0:
        raise AssertionError("server exit %r:\n%s" % (code, SRV.output()[-4000:]))


def client_context():
    ctx = ssl.create_default_context(cafile=CERT)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def tls_socket(ctx, server_hostname="localhost"):
    raw = socket.create_connection(("127.0.0.1", SRV.https_port), timeout=TIMEOUT)
    return ctx.wrap_socket(raw, server_hostname=server_hostname)


def get(path):
    with tls_socket(client_context()) as s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                   % path).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


async def read_until(ws, received, needle, cols=80, rows=24):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        scr = screen(received, cols, rows)
        if screen_has(scr, needle):
            return scr
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError("timed out waiting for %r; screen:\n%s"
                                 % (needle, "\n".join(scr["text"])))
        msg = await asyncio.wait_for(ws.recv(), left)
        if isinstance(msg, bytes):
            received.extend(msg)


class TlsTest(unittest.TestCase):

    def test_tls13_alpn_and_the_page(self):
        with tls_socket(client_context()) as s:
            self.assertEqual(s.version(), "TLSv1.3")
            self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
            self.assertIn(s.cipher()[0], ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                          "TLS_CHACHA20_POLY1305_SHA256"))
        page = get("/")
        self.assertTrue(page.startswith(b"HTTP/1.1 200 OK\r\n"), page[:80])
        self.assertIn(b"<!doctype html>", page.lower())

    def test_tls12_only_forward_secret_aead(self):
        ctx = client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with tls_socket(ctx) as s:
            self.assertEqual(s.version(), "TLSv1.2")
            self.assertTrue(s.cipher()[0].startswith("ECDHE-"), s.cipher())
            self.assertIn("GCM", s.cipher()[0])
        # A client that offers only static-RSA or CBC suites finds nothing in common.
        ctx = client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-SHA:AES256-SHA:ECDHE-ECDSA-AES128-SHA")
        with self.assertRaises(ssl.SSLError):
            tls_socket(ctx).close()

    def test_tls11_refused(self):
        ctx = client_context()
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT@SECLEVEL=0")
        with self.assertRaises(ssl.SSLError):
            tls_socket(ctx).close()
        # Refused by the server (not by this client's own policy).
        self.assertTrue(wait_until(lambda: 'event=tls_error' in SRV.output() and
                                   'error="unsupported protocol' in SRV.output(), TIMEOUT))

    def test_untrusted_certificate_fails_on_the_client(self):
        ctx = ssl.create_default_context()       # the system's CAs: ours is not one
        with self.assertRaises(ssl.SSLCertVerificationError):
            tls_socket(ctx).close()

    def test_wss_caller_registers_and_talks(self):
        async def run():
            async with websockets.connect(SRV.wss_url, ssl=client_context()) as ws:
                received = bytearray()
                await ws.send('{"type":"resize","cols":80,"rows":24}')
                await read_until(ws, received, "Enter your handle")
                for line, wait in (("NEW", "Choose a handle"), ("Pyssl", "Choose a password"),
                                   (PASSWORD, "Type the password again"),
                                   (PASSWORD, "Where are you calling from"), ("", "Command")):
                    await ws.send((line + "\r").encode())
                    await read_until(ws, received, wait)
                await ws.send(b"C")
                await read_until(ws, received, "Welcome to Teleconference")
                await ws.send(b"hello over python ssl\r")
                await read_until(ws, received, "Pyssl: hello over python ssl")
        asyncio.run(run())
        # And the server goes on serving.
        self.assertTrue(get("/").startswith(b"HTTP/1.1 200 OK"))


if __name__ == "__main__":
    unittest.main()
