// A caller that stops reading: the server must not buffer its output without
// bound.  Policy (src/net/conn.h): a connection's own output is never dropped, so
// once its queue passes the hard limit (4 MiB) the connection is closed.
// Meanwhile another caller's echo stays prompt and the server's memory bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rssKiB } from '../lib/server.mjs';
import { RawWs, OP, frame } from '../lib/raw.mjs';
import { Caller, assertServes, HANDLE_PROMPT, handleRow } from '../lib/caller.mjs';
import { SLOW, sleep } from '../lib/wait.mjs';

/** Type a word on t, measure how long until its echo arrives (the bytes: drawing
 * the screen is the test's own time), see it on the screen, erase it. */
async function echoLatency(t, word) {
  const from = t.length;
  const t0 = Date.now();
  t.type(word);
  await t.waitText(from, word);
  const took = Date.now() - t0;
  await t.waitScreen(handleRow(word));
  t.type('\x15');
  await t.waitScreen(handleRow());
  return took;
}

// Enter on an empty handle prompt: one byte in, the prompt drawn again out (about
// 60 bytes), so a caller can make the server write far more than it reads.
const UNIT = '\r';
const PROMPT_TEXT = 'Enter your handle';

test('a reader that never reads is closed at the hard limit; others stay prompt; RSS bounded', async (t) => {
  const srv = await startServer();
  let good, slow;
  try {
    good = await Caller.connect(srv.wsUrl);
    slow = await RawWs.open(srv.httpPort);
    await good.waitScreen(HANDLE_PROMPT);
    await slow.waitScreen(HANDLE_PROMPT);
    const rss0 = rssKiB(srv.proc.pid);
    slow.raw.sock.pause();       // from now on we never read a byte

    // 64 KiB of input per frame: about 4 MB of prompts out.
    const payload = Buffer.from(UNIT.repeat(65536));
    const f = frame({ op: OP.BINARY, payload });
    const MAX_INPUT = 96 * 1024 * 1024;
    let sent = 0;
    let rssMax = rss0;
    let latMax = 0;
    let probes = 0;
    const QUEUE_OVER = / event=output_limit conn=\d+ /;
    const closedLog = () => QUEUE_OVER.test(srv.output());
    while (sent < MAX_INPUT && !closedLog() && !slow.raw.ended) {
      const ok = await slow.send(f);
      if (!ok) break;            // the server reset the connection
      sent += f.length;
      if ((sent / f.length) % 8 === 0) {
        latMax = Math.max(latMax, await echoLatency(good, `probe${probes++}`));
        rssMax = Math.max(rssMax, rssKiB(srv.proc.pid));
      }
    }
    // The close may land just after the last write.
    await srv.waitLog(QUEUE_OVER).catch((e) => {
      throw new Error(`the slow reader was never closed (sent ${sent} bytes of input): ${e.message}`);
    });
    assert.ok(probes >= 1, 'no echo probe ran while the queue filled');
    latMax = Math.max(latMax, await echoLatency(good, 'after'));
    rssMax = Math.max(rssMax, rssKiB(srv.proc.pid));

    t.diagnostic(`input sent ${sent} B, ${probes} probes, echo latency max ${latMax} ms, RSS ${rss0} -> max ${rssMax} KiB`);
    assert.ok(latMax < 1000 * SLOW, `echo to the other caller took up to ${latMax} ms`);
    assert.ok(rssMax < 200 * 1024, `server RSS reached ${rssMax} KiB`);
    assert.ok(rssMax - rss0 < 64 * 1024, `server RSS grew by ${rssMax - rss0} KiB (from ${rss0})`);

    // The slow reader's connection is really gone: reading now ends.
    slow.raw.sock.resume();
    await slow.raw.waitEnd();

    // Memory goes back down once it is gone (the queue was freed).
    await assertServes(srv);
  } finally {
    good?.terminate();
    slow?.destroy();
    await srv.stop();
  }
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
});

test('a reader that is merely slow is not closed, and gets all its output', async (t) => {
  const srv = await startServer();
  let slow;
  try {
    slow = await RawWs.open(srv.httpPort);
    await slow.waitScreen(HANDLE_PROMPT);
    slow.raw.sock.pause();
    // About 2.3 MB of prompts: under the hard limit (4 MiB) even if the socket
    // buffers took none of it; they may hold some or all of it.
    const payload = Buffer.from(UNIT.repeat(2850));
    const FRAMES = 14;
    for (let i = 0; i < FRAMES; i++) await slow.send(frame({ op: OP.BINARY, payload }));
    await slow.send(frame({ op: OP.BINARY, payload: 'lastword' }));
    // The thing under test: a reader that reads nothing for a while (here half a
    // second) while the server has output for it, then reads again.
    await sleep(500 * SLOW);
    slow.raw.sock.resume();
    await slow.waitScreen(handleRow('lastword'), 10000 * SLOW);
    const prompts = slow.termBytes().toString('latin1').split(PROMPT_TEXT).length - 1;
    assert.equal(prompts, FRAMES * 2850 + 1, 'every Enter was answered with a prompt');
    t.diagnostic(`${slow.termBytes().length} bytes of output delivered`);
    assert.ok(!/ event=output_limit /.test(srv.output()));
  } finally {
    slow?.destroy();
    await srv.stop();
  }
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
});
