// Telnet garbage against a live room (issue 5): clients that send random bytes with
// IAC sprinkled in, IAC SB without SE, huge subnegotiations (the options we parse
// and ones we do not), and a logged-in telnet caller in the room doing the same
// between its lines.  The server must not crash, must not grow, must not let any of
// it disturb a WebSocket caller in the room (no stray bytes, its half-typed line
// intact), must keep serving, and must exit 0 at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rssKiB } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { TelnetCaller, IAC, SB, SE, WILL, WONT, DO, DONT, NOP, TTYPE, NAWS } from '../lib/telnet.mjs';
import { plain, isUtf8 } from '../lib/screen.mjs';

const CONFIG = `[bbs]
password_ops = "min"
password_mem = "min"

[chat]
flood_rate = 1000
flood_burst = 1000
`;
const SIZE = { cols: 100, rows: 50 };

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n bytes of garbage: any byte value, IAC sprinkled in, telnet commands of every
 * kind (negotiations for random options, SB for random options, SB broken off). */
function garbage(seed, n, { anyByte = true } = {}) {
  const r = rng(seed);
  const out = [];
  const byte = () => Math.floor(r() * 256);
  while (out.length < n) {
    const x = r();
    if (x < 0.08) out.push(IAC);
    else if (x < 0.12) out.push(IAC, [WILL, WONT, DO, DONT][Math.floor(r() * 4)], byte());
    else if (x < 0.15) out.push(IAC, SB, byte(), ...Array.from({ length: Math.floor(r() * 40) }, byte), IAC, SE);
    else if (x < 0.17) out.push(IAC, SB, byte());              // no SE (yet)
    else if (x < 0.19) out.push(IAC, byte());                  // any command
    else if (x < 0.22) out.push(13, [0, 10, 13, byte()][Math.floor(r() * 4)]);
    else if (anyByte) out.push(byte());
    else {
      // Printable text and high bytes, no C0 controls: keys a person cannot press by
      // accident (ESC, Ctrl-C...) are not what this test is about.
      const b = byte();
      out.push(b < 0x20 || b === 0x7f ? 0x20 + (b % 0x5f) : b);
    }
  }
  return Buffer.from(out);
}

/** Write buf in chunks of random size (splits land anywhere): now and then one is
 * let out on its own before the next is written. */
async function dribble(t, buf, seed) {
  const r = rng(seed);
  for (let i = 0; i < buf.length;) {
    const n = 1 + Math.floor(r() * 2048);
    const sent = t.send(buf.subarray(i, i + n));
    i += n;
    if (r() < 0.1) await sent;
  }
}

/** A half-open SB of `size` bytes for option opt, then its end. */
function hugeSb(opt, size, fill = 0x41) {
  return Buffer.concat([Buffer.from([IAC, SB, opt]), Buffer.alloc(size, fill), Buffer.from([IAC, SE])]);
}

let srv, wendy, gary;

before(async () => {
  srv = await startServer({ config: CONFIG });
  wendy = await Caller.connect(srv.wsUrl, SIZE);
  gary = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
  await Promise.all([wendy.register('Wendy', PASSWORD), gary.register('Gary', PASSWORD)]);
  wendy.type('C');
  await wendy.waitFor('Welcome to Teleconference');
  const f = gary.termLen;
  gary.type('C');
  await gary.waitText(f, '> ');
  await wendy.waitText(0, 'Gary has joined the chat');
});

after(async () => {
  gary?.destroy();
  wendy?.ws.terminate();
  if (srv) {
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
    assert.doesNotMatch(res.output, /ERROR|AddressSanitizer|runtime error/, res.output.slice(-3000));
  }
});

test('garbage clients come and go; the room does not notice and the server keeps serving', async () => {
  const rss0 = rssKiB(srv.proc.pid);
  wendy.type('still typing');
  await wendy.waitText(0, 'still typing');
  wendy.mark();

  const clients = [];
  const open = async (opts) => {
    const c = await TelnetCaller.connect(srv.telnetPort, opts);
    clients.push(c);
    return c;
  };
  // Garbage from the first byte, during option negotiation, answering nothing.
  const early = [];
  for (let i = 0; i < 8; i++) {
    const c = await open({ silent: true, ...SIZE });
    early.push(dribble(c, garbage(1000 + i, 64 * 1024), 2000 + i));
  }
  // Garbage at the login prompt (after a proper negotiation).
  const late = [];
  for (let i = 0; i < 8; i++) {
    const c = await open({ ttype: i % 2 ? 'ANSI' : 'xterm', ...SIZE });
    late.push(c.waitFor('Enter your handle').then(() => dribble(c, garbage(3000 + i, 64 * 1024), 4000 + i)));
  }
  // IAC SB without SE, then silence; and then a close.
  const open1 = await open({ ttype: 'xterm', ...SIZE });
  await open1.waitFor('Enter your handle');
  open1.send([IAC, SB, NAWS, 0, 80]);
  const open2 = await open({ silent: true });
  open2.send([IAC, SB, TTYPE, 0, 0x41, 0x42]);
  // Huge subnegotiations: the two options we parse, MCCP2, an unknown one, and a
  // stream of IAC IAC (escaped 0xFF) inside one.
  for (const [opt, fill] of [[TTYPE, 0x41], [NAWS, 0x01], [86, 0x78], [200, 0x00], [NAWS, IAC]]) {
    const c = await open({ ttype: 'xterm', ...SIZE });
    await c.waitFor('Enter your handle');
    c.send(hugeSb(opt, 1024 * 1024, fill));
    // Then the client carries on and is served: the SB held none of its input.
    c.type('NEW\r\n');
    await c.waitFor('Choose a handle');
  }
  await Promise.all([...early, ...late]);
  // Hang up politely: the server reads everything sent before the FIN, then
  // closes its side (if it has not hung up on the garbage already).
  await Promise.all(clients.map((c) => c.close()));

  // Still serving, both ways in.
  const t = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
  await t.waitFor('Enter your handle');
  t.destroy();
  const w = await Caller.connect(srv.wsUrl, SIZE);
  await w.waitFor('Enter your handle');
  w.ws.terminate();

  // The server did not keep what it was sent (~6 MB of subnegotiations).
  const rss1 = rssKiB(srv.proc.pid);
  assert.ok(rss1 - rss0 < 32 * 1024, `RSS grew from ${rss0} to ${rss1} KiB`);

  // The room heard nothing of it.
  const got = wendy.sinceMark();
  assert.equal(plain(got).trim(), '', `Wendy received: ${JSON.stringify(plain(got))}`);
  const s = await wendy.text();
  assert.match(s, /^> still typing$/m, s);
});

test('a caller in the room sending garbage between lines: its lines arrive clean, the room is undisturbed', async () => {
  wendy.mark();
  const wb = wendy.bells;

  // An unfinished SB swallows what follows until IAC SE: "lost" is never said.
  gary.send([IAC, SB, NAWS, 0]);
  gary.type('lost-in-subnegotiation\r\n');
  gary.send([IAC, SE]);
  gary.type('heard-after-se\r\n');
  await wendy.waitText(wendy.marked, 'Gary: heard-after-se');

  // Telnet commands mid-line do not split or end the line.
  gary.type('one');
  gary.send([IAC, NOP, IAC, WILL, 77, IAC, DO, 78, IAC, SB, 86, 1, 2, IAC, SE, IAC, 0xf6]);
  gary.type('line\r\n');
  await wendy.waitText(wendy.marked, 'Gary: oneline');

  // Random bytes with IAC everywhere (no C0 keys), in random splits; then a line.
  for (let i = 0; i < 4; i++) {
    await dribble(gary, garbage(5000 + i, 16 * 1024, { anyByte: false }), 6000 + i);
    gary.send([IAC, SE]);                       // end an SB the garbage left open
    gary.type('\x15');                          // Ctrl-U: drop a half line
    gary.type(`gary-still-here-${i}\r\n`);
    await wendy.waitText(wendy.marked, `Gary: gary-still-here-${i}`);
  }

  const got = wendy.sinceMark();
  assert.ok(isUtf8(got), 'Wendy got invalid UTF-8');
  assert.equal(wendy.bells, wb, 'a BEL reached Wendy');
  const text = got.toString('utf8');
  // (Wendy's screen is split: the server saves and restores her cursor, ESC 7 / 8.)
  const noCsi = text.replace(/\x1b\[[0-9;]*[mKAHJ]/g, '').replace(/\x1b[78]/g, '');
  assert.ok(!noCsi.includes('\x1b'), `a stray ESC reached Wendy: ${JSON.stringify(noCsi.slice(0, 400))}`);
  assert.ok(!/[\u0080-\u009f]/.test(noCsi), 'a C1 control reached Wendy');
  assert.ok(!/[\x00-\x06\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/.test(noCsi), 'a C0 control reached Wendy');
  assert.equal(text.indexOf('lost-in-subnegotiation'), -1, 'SB contents were taken as text');
  assert.ok(!/(?<!\x1b\[2?A)\r(?!\n|\x1b\[K)/.test(text.replace(/\x1b\[[0-9;]*m/g, '')), 'a bare CR reached Wendy');
  // Nothing forged a timestamped line or a system line: every row that looks like one
  // is a line of Gary's (or Wendy's) own, and the last row is her prompt.
  const s = await wendy.screen();
  const rows = s.text.filter((r) => r.trim() !== '');
  for (const row of rows) {
    if (/^\[\d\d:\d\d\]/.test(row)) assert.match(row, /^\[\d\d:\d\d\] (Gary|Wendy): /, `a forged line: ${JSON.stringify(row)}`);
    if (/^\*\*\*/.test(row)) assert.match(row, /^\*\*\* (Welcome to Teleconference|Gary has joined the chat) \*\*\*$/, row);
  }
  assert.equal(rows.at(-1), '> still typing', `the prompt row:\n${s.text.join('\n')}`);
  assert.match(rows.at(-2), /^ Teleconference \| 2 here \| \/help/, 'the status line');
  assert.match(rows.at(-3), /^\[\d\d:\d\d\] Gary: gary-still-here-3$/);
  // Her half-typed line is intact and goes out whole.
  assert.match(await wendy.text(), /^> still typing$/m);
  const fg = gary.termLen;
  wendy.type(' and done\r');
  await gary.waitText(fg, 'Wendy: still typing and done');
});
