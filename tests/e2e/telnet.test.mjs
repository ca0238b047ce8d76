// Telnet end to end against the real server: a raw scripted client that speaks the
// options itself (negotiation, TTYPE, NAWS, the charset question, CP437 vs UTF-8
// bytes of the welcome art, echo of what it types, callers who drop), and Debian's
// real telnet client (inetutils-telnet) inside tmux, its screen read back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from '../lib/server.mjs';
import { screenText } from '../lib/screen.mjs';
import {
  TelnetCaller, IAC, DO, WILL, SB, SE, ECHO, SGA, BINARY, TTYPE, NAWS,
} from '../lib/telnet.mjs';
import { poll, SLOW } from '../lib/wait.mjs';

const BOX_UTF8 = Buffer.from('╔', 'utf8');       // E2 95 94
const BOX_CP437 = Buffer.from([0xc9]);

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

/** Wait until the terminal bytes c received contain text. */
const waitTerm = (c, text) => c.waitForBytes((raw) => raw.includes(Buffer.from(text)));

test('an xterm client negotiates, gets UTF-8 and its echo', async () => {
  const c = await TelnetCaller.connect(srv.telnetPort, { ttype: 'XTERM-256COLOR', cols: 100, rows: 30 });
  await waitTerm(c, 'Enter your handle');
  for (const [cmd, opt] of [[WILL, ECHO], [WILL, SGA], [DO, NAWS], [DO, TTYPE], [DO, BINARY], [WILL, BINARY]])
    assert.ok(c.received(cmd, opt), `server did not send ${cmd} ${opt}`);
  assert.ok(c.raw.includes(BOX_UTF8), 'the welcome art is UTF-8');
  assert.ok(!c.raw.includes(Buffer.from('Which box')), 'nobody asked an xterm');
  c.type('NEW\r\n');
  await waitTerm(c, 'Choose a handle');
  const s = await c.screen();
  assert.match(screenText(s), /NEW/, 'the typed line was echoed');
  c.destroy();
});

test('an ANSI BBS client gets the art as CP437 bytes', async () => {
  const c = await TelnetCaller.connect(srv.telnetPort, { ttype: 'ANSI', cols: 80, rows: 25 });
  await waitTerm(c, 'Enter your handle');
  assert.ok(c.raw.includes(BOX_CP437), 'CP437 0xC9 for the corner');
  assert.ok(!c.raw.includes(BOX_UTF8), 'no UTF-8 box drawing');
  // No lone CR on the wire: every CR is followed by LF or NUL.
  for (let i = 0; i < c.wire.length; i++)
    if (c.wire[i] === 13) assert.ok(c.wire[i + 1] === 10 || c.wire[i + 1] === 0, `bare CR at ${i}`);
  const s = await c.screen();          // decoded as CP437, as ANSI says
  assert.match(screenText(s), /╔/, 'the corner shows once decoded as CP437');
  assert.match(screenText(s), /Enter your handle/);
  c.destroy();
});

test('a client that answers nothing is asked, and its answer picks the charset', async () => {
  const c = await TelnetCaller.connect(srv.telnetPort, { silent: true });
  await waitTerm(c, 'Which box looks right?');
  assert.ok(c.wire.includes(Buffer.from('1) ┌─┐')), 'the UTF-8 box');
  assert.ok(c.wire.includes(Buffer.from([0x32, 0x29, 0x20, 0xda, 0xc4, 0xbf])), 'the CP437 box');
  assert.ok(!c.raw.includes(Buffer.from('Enter your handle')), 'the session waits for the answer');
  c.type('1\r\n');
  await waitTerm(c, 'Enter your handle');
  assert.ok(c.raw.includes(BOX_UTF8));
  // Line mode: a whole line, ending in CR LF, reaches the line editor.
  c.type('NEW\r\n');
  await waitTerm(c, 'Choose a handle');
  c.destroy();
});

test('Enter at the question means CP437; a resize is taken', async () => {
  const c = await TelnetCaller.connect(srv.telnetPort, { ttype: null, cols: 80, rows: 24 });
  await waitTerm(c, 'Which box looks right?');
  c.type('\r\0');
  await waitTerm(c, 'Enter your handle');
  assert.ok(c.raw.includes(BOX_CP437));
  c.resize(132, 50);
  c.resize(255, 255);          // 0xFF doubled inside NAWS
  // Taken in order on the one stream: the line typed next is read at the new size.
  c.type('NEW\r\0');
  await waitTerm(c, 'Choose a handle');
  c.destroy();
});

test('callers who drop or send garbage leave the server healthy', async () => {
  // Dropped during negotiation, during the question, after the welcome.
  const a = await TelnetCaller.connect(srv.telnetPort, { silent: true });
  a.destroy();
  const b = await TelnetCaller.connect(srv.telnetPort, { silent: true });
  await waitTerm(b, 'Which box');
  b.destroy();
  const c = await TelnetCaller.connect(srv.telnetPort);
  await waitTerm(c, 'Enter your handle');
  c.reset();
  // Garbage after IAC: unknown commands, a compression start, an endless SB.
  const g = await TelnetCaller.connect(srv.telnetPort);
  await waitTerm(g, 'Enter your handle');
  g.send([IAC, 1, IAC, 0xf6, IAC, SB, 86, IAC, SE, IAC, WILL, 200,
    IAC, SB, NAWS, 0, IAC, 7]);
  g.send(Buffer.concat([Buffer.from([IAC, SB, TTYPE, 0]), Buffer.alloc(100000, 0x41),
    Buffer.from([IAC, SE])]));
  g.type('NEW\r\n');
  await waitTerm(g, 'Choose a handle');
  g.destroy();
  // Still serving.
  const d = await TelnetCaller.connect(srv.telnetPort);
  await waitTerm(d, 'Enter your handle');
  d.destroy();
});

function haveTmux() {
  try {
    execFileSync('tmux', ['-V']);
    execFileSync('telnet', ['--version'], { stdio: 'ignore' });
    return true;
  } catch { return false; }
}

test('Debian telnet inside tmux sees the welcome and its echo', { skip: !haveTmux() && 'no tmux/telnet' }, async () => {
  const sock = `/tmp/carrier-tmux-${process.pid}`;
  const tmux = (...args) => execFileSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
  tmux('new-session', '-d', '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color',
    `telnet 127.0.0.1 ${srv.telnetPort}`);
  const pane = () => tmux('capture-pane', '-p');
  // tmux tells nobody when its pane changes: ask it again and again.
  const waitPane = (re) => poll(() => { const p = pane(); return re.test(p) && p; },
    { timeout: 10000 * SLOW, every: 100, what: () => `${re} in the tmux pane:\n${pane()}` });
  try {
    const first = await waitPane(/Enter your handle/);
    assert.match(first, /╔|═/, 'box drawing shows as such (UTF-8 chosen from TERM)');
    tmux('send-keys', '-l', 'NEW');
    await waitPane(/handle.*NEW/);
    tmux('send-keys', 'Enter');
    const p = await waitPane(/Choose a handle/);
    // Server echo only: the word shows once on its line, not doubled.
    assert.doesNotMatch(p, /NEWNEW/);
  } finally {
    try { tmux('kill-server'); } catch { /* already gone */ }
  }
});
