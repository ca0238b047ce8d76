// WebSocket end to end: the Node `ws` package as a well-behaved terminal, and raw
// sockets with hand-made frames as hostile clients.  Every hostile client must get
// the exact close code, and the server must go on serving everyone else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { screenRow } from '../lib/screen.mjs';
import {
  RawSocket, RawWs, OP, closePayload, frame, readResponse, upgradeRequest,
} from '../lib/raw.mjs';
import { Caller, assertServes, HANDLE_PROMPT, handleRow, PASSWORD_ROW } from '../lib/caller.mjs';
import { SLOW, sleep, withTimeout } from '../lib/wait.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

/** Open a raw client and wait for its welcome screen (so the session is live). */
async function hostile() {
  const c = await RawWs.open(srv.httpPort);
  await c.waitScreen(HANDLE_PROMPT);
  return c;
}

/** Send bytes from a fresh hostile client and expect the given close code. */
async function expectCloseFor(bytes, code) {
  const c = await hostile();
  try {
    await c.send(Buffer.concat([].concat(bytes)));
    await c.expectClose(code);
  } finally {
    c.destroy();
  }
  await assertServes(srv);
}

// --- a well-behaved terminal ------------------------------------------------

test('first screen: art, board name, node number, the handle prompt with the cursor after it', async () => {
  const t = await Caller.connect(srv.wsUrl);
  try {
    const s = await t.waitScreen(handleRow());
    assert.ok(screenRow(s, 'Carrier BBS') >= 0, `no board name:\n${s.text.join('\n')}`);
    assert.ok(screenRow(s, /node \d+/) >= 0, `no node number:\n${s.text.join('\n')}`);
    const p = screenRow(s, handleRow());
    assert.deepEqual(s.cursor, [p, HANDLE_PROMPT.length + 1], 'the cursor waits after the prompt');
    assert.equal(s.bold[p][0], 'B', 'the prompt is bold');
    // Art above the board name: something drawn in colour.
    const w = screenRow(s, 'Carrier BBS');
    assert.ok(s.fg.slice(0, w).some((row) => /[0-9a-f]/.test(row)), 'no coloured art above the board name');
  } finally {
    t.terminate();
  }
});

test('typed input is echoed; Enter moves on to the password prompt, which echoes stars', async () => {
  const t = await Caller.connect(srv.wsUrl);
  try {
    await t.waitScreen(handleRow());
    t.type('hel');
    await t.waitScreen(handleRow('hel'));
    t.type('lo\r');
    const s = await t.waitScreen(PASSWORD_ROW);
    const r = screenRow(s, PASSWORD_ROW);
    assert.match(s.text[r - 1], handleRow('hello'), 'the typed handle stays above');
    assert.deepEqual(s.cursor, [r, 'Password: '.length]);
    t.type('sekrit');
    const s2 = await t.waitScreen(/^Password: \*{6}$/);
    assert.ok(!s2.text.some((row) => row.includes('sekrit')), 'the password is never shown');
  } finally {
    t.terminate();
  }
});

test('editing keys: backspace and Ctrl-U', async () => {
  const t = await Caller.connect(srv.wsUrl);
  try {
    await t.waitScreen(handleRow());
    t.type('abX\x7fc');
    await t.waitScreen(handleRow('abc'));
    t.type('\x15');
    await t.waitScreen(handleRow());
    t.type('ok');
    await t.waitScreen(handleRow('ok'));
  } finally {
    t.terminate();
  }
});

test('node numbers differ between two callers', async () => {
  const a = await Caller.connect(srv.wsUrl);
  const b = await Caller.connect(srv.wsUrl);
  try {
    const sa = await a.waitScreen(/node \d+/);
    const sb = await b.waitScreen(/node \d+/);
    const na = /node (\d+)/.exec(sa.text.join('\n'))[1];
    const nb = /node (\d+)/.exec(sb.text.join('\n'))[1];
    assert.notEqual(na, nb);
  } finally {
    a.terminate();
    b.terminate();
  }
});

// At 80 columns the prompt and a 20-character handle fit on one row; at 40 they
// do not, and the line editor scrolls the input sideways, showing its tail.
const ALPHA = 'abcdefghijklmnopqrst';
const scrolled = (s) => {
  const r = screenRow(s, HANDLE_PROMPT);
  return r >= 0 && s.text[r].endsWith('qrst') && !s.text[r].includes(ALPHA);
};

test('resize message: the input line uses the new width', async () => {
  const wide = await Caller.connect(srv.wsUrl);
  const narrow = await Caller.connect(srv.wsUrl);
  try {
    await wide.waitScreen(handleRow());
    await narrow.waitScreen(handleRow());
    wide.type(ALPHA);
    await wide.waitScreen(handleRow(ALPHA));
    narrow.resize(40, 24);
    narrow.type(ALPHA);
    await narrow.waitScreen(scrolled);
    // Nonsense control messages are ignored, the session goes on.
    narrow.ws.send('{"type":"resize","cols":-1,"rows":99999}');
    narrow.ws.send('not json at all');
    narrow.ws.send('{"type":"no-such-thing"}');
    narrow.ws.send('{"type":"resize","cols":"80","rows":24}');
    narrow.type('\r');
    await narrow.waitScreen(PASSWORD_ROW);
  } finally {
    wide.terminate();
    narrow.terminate();
  }
});

test('ping from the client gets a pong with the same payload', async () => {
  const t = await Caller.connect(srv.wsUrl);
  try {
    const pong = new Promise((resolve) => t.ws.once('pong', resolve));
    t.ws.ping(Buffer.from('are you there'));
    const data = await withTimeout(pong, 3000 * SLOW, 'a pong');
    assert.equal(data.toString(), 'are you there');
  } finally {
    t.terminate();
  }
});

test('close handshake: 1000 is echoed, and so is an application code', async () => {
  for (const code of [1000, 4001]) {
    const t = await Caller.connect(srv.wsUrl);
    await t.waitScreen(HANDLE_PROMPT);
    const c = await t.close(code, 'bye');
    assert.equal(c.code, code);
  }
});

test('raw close handshake: code echoed, server then closes TCP; an empty close is answered 1000', async () => {
  let c = await hostile();
  await c.send(frame({ op: OP.CLOSE, payload: closePayload(1000, 'done') }));
  await c.expectClose(1000);
  c.destroy();
  c = await hostile();
  await c.send(frame({ op: OP.CLOSE }));
  await c.expectClose(1000);
  c.destroy();
});

// --- hostile clients --------------------------------------------------------

test('unmasked client frame -> 1002', async () => {
  await expectCloseFor(frame({ op: OP.BINARY, payload: 'hi\r', mask: false }), 1002);
});

test('invalid UTF-8 in a text frame -> 1007', async () => {
  await expectCloseFor(frame({ op: OP.TEXT, payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) }), 1007);
  // Overlong encoding and a surrogate are invalid too.
  await expectCloseFor(frame({ op: OP.TEXT, payload: Buffer.from([0xc0, 0xaf]) }), 1007);
  await expectCloseFor(frame({ op: OP.TEXT, payload: Buffer.from([0xed, 0xa0, 0x80]) }), 1007);
  // A message that ends inside a code point.
  await expectCloseFor(frame({ op: OP.TEXT, payload: Buffer.from([0x61, 0xe2, 0x82]) }), 1007);
});

test('a code point split across two fragments is accepted (and the message acted on)', async () => {
  const c = await hostile();
  try {
    const msg = Buffer.from(JSON.stringify({ type: 'resize', note: 'caf\u00e9 \u20ac', cols: 40, rows: 24 }));
    const euro = msg.indexOf(Buffer.from('\u20ac'));
    const cut = euro + 2;    // between the 2nd and 3rd byte of the euro sign
    await c.send(Buffer.concat([
      frame({ op: OP.TEXT, payload: msg.subarray(0, cut), fin: false }),
      frame({ op: OP.CONT, payload: msg.subarray(cut) }),
    ]));
    // The resize took effect: the handle now scrolls sideways.
    await c.send(frame({ op: OP.BINARY, payload: ALPHA }));
    await c.waitScreen(scrolled);
    assert.ok(!c.frames.some((f) => f.op === OP.CLOSE));
  } finally {
    c.destroy();
  }
});

test('invalid continuation byte in the second fragment -> 1007', async () => {
  await expectCloseFor([
    frame({ op: OP.TEXT, payload: Buffer.from([0x61, 0xe2, 0x82]), fin: false }),
    frame({ op: OP.CONT, payload: Buffer.from([0x28, 0x62]) }),
  ], 1007);
});

test('invalid UTF-8 is caught in the first fragment, before the message ends', async () => {
  const c = await hostile();
  try {
    await c.send(frame({ op: OP.TEXT, payload: Buffer.from([0x61, 0xff]), fin: false }));
    await c.expectClose(1007);
  } finally {
    c.destroy();
  }
});

test('oversized message (> 64 KiB) -> 1009, in one frame or in fragments', async () => {
  await expectCloseFor(frame({ op: OP.BINARY, payload: Buffer.alloc(64 * 1024 + 1, 0x61) }), 1009);
  await expectCloseFor([
    frame({ op: OP.BINARY, payload: Buffer.alloc(40000, 0x61), fin: false }),
    frame({ op: OP.CONT, payload: Buffer.alloc(40000, 0x61) }),
  ], 1009);
  // Refused as soon as the header announces it: no need to send the payload.
  const c = await hostile();
  try {
    const hdr = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 2, 3, 4]); // 256 MiB
    await c.send(hdr);
    await c.expectClose(1009);
  } finally {
    c.destroy();
  }
});

test('a message of exactly 64 KiB is accepted', async () => {
  const c = await hostile();
  try {
    // 64 KiB of typing: runs of 100 letters each killed by Ctrl-U, then a line.
    const unit = Buffer.from(`${'q'.repeat(100)}\x15`);
    const payload = Buffer.alloc(64 * 1024);
    for (let o = 0; o < payload.length; o += unit.length) unit.copy(payload, o);
    const tail = Buffer.from('\x15exact\r');
    tail.copy(payload, payload.length - tail.length);
    assert.equal(payload.length, 65536);
    await c.send(frame({ op: OP.BINARY, payload }));
    const s = await c.waitScreen(PASSWORD_ROW, 10000 * SLOW);
    assert.ok(screenRow(s, handleRow('exact')) >= 0, s.text.join('\n'));
    assert.ok(!c.frames.some((f) => f.op === OP.CLOSE));
  } finally {
    c.destroy();
  }
});

test('reserved opcodes -> 1002', async () => {
  await expectCloseFor(frame({ op: 0x3, payload: 'x' }), 1002);
  await expectCloseFor(frame({ op: 0xb, payload: 'x' }), 1002);
});

test('RSV bits set -> 1002', async () => {
  await expectCloseFor(frame({ op: OP.BINARY, payload: 'x', rsv: 4 }), 1002);  // RSV1
  await expectCloseFor(frame({ op: OP.PING, payload: 'x', rsv: 1 }), 1002);    // RSV3
});

test('continuation without a start -> 1002', async () => {
  await expectCloseFor(frame({ op: OP.CONT, payload: 'x' }), 1002);
});

test('a new data frame inside a fragmented message -> 1002', async () => {
  await expectCloseFor([
    frame({ op: OP.BINARY, payload: 'a', fin: false }),
    frame({ op: OP.BINARY, payload: 'b' }),
  ], 1002);
});

test('control frames: fragmented or longer than 125 bytes -> 1002', async () => {
  await expectCloseFor(frame({ op: OP.PING, payload: 'x', fin: false }), 1002);
  await expectCloseFor(frame({ op: OP.PING, payload: Buffer.alloc(126, 0x70) }), 1002);
  await expectCloseFor(frame({ op: OP.CLOSE, payload: Buffer.alloc(126, 0x70) }), 1002);
});

test('fragmented message with a ping interleaved: pong arrives, message processed', async () => {
  const c = await hostile();
  try {
    const mark = c.frames.length;
    await c.send(frame({ op: OP.BINARY, payload: 'frag', fin: false }));
    await c.send(frame({ op: OP.PING, payload: 'mid-message' }));
    const pong = await c.waitFrame((f) => f.op === OP.PONG, { from: mark, what: 'a pong' });
    assert.equal(pong.payload.toString(), 'mid-message');
    await c.send(frame({ op: OP.CONT, payload: 'ment', fin: false }));
    await c.send(frame({ op: OP.CONT, payload: 'ed\r' }));
    await c.waitScreen(handleRow('fragmented'));
    await c.waitScreen(PASSWORD_ROW);
    // The pong came before the message was complete, so before its echo.
    const idxPong = c.frames.indexOf(pong);
    const idxEcho = c.frames.findIndex((f, i) => i > mark && f.op === OP.BINARY && f.payload.includes('frag'));
    assert.ok(idxPong < idxEcho);
  } finally {
    c.destroy();
  }
});

test('close frame with an invalid code or a 1-byte payload -> 1002; bad UTF-8 reason -> 1007', async () => {
  for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000])
    await expectCloseFor(frame({ op: OP.CLOSE, payload: closePayload(code) }), 1002);
  await expectCloseFor(frame({ op: OP.CLOSE, payload: Buffer.from([0x03]) }), 1002);
  await expectCloseFor(frame({ op: OP.CLOSE, payload: Buffer.concat([closePayload(1000), Buffer.from([0xff])]) }), 1007);
});

test('bytes trickled one at a time still make frames', async () => {
  const c = await hostile();
  try {
    const bytes = Buffer.concat([frame({ op: OP.BINARY, payload: 'slow' }), frame({ op: OP.BINARY, payload: 'ly\r' })]);
    for (const b of bytes) {
      await c.send(Buffer.from([b]));
      await sleep(2);     // the thing under test: the bytes arrive apart, one by one
    }
    await c.waitScreen(handleRow('slowly'));
  } finally {
    c.destroy();
  }
});

test('frames in the same packet as the handshake are not lost', async () => {
  const raw = await RawSocket.connect(srv.httpPort);
  try {
    await raw.write(Buffer.concat([
      Buffer.from(upgradeRequest(srv.httpPort)),
      frame({ op: OP.BINARY, payload: 'early\r' }),
    ]));
    const res = await readResponse(raw, { head: true });
    assert.equal(res.status, 101);
    const c = new RawWs(raw, srv.httpPort);
    await c.waitScreen(handleRow('early'));
  } finally {
    raw.destroy();
  }
});

test('an abrupt disconnect (no close frame) does not disturb others', async () => {
  const c = await hostile();
  await c.send(frame({ op: OP.BINARY, payload: 'half a li', fin: false }));
  c.raw.sock.resetAndDestroy();
  await assertServes(srv);
});

test('half-sent handshake is dropped after the header timeout; others are served meanwhile', async () => {
  const raw = await RawSocket.connect(srv.httpPort);
  const started = Date.now();
  try {
    await raw.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${srv.httpPort}\r\nUpgrade: websocket\r\n`);
    // When it is dropped (taken as it happens, whatever the test is doing then).
    const dropped = raw.waitEnd(20000 * SLOW).then(() => Date.now(), (e) => e);
    // While it dawdles, other callers come and go.
    let served = 0;
    while (!raw.ended && Date.now() - started < 8000) {
      await assertServes(srv);
      served++;
    }
    const at = await dropped;
    if (at instanceof Error) throw at;
    const took = at - started;
    assert.ok(took >= 9500, `dropped after ${took} ms, before the 10 s timeout`);
    assert.ok(served >= 3, `only ${served} callers served meanwhile`);
    assert.ok(took <= 13000 * SLOW, `dropped only after ${took} ms`);
    assert.equal(raw.buf.length === 0 || !raw.buf.toString('latin1').startsWith('HTTP/1.1 101'), true,
      'no upgrade for a half-sent handshake');
  } finally {
    raw.destroy();
  }
});
