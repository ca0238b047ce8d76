// Telnet end to end against the real server: a raw scripted client that speaks the
// options itself (negotiation, TTYPE, NAWS, the charset question, CP437 vs UTF-8
// bytes of the welcome art, echo of what it types, callers who drop), and Debian's
// real telnet client (inetutils-telnet) inside tmux, its screen read back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from '../lib/server.mjs';
import { renderScreen, screenText } from '../lib/screen.mjs';
import { RawSocket, sleep, SLOW } from './helpers.mjs';

const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
const ECHO = 1, SGA = 3, BINARY = 0, TTYPE = 24, NAWS = 31;
const BOX_UTF8 = Buffer.from('╔', 'utf8');       // E2 95 94
const BOX_CP437 = Buffer.from([0xc9]);

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

/** CP437 -> Unicode for the bytes the welcome art and prompts use. */
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
function cp437ToUtf8(buf) {
  let s = '';
  for (const b of buf) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return Buffer.from(s, 'utf8');
}

/**
 * A telnet client that answers the server's options as told and keeps the
 * terminal bytes (telnet commands removed, CR NUL back to CR) apart.
 *   ttype: names to give in turn (the last repeats), or null to refuse TTYPE
 *   naws: [cols, rows] or null to refuse NAWS;  silent: answer nothing at all
 */
class TelnetClient {
  static async connect(port, opts = {}) {
    const raw = await RawSocket.connect(port);
    return new TelnetClient(raw, opts);
  }

  constructor(raw, { ttype = ['xterm-256color'], naws = [80, 24], silent = false } = {}) {
    this.raw = raw;
    this.opts = { ttype, naws, silent };
    this.ttypeIndex = 0;
    this.commands = [];          // [cmd, opt] received
    this.term = Buffer.alloc(0); // terminal bytes
    this.wire = Buffer.alloc(0); // everything, as received
    this.pos = 0;
    this.state = 'data';
    this.sb = [];
    raw.sock.on('data', (d) => {
      this.wire = Buffer.concat([this.wire, d]);
      this._parse(d);
      raw._wake();   // RawSocket checked its waiters before we parsed
    });
  }

  _send(bytes) { if (!this.opts.silent) this.raw.sock.write(Buffer.from(bytes)); }

  _parse(d) {
    const out = [];
    for (const b of d) {
      switch (this.state) {
        case 'data':
          if (b === IAC) this.state = 'iac';
          else if (this.afterCR && b === 0) { /* CR NUL: the NUL goes */ } else out.push(b);
          this.afterCR = b === 13;
          break;
        case 'iac':
          if (b === IAC) { out.push(IAC); this.state = 'data'; }
          else if (b === SB) { this.state = 'sbopt'; }
          else if (b >= WILL && b <= DONT) { this.cmd = b; this.state = 'neg'; }
          else { this.commands.push([b, null]); this.state = 'data'; }
          break;
        case 'neg':
          this.commands.push([this.cmd, b]);
          this._negotiate(this.cmd, b);
          this.state = 'data';
          break;
        case 'sbopt': this.sbopt = b; this.sb = []; this.state = 'sb'; break;
        case 'sb':
          if (b === IAC) this.state = 'sbiac'; else this.sb.push(b);
          break;
        case 'sbiac':
          if (b === SE) { this._subneg(this.sbopt, this.sb); this.state = 'data'; }
          else { this.sb.push(b); this.state = 'sb'; }
          break;
      }
    }
    if (out.length) this.term = Buffer.concat([this.term, Buffer.from(out)]);
  }

  _negotiate(cmd, opt) {
    if (cmd === DO) {
      const yes = opt === NAWS ? this.opts.naws !== null : opt === TTYPE ? this.opts.ttype !== null
        : [ECHO, SGA, BINARY].includes(opt);
      this._send([IAC, yes ? WILL : WONT, opt]);
      if (yes && opt === NAWS) this.resize(...this.opts.naws);
    } else if (cmd === WILL) {
      this._send([IAC, [ECHO, SGA, BINARY].includes(opt) ? DO : DONT, opt]);
    }
  }

  _subneg(opt, data) {
    if (opt === TTYPE && data[0] === 1 && this.opts.ttype) {
      const names = this.opts.ttype;
      const name = names[Math.min(this.ttypeIndex++, names.length - 1)];
      this._send([IAC, SB, TTYPE, 0, ...Buffer.from(name), IAC, SE]);
    }
  }

  resize(cols, rows) {
    const b = [cols >> 8, cols & 255, rows >> 8, rows & 255].flatMap((x) => (x === IAC ? [IAC, IAC] : [x]));
    this._send([IAC, SB, NAWS, ...b, IAC, SE]);
  }

  type(text) { this.raw.sock.write(Buffer.from(text, 'latin1')); }

  waitTerm(needle, timeoutMs = 5000 * SLOW) {
    const n = Buffer.isBuffer(needle) ? needle : Buffer.from(needle, 'utf8');
    return this.raw.waitFor(() => (this.term.includes(n) ? true : undefined), timeoutMs,
      `${JSON.stringify(needle.toString())} on the terminal`);
  }

  async screen(cp437 = false, cols = 80, rows = 24) {
    return renderScreen(cp437 ? cp437ToUtf8(this.term) : this.term, { cols, rows });
  }

  received(cmd, opt) { return this.commands.some(([c, o]) => c === cmd && o === opt); }
  destroy() { this.raw.destroy(); }
}

test('an xterm client negotiates, gets UTF-8 and its echo', async () => {
  const c = await TelnetClient.connect(srv.telnetPort, { ttype: ['XTERM-256COLOR'], naws: [100, 30] });
  await c.waitTerm('Enter your handle');
  for (const [cmd, opt] of [[WILL, ECHO], [WILL, SGA], [DO, NAWS], [DO, TTYPE], [DO, BINARY], [WILL, BINARY]])
    assert.ok(c.received(cmd, opt), `server did not send ${cmd} ${opt}`);
  assert.ok(c.term.includes(BOX_UTF8), 'the welcome art is UTF-8');
  assert.ok(!c.term.includes(Buffer.from('Which box')), 'nobody asked an xterm');
  c.type('NEW\r\n');
  await c.waitTerm('Choose a handle');
  const s = await c.screen(false, 100, 30);
  assert.match(screenText(s), /NEW/, 'the typed line was echoed');
  c.destroy();
});

test('an ANSI BBS client gets the art as CP437 bytes', async () => {
  const c = await TelnetClient.connect(srv.telnetPort, { ttype: ['ANSI'], naws: [80, 25] });
  await c.waitTerm('Enter your handle');
  assert.ok(c.term.includes(BOX_CP437), 'CP437 0xC9 for the corner');
  assert.ok(!c.term.includes(BOX_UTF8), 'no UTF-8 box drawing');
  // No lone CR on the wire: every CR is followed by LF or NUL.
  for (let i = 0; i < c.wire.length; i++)
    if (c.wire[i] === 13) assert.ok(c.wire[i + 1] === 10 || c.wire[i + 1] === 0, `bare CR at ${i}`);
  const s = await c.screen(true, 80, 25);
  assert.match(screenText(s), /╔/, 'the corner shows once decoded as CP437');
  assert.match(screenText(s), /Enter your handle/);
  c.destroy();
});

test('a client that answers nothing is asked, and its answer picks the charset', async () => {
  const c = await TelnetClient.connect(srv.telnetPort, { silent: true });
  await c.waitTerm('Which box looks right?');
  assert.ok(c.wire.includes(Buffer.from('1) ┌─┐')), 'the UTF-8 box');
  assert.ok(c.wire.includes(Buffer.from([0x32, 0x29, 0x20, 0xda, 0xc4, 0xbf])), 'the CP437 box');
  assert.ok(!c.term.includes(Buffer.from('Enter your handle')), 'the session waits for the answer');
  c.type('1\r\n');
  await c.waitTerm('Enter your handle');
  assert.ok(c.term.includes(BOX_UTF8));
  // Line mode: a whole line, ending in CR LF, reaches the line editor.
  c.type('NEW\r\n');
  await c.waitTerm('Choose a handle');
  c.destroy();
});

test('Enter at the question means CP437; a resize is taken', async () => {
  const c = await TelnetClient.connect(srv.telnetPort, { ttype: null, naws: [80, 24] });
  await c.waitTerm('Which box looks right?');
  c.type('\r\0');
  await c.waitTerm('Enter your handle');
  assert.ok(c.term.includes(BOX_CP437));
  c.resize(132, 50);
  c.resize(255, 255);          // 0xFF doubled inside NAWS
  await sleep(100);
  c.type('NEW\r\0');
  await c.waitTerm('Choose a handle');
  c.destroy();
});

test('callers who drop or send garbage leave the server healthy', async () => {
  // Dropped during negotiation, during the question, after the welcome.
  const a = await TelnetClient.connect(srv.telnetPort, { silent: true });
  a.destroy();
  const b = await TelnetClient.connect(srv.telnetPort, { silent: true });
  await b.waitTerm('Which box');
  b.destroy();
  const c = await TelnetClient.connect(srv.telnetPort);
  await c.waitTerm('Enter your handle');
  c.raw.sock.resetAndDestroy();
  // Garbage after IAC: unknown commands, a compression start, an endless SB.
  const g = await TelnetClient.connect(srv.telnetPort);
  await g.waitTerm('Enter your handle');
  g.raw.sock.write(Buffer.from([IAC, 1, IAC, 0xf6, IAC, SB, 86, IAC, SE, IAC, WILL, 200,
    IAC, SB, NAWS, 0, IAC, 7]));
  g.raw.sock.write(Buffer.concat([Buffer.from([IAC, SB, TTYPE, 0]), Buffer.alloc(100000, 0x41),
    Buffer.from([IAC, SE])]));
  g.type('NEW\r\n');
  await g.waitTerm('Choose a handle');
  g.destroy();
  // Still serving.
  const d = await TelnetClient.connect(srv.telnetPort);
  await d.waitTerm('Enter your handle');
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
  const waitPane = async (re) => {
    for (let i = 0; i < 100 * SLOW; i++) {
      const p = pane();
      if (re.test(p)) return p;
      await sleep(100);
    }
    throw new Error(`tmux pane never showed ${re}:\n${pane()}`);
  };
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
