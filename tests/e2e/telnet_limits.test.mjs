// The board's limits hold for telnet callers as for web callers (issue 5): the
// max_nodes cap and the line-busy screen, the login timeout, and the chat's flood
// control.  Each test runs its own server with its own carrier.toml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD, handleRow } from '../lib/caller.mjs';
import { TelnetCaller } from '../lib/telnet.mjs';
import { count } from '../lib/screen.mjs';
import { SLOW, sleep } from '../lib/wait.mjs';

const SIZE = { cols: 100, rows: 40 };
const BUSY = 'All lines are busy. Please call again later.';

/** Run fn with a server; stop it afterwards and insist on a clean exit. */
async function withServer(config, fn) {
  const srv = await startServer({ config });
  const callers = [];
  try {
    await fn(srv, callers);
  } finally {
    for (const c of callers) {
      if (c instanceof TelnetCaller) c.destroy(); else c.ws.terminate();
    }
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
}

test('max_nodes = 1: with a web caller online, telnet callers get the line-busy screen and are hung up', async () => {
  await withServer(`[bbs]\n${FAST}max_nodes = 1\n`, async (srv, callers) => {
    const w = await Caller.connect(srv.wsUrl, SIZE);
    callers.push(w);
    await w.waitFor('Enter your handle');

    // A UTF-8 telnet caller: the busy art and notice on its screen, then the line drops.
    const x = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
    callers.push(x);
    await x.waitClosed();
    const s = await x.text();
    assert.match(s, /ALL LINES ARE BUSY/, s);
    assert.match(s, /All lines are busy\. Please call again later\./, s);
    assert.doesNotMatch(s, /Enter your handle/, 'a login prompt for a caller over the cap');
    assert.ok(x.raw.includes(Buffer.from('╔═', 'utf8')), 'UTF-8 art');

    // A CP437 one gets the same art as CP437 bytes.
    const a = await TelnetCaller.connect(srv.telnetPort, { ttype: 'ANSI-BBS', ...SIZE });
    callers.push(a);
    await a.waitClosed();
    assert.ok(a.raw.includes(Buffer.from([0xc9, 0xcd, 0xcd])), 'CP437 art (C9 CD CD)');
    assert.ok(!a.raw.includes(Buffer.from('═', 'utf8')), 'UTF-8 among CP437');
    assert.match(await a.text(), /All lines are busy/);

    // The web caller never noticed, and still holds its node: it logs in.
    await w.register('Holder', PASSWORD);
    const t2 = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
    callers.push(t2);
    await t2.waitClosed();
    assert.match(await t2.text(), /All lines are busy/);

    // Once the web caller hangs up the node is free for telnet.
    await w.close();
    const t3 = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
    callers.push(t3);
    await t3.waitFor('Enter your handle');
    assert.equal(t3.raw.indexOf(BUSY), -1);
    assert.match(await t3.text(), /You are on node 1 of 1/);
  });
});

test('login_timeout applies to telnet callers; typing keeps one alive; the node is freed', async () => {
  await withServer(`[bbs]\n${FAST}max_nodes = 1\nlogin_timeout = 5\n`, async (srv, callers) => {
    // Typing now and then (a key, then Backspace) keeps a caller at the prompt.
    const k = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
    callers.push(k);
    await k.waitFor('Enter your handle');
    // The thing under test: time passing, with a key every second, for longer
    // than the timeout.
    for (let i = 0; i < 7; i++) {
      await sleep(1000);
      k.type('x\x7f');
    }
    // The last key: its echo comes after anything the server said before it.
    const t0 = Date.now();
    k.type('y');
    await k.waitScreen(handleRow('y'));
    assert.equal(k.closed, false, 'a caller who types was hung up');
    assert.equal(k.plain().indexOf('No input for'), -1);

    // Silent from here on: hung up about login_timeout seconds after the last key.
    await k.waitClosed(8000 * SLOW);
    const waited = Date.now() - t0;
    assert.ok(waited >= 4000, `hung up after ${waited} ms, before the 5 s timeout`);
    assert.match(k.plain(), /\*\*\* No input for 5 seconds: disconnecting\. \*\*\*/);

    // The node it held is free again: the next caller gets it, and times out in turn.
    const t1 = Date.now();
    const n = await TelnetCaller.connect(srv.telnetPort, { ttype: 'ANSI', ...SIZE });
    callers.push(n);
    await n.waitFor('Enter your handle');
    await n.waitClosed(9000 * SLOW);
    assert.ok(Date.now() - t1 >= 4000, 'timed out early');
    assert.match(await n.text(), /No input for 5 seconds: disconnecting\./);
  });
});

test('flood control holds for telnet callers: the room hears the burst, the flooder is told to slow down', async () => {
  await withServer(`[bbs]\n${FAST}\n[chat]\nflood_rate = 1\nflood_burst = 2\n`, async (srv, callers) => {
    const o = await Caller.connect(srv.wsUrl, SIZE);
    const f = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
    callers.push(o, f);
    await Promise.all([o.register('Observer', PASSWORD), f.register('Flooder', PASSWORD)]);
    o.type('C');
    await o.waitFor('Welcome to Teleconference');
    let from = f.termLen;
    f.type('C');                              // the bucket is full on entering
    await f.waitText(from, '> ');
    await o.waitText(0, 'Flooder has joined');

    from = f.termLen;
    const fo = o.raw.length;
    let lines = '';
    for (let i = 1; i <= 10; i++) lines += `flood-${i}-x\r\n`;
    f.type(lines);                            // one write, as a paste
    await f.waitText(from, /\*\*\* Slow down! \d+ lines? (was|were) not sent \*\*\*/);

    // The thing under test: the bucket refills (1 a second), and after a pause the
    // flooder is heard again.
    await sleep(2000);
    f.type('calm again\r\n');
    const got = await o.waitText(fo, 'Flooder: calm again');
    // Lines are heard in the order said: what the room heard of the flood is all
    // before the line said after it.
    const heard = got.slice(0, got.indexOf('Flooder: calm again'));
    const n = count(heard, /Flooder: flood-\d+-x/);
    assert.ok(n >= 2 && n <= 3, `the room heard ${n} of 10 flooded lines:\n${heard}`);
    for (let i = 1; i <= 2; i++) assert.ok(heard.includes(`Flooder: flood-${i}-x`), heard);
    assert.ok(!heard.includes('flood-10-x'), 'the last flooded line got through');
    assert.ok(!got.includes('Slow down'), 'the notice went to the others');
  });
});
