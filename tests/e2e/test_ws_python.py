"""WebSocket end to end with independent Python clients.

python3-websockets (10.4) as a well-behaved terminal; python3-autobahn (22.7) as a
hostile one, sending deliberately invalid frames with sendFrame().  Every close code
is asserted exactly, and after each hostile client a fresh one is served.

Run: /usr/bin/python3 tests/e2e/test_ws_python.py
"""

import asyncio
import os
import re
import struct
import sys
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import txaio  # noqa: E402
import websockets  # noqa: E402
from autobahn.asyncio.websocket import (  # noqa: E402
    WebSocketClientFactory, WebSocketClientProtocol)

from carrier_server import CarrierServer, screen, screen_has  # noqa: E402

txaio.use_asyncio()
warnings.filterwarnings("ignore", category=DeprecationWarning, module="txaio")

SRV = None
TIMEOUT = 5.0 * (3 if "san" in os.environ.get("CARRIER_BUILD", "") else 1)


def setUpModule():
    global SRV
    SRV = CarrierServer().start()


def tearDownModule():
    code = SRV.stop()
    if code != 0:
        raise AssertionError("server exit %r:\n%s" % (code, SRV.output()[-4000:]))


# --- python3-websockets ------------------------------------------------------

async def read_until(ws, received, needle, cols=80, rows=24, timeout=TIMEOUT):
    """Receive binary frames into received (bytearray) until the screen shows needle."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
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


PROMPT = "Enter your handle (or NEW):"
PASSWORD = re.compile(r"^Password: ?$")


def handle_row(typed=""):
    """The prompt's row once typed has been echoed (rows are right-trimmed)."""
    return re.compile("^" + re.escape(PROMPT) + (" " + re.escape(typed) if typed else " ?") + "$")


async def serves(word="alive"):
    """A fresh caller gets the login prompt, its handle echoed and the password
    prompt; closes with 1000 (the code the server echoes)."""
    async with websockets.connect(SRV.ws_url, ping_interval=None) as ws:
        got = bytearray()
        await read_until(ws, got, handle_row())
        await ws.send(("%s\r" % word).encode())
        await read_until(ws, got, handle_row(word))
        await read_until(ws, got, PASSWORD)
        await ws.close(1000)
        return ws.close_code


class WebsocketsClient(unittest.IsolatedAsyncioTestCase):

    async def test_login_prompt_type_echo(self):
        async with websockets.connect(SRV.ws_url, ping_interval=None) as ws:
            got = bytearray()
            scr = await read_until(ws, got, handle_row())
            self.assertTrue(screen_has(scr, "Carrier BBS"))
            self.assertTrue(screen_has(scr, re.compile(r"node \d+")))
            row = [i for i, r in enumerate(scr["text"]) if handle_row().search(r)][-1]
            self.assertEqual(scr["cursor"], [row, len(PROMPT) + 1])
            await ws.send(b"py")
            await read_until(ws, got, handle_row("py"))
            # Non-ASCII survives the round trip as UTF-8.
            await ws.send("th\u00f6n\u2603\r".encode())
            scr = await read_until(ws, got, PASSWORD)
            self.assertTrue(screen_has(scr, handle_row("pyth\u00f6n\u2603")),
                            "\n".join(scr["text"]))
            await ws.send(b"hunter2")
            scr = await read_until(ws, got, re.compile(r"^Password: \*{7}$"))
            self.assertFalse(screen_has(scr, "hunter2"))
            await ws.close(1000)
            self.assertEqual(ws.close_code, 1000)

    async def test_ping_pong(self):
        async with websockets.connect(SRV.ws_url, ping_interval=None) as ws:
            waiter = await ws.ping(b"py-ping")
            await asyncio.wait_for(waiter, TIMEOUT)

    async def test_close_codes_echoed(self):
        for code in (1000, 3000, 4999):
            ws = await websockets.connect(SRV.ws_url, ping_interval=None)
            await ws.close(code, "bye")
            self.assertEqual(ws.close_code, code)

    async def test_resize_narrows_the_input_line(self):
        alpha = "abcdefghijklmnopqrst"
        async with websockets.connect(SRV.ws_url, ping_interval=None) as ws:
            got = bytearray()
            await read_until(ws, got, handle_row())
            await ws.send('{"type":"resize","cols":40,"rows":24}')
            await ws.send(alpha.encode())
            # At 40 columns prompt + handle do not fit: the input scrolls sideways.
            await read_until(ws, got, re.compile("^" + re.escape(PROMPT) + " .*qrst$"))
            scr = screen(got)
            self.assertFalse(screen_has(scr, alpha), "\n".join(scr["text"]))

    async def test_too_big_message_1009(self):
        ws = await websockets.connect(SRV.ws_url, ping_interval=None)
        await ws.send(b"x" * (64 * 1024 + 1))
        with self.assertRaises(websockets.ConnectionClosed):
            for _ in range(1000):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
        self.assertEqual(ws.close_code, 1009)
        self.assertEqual(await serves("after-1009"), 1000)


# --- python3-autobahn: deliberately invalid frames ---------------------------

class Probe(WebSocketClientProtocol):
    """Runs factory.script once the welcome screen has arrived.  script(proto) may
    add (needle, fn) to factory.triggers: fn(proto) runs once the screen shows
    needle."""

    def onOpen(self):
        self.factory.triggers.append((PROMPT, self.factory.script))

    def onMessage(self, payload, isBinary):
        if isBinary:
            self.factory.received.extend(payload)
        if not self.factory.triggers:
            return
        scr = screen(self.factory.received)
        for trig in list(self.factory.triggers):
            if screen_has(scr, trig[0]):
                self.factory.triggers.remove(trig)
                trig[1](self)

    def onClose(self, wasClean, code, reason):
        if not self.factory.done.done():
            self.factory.done.set_result(self.remoteCloseCode)


def autobahn_run(script, mask=True, timeout=TIMEOUT):
    """Connect with autobahn, run script, return the close code the server sent
    (None if it sent none) and the bytes received."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)     # txaio schedules autobahn's timers on it
    txaio.config.loop = loop
    try:
        factory = WebSocketClientFactory(SRV.ws_url)
        factory.protocol = Probe
        factory.setProtocolOptions(maskClientFrames=mask, autoPingInterval=0,
                                   closeHandshakeTimeout=2)
        factory.script = script
        factory.triggers = []
        factory.received = bytearray()
        factory.done = loop.create_future()
        transport, _ = loop.run_until_complete(
            loop.create_connection(factory, "127.0.0.1", SRV.http_port))
        try:
            code = loop.run_until_complete(asyncio.wait_for(factory.done, timeout))
        finally:
            transport.abort()
        return code, bytes(factory.received)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


class AutobahnInvalidFrames(unittest.TestCase):

    def expect(self, script, code, mask=True):
        got, _ = autobahn_run(script, mask=mask)
        self.assertEqual(got, code)
        self.assertEqual(asyncio.run(serves("after-%d" % code)), 1000)

    def test_bad_utf8_text_1007(self):
        self.expect(lambda p: p.sendFrame(opcode=1, payload=b"{\"type\":\"\xc3\x28\"}"), 1007)

    def test_bad_utf8_in_second_fragment_1007(self):
        def script(p):
            p.sendFrame(opcode=1, payload=b"ab\xe2\x82", fin=False)
            p.sendFrame(opcode=0, payload=b"\xff", fin=True)
        self.expect(script, 1007)

    def test_reserved_opcodes_1002(self):
        for op in (3, 7, 0xB, 0xF):
            with self.subTest(opcode=op):
                self.expect(lambda p, op=op: p.sendFrame(opcode=op, payload=b"x"), 1002)

    def test_rsv_bits_1002(self):
        for rsv in (1, 2, 4):
            with self.subTest(rsv=rsv):
                self.expect(lambda p, rsv=rsv: p.sendFrame(opcode=2, payload=b"x", rsv=rsv), 1002)

    def test_oversized_ping_1002(self):
        self.expect(lambda p: p.sendFrame(opcode=9, payload=b"p" * 126), 1002)

    def test_unmasked_1002(self):
        self.expect(lambda p: p.sendFrame(opcode=2, payload=b"hi\r"), 1002, mask=False)

    def test_oversized_message_1009(self):
        self.expect(lambda p: p.sendFrame(opcode=2, payload=b"z", payload_len=64 * 1024 + 1), 1009)

    def test_close_with_invalid_code_1002(self):
        for bad in (0, 999, 1005, 1006, 1100, 2999, 5000):
            with self.subTest(code=bad):
                self.expect(lambda p, bad=bad: p.sendFrame(opcode=8, payload=struct.pack("!H", bad)), 1002)

    def test_close_1000_echoed(self):
        got, _ = autobahn_run(lambda p: p.sendClose(1000))
        self.assertEqual(got, 1000)
        got, _ = autobahn_run(lambda p: p.sendClose(3003, "see you"))
        self.assertEqual(got, 3003)

    def test_split_code_point_and_interleaved_ping_accepted(self):
        msg = '{"type":"resize","note":"\u20ac","cols":80,"rows":24}'.encode()
        cut = msg.index("\u20ac".encode()) + 1

        def script(p):
            p.sendFrame(opcode=1, payload=msg[:cut], fin=False)
            p.sendFrame(opcode=9, payload=b"between")
            p.sendFrame(opcode=0, payload=msg[cut:], fin=True)
            p.sendFrame(opcode=2, payload=b"split", fin=False)
            p.sendFrame(opcode=0, payload=b"ok\r", fin=True)
            p.factory.triggers.append((PASSWORD, lambda q: q.sendClose(1000)))

        got, data = autobahn_run(script)
        self.assertEqual(got, 1000, "the fragmented messages were not accepted")
        self.assertTrue(screen_has(screen(data), handle_row("splitok")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
