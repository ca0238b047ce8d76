// SIGTERM with callers online: each is told the system is going down, gets a
// close frame 1001, and the process exits 0 within a few seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { screenRow } from '../lib/screen.mjs';
import { RawSocket, RawWs, OP, frame } from '../lib/raw.mjs';
import { Caller, HANDLE_PROMPT, handleRow } from '../lib/caller.mjs';
import { SLOW } from '../lib/wait.mjs';

test('SIGTERM: callers see the going-down line and 1001; exit 0 in < 3 s', async () => {
  const srv = await startServer();
  const a = await Caller.connect(srv.wsUrl);
  const b = await Caller.connect(srv.wsUrl);
  const raw = await RawWs.open(srv.httpPort);
  // A plain HTTP keep-alive connection and a half-sent request must not hold it up.
  const idle = await RawSocket.connect(srv.httpPort);
  await idle.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${srv.httpPort}\r\n`);
  try {
    await a.waitScreen(HANDLE_PROMPT);
    await b.waitScreen(HANDLE_PROMPT);
    await raw.waitScreen(HANDLE_PROMPT);
    // One caller is in the middle of typing a line.
    b.type('half a li');
    await b.waitScreen(handleRow('half a li'));

    const t0 = Date.now();
    const res = await srv.stop();
    const took = Date.now() - t0;
    assert.equal(res.code, 0, `exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
    assert.ok(took < 3000 * SLOW, `took ${took} ms to exit`);

    for (const [name, t] of [['a', a], ['b', b]]) {
      const c = await t.waitClosed();
      assert.equal(c.code, 1001, `client ${name} closed with ${c.code}`);
      const s = await t.screen();
      const r = screenRow(s, /going down/i);
      assert.ok(r >= 0, `client ${name} was not told:\n${s.text.join('\n')}`);
    }
    // On the wire: the line came before the close frame, and nothing after it.
    await raw.expectClose(1001);
    const s = await raw.waitScreen(/going down/i);
    assert.ok(s);
    await idle.waitEnd();
    assert.ok(!idle.buf.toString('latin1').startsWith('HTTP/1.1 200'));
  } finally {
    a.terminate();
    b.terminate();
    raw.destroy();
    idle.destroy();
    await srv.stop();
  }
});

test('SIGINT also shuts down cleanly, and a caller mid-message is closed 1001', async () => {
  const srv = await startServer();
  const raw = await RawWs.open(srv.httpPort);
  try {
    await raw.waitScreen(HANDLE_PROMPT);
    await raw.send(frame({ op: OP.BINARY, payload: 'part', fin: false }));
    const res = await srv.stop({ signal: 'SIGINT' });
    assert.equal(res.code, 0, `exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
    await raw.expectClose(1001);
  } finally {
    raw.destroy();
    await srv.stop();
  }
});

test('a caller that never reads does not hold up the shutdown', async () => {
  const srv = await startServer();
  const raw = await RawWs.open(srv.httpPort);
  try {
    await raw.waitScreen(HANDLE_PROMPT);
    raw.raw.sock.pause();
    // Fill its pipes: ask for lots of echo (typing, killed with Ctrl-U) and never read it.
    const line = frame({ op: OP.BINARY, payload: Buffer.from(`${'w'.repeat(20)}\x15`.repeat(2000)) });
    for (let i = 0; i < 40; i++) await raw.send(line);
    const t0 = Date.now();
    const res = await srv.stop();
    const took = Date.now() - t0;
    assert.equal(res.code, 0, `exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
    assert.ok(took < 8000 * SLOW, `took ${took} ms to exit`);
  } finally {
    raw.destroy();
    await srv.stop();
  }
});
