// Keepalive and configured limits, with short timers from carrier.toml: the server
// pings a quiet peer, keeps one that answers, drops one that does not; a slow
// request head is dropped after [http] header_timeout; [server] allowed_origins
// admits a configured cross-site origin and no other.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { RawSocket, RawWs, OP, frame, readResponse, upgradeRequest } from '../lib/raw.mjs';
import { Caller, assertServes, HANDLE_PROMPT, handleRow, PASSWORD_ROW } from '../lib/caller.mjs';
import { SLOW, Waitable } from '../lib/wait.mjs';

const CONFIG = `
[server]
allowed_origins = ["https://bbs.example.org"]

[websocket]
ping_interval = 1
ping_timeout = 2

[http]
header_timeout = 2
`;

let srv;
before(async () => { srv = await startServer({ config: CONFIG }); });
after(async () => {
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

// Independent connections, slow timers: run side by side.
describe('keepalive and configured limits', { concurrency: true }, () => {
  test('a quiet peer is pinged; answering with pongs keeps it connected', async () => {
    const c = await RawWs.open(srv.httpPort);
    try {
      await c.waitScreen(HANDLE_PROMPT);
      const t0 = Date.now();
      let pings = 0;
      // Answer every ping for ~5 s: more than interval + timeout.
      while (Date.now() - t0 < 5000) {
        const from = c.frames.length;
        const ping = await c.waitFrame((f) => f.op === OP.PING, { from, timeout: 4000 * SLOW, what: 'a server ping' });
        assert.equal(ping.masked, false);
        assert.ok(ping.payload.length <= 125);
        await c.send(frame({ op: OP.PONG, payload: ping.payload }));
        pings++;
        c.frames.splice(0, c.frames.indexOf(ping) + 1);
      }
      assert.ok(pings >= 2, `only ${pings} pings in 5 s`);
      assert.equal(c.raw.ended, false, 'dropped although it answered every ping');
      // Still a working terminal.
      await c.send(frame({ op: OP.BINARY, payload: 'awake\r' }));
      await c.waitScreen(handleRow('awake'));
      await c.waitScreen(PASSWORD_ROW);
    } finally {
      c.destroy();
    }
  });

  test('a peer that never answers pings is dropped after the ping timeout', async () => {
    const c = await RawWs.open(srv.httpPort);
    try {
      await c.waitScreen(HANDLE_PROMPT);
      const t0 = Date.now();
      await c.waitFrame((f) => f.op === OP.PING, { timeout: 4000 * SLOW, what: 'a server ping' });
      const pinged = Date.now() - t0;
      await c.raw.waitEnd(6000 * SLOW);
      const dropped = Date.now() - t0;
      assert.ok(dropped - pinged >= 1500, `dropped ${dropped - pinged} ms after the ping, timeout is 2 s`);
      await assertServes(srv);
    } finally {
      c.destroy();
    }
  });

  test('the ws package answers pings by itself and stays connected', async () => {
    const t = await Caller.connect(srv.wsUrl);
    try {
      // Count the server's pings as they come.
      const pings = new Waitable();
      pings.at = [];
      t.ws.on('ping', () => { pings.at.push(Date.now()); pings._wake(); });
      t.ws.on('close', () => pings._wake());
      await t.waitScreen(HANDLE_PROMPT);
      // A peer that did not answer would be dropped ping_timeout (2 s) after a
      // ping; this one is still pinged well after that, so it was kept.
      await pings.until(() => {
        assert.equal(t.closed, null, `dropped after ${pings.at.length} pings`);
        return pings.at.length >= 2 && pings.at.at(-1) - pings.at[0] >= 2500 ? true : undefined;
      }, 8000 * SLOW, 'pings 2.5 s apart');
      assert.equal(t.closed, null);
      t.type('stillhere\r');
      await t.waitScreen(PASSWORD_ROW);
    } finally {
      t.terminate();
    }
  });

  test('[http] header_timeout: a dawdling request head is dropped in time', async () => {
    const raw = await RawSocket.connect(srv.httpPort);
    const t0 = Date.now();
    try {
      await raw.write('GET / HTTP/1.1\r\nHost: x\r\n');
      await raw.waitEnd(6000 * SLOW);
      const took = Date.now() - t0;
      assert.ok(took >= 1800 && took <= 4500 * SLOW, `dropped after ${took} ms (timeout 2 s)`);
      assert.equal(raw.buf.toString('latin1').startsWith('HTTP/1.1 200'), false);
    } finally {
      raw.destroy();
    }
  });

  test('[server] allowed_origins admits the configured origin and no other', async () => {
    const ask = async (origin) => {
      const raw = await RawSocket.connect(srv.httpPort);
      try {
        await raw.write(upgradeRequest(srv.httpPort, { headers: { Origin: origin } }));
        return (await readResponse(raw, { head: true })).status;
      } finally {
        raw.destroy();
      }
    };
    assert.equal(await ask('https://bbs.example.org'), 101);
    assert.equal(await ask('https://BBS.example.org'), 101);
    assert.equal(await ask('https://bbs.example.org.evil.example'), 403);
    assert.equal(await ask('http://bbs.example.org'), 403);
    assert.equal(await ask('https://evil.example'), 403);
    assert.equal(await ask(`http://127.0.0.1:${srv.httpPort}`), 101);
  });
});
