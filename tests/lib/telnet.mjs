// A telnet BBS caller for end-to-end tests, the telnet twin of caller.mjs: a raw
// client over node:net that speaks the options itself (answers WILL/DO, gives its
// terminal type when asked, reports its window size with NAWS) and keeps apart
//   wire  -- every byte received, telnet commands included;
//   raw   -- the terminal bytes (IAC commands and subnegotiations taken out, IAC IAC
//            back to one 0xFF, CR NUL back to CR), in the charset the server chose;
// and a screen: libvterm's view of the terminal bytes, converted from CP437 to
// Unicode where the caller is a CP437 one.
//
//   const t = await TelnetCaller.connect(srv.telnetPort, { ttype: 'SyncTERM' });
//   await t.register('Cora', 'correct horse');   // ends at the main menu
//   t.type('café\r\n');    // encoded as the caller's charset (CP437 here), IAC doubled
//   t.resize(40, 20);      // NAWS, and the screen is rendered at the new size
//   t.bells, t.raw, t.mark()/t.sinceMark(), await t.waitFor('text'), t.reset()
//   await t.waitText(from, 'Bob: hi')   // the text since raw offset `from` has it
//
// The waits, and register/login, are those of the WebSocket Caller (Terminal in
// caller.mjs), woken by what arrives.
//
// The charset the bytes are decoded with is `charset` ('utf8' or 'cp437'); it is a
// guess from the terminal type given (as the server guesses) and can be switched with
// setCharset(cs), from the byte received next on (e.g. after a charset question or a
// login that applies a stored choice).
import net from 'node:net';
import { renderScreen, plain } from './screen.mjs';
import { T, withTimeout } from './wait.mjs';
import { Terminal } from './caller.mjs';

export const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
export const NOP = 241, GA = 249;
export const BINARY = 0, ECHO = 1, SGA = 3, TTYPE = 24, NAWS = 31;

/** Code page 437, bytes 0x80-0xFF, as Unicode. */
export const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
const CP437_REVERSE = new Map([...CP437_HIGH].map((ch, i) => [ch, 0x80 + i]));

/** CP437 bytes -> a JS string (bytes below 0x80 are ASCII and controls, as is). */
export function cp437Decode(buf) {
  let s = '';
  for (const b of buf) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return s;
}

/** A JS string -> CP437 bytes; throws on a character CP437 does not have. */
export function cp437Encode(text) {
  const out = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (cp < 0x80) out.push(cp);
    else if (CP437_REVERSE.has(ch)) out.push(CP437_REVERSE.get(ch));
    else throw new Error(`no CP437 byte for U+${cp.toString(16)}`);
  }
  return Buffer.from(out);
}

/** The charset the server picks from a terminal type, for the names this file uses
 * (null: it does not tell, the server asks). */
export function charsetForTtype(name) {
  if (!name) return null;
  const n = name.toLowerCase();
  if (/^(ansi|ansi-.*|ansi-bbs|syncterm|netrunner|pc-?ansi|scoansi|cp437)$/.test(n)) return 'cp437';
  if (/^(xterm.*|rxvt.*|screen.*|tmux.*|linux|putty.*|utf-?8)$/.test(n)) return 'utf8';
  return null;
}

/** Escape IAC in data sent to the server. */
function escapeIac(buf) {
  if (!buf.includes(IAC)) return buf;
  const out = [];
  for (const b of buf) { out.push(b); if (b === IAC) out.push(IAC); }
  return Buffer.from(out);
}

export class TelnetCaller extends Terminal {
  /**
   * @param {number} port
   * @param {object} [opts]
   * @param {string|string[]|null} [opts.ttype]  terminal type(s) to give in turn (the
   *   last repeats); null refuses TERMINAL-TYPE
   * @param {number} [opts.cols] @param {number} [opts.rows]  the window size reported
   * @param {boolean} [opts.naws]  false refuses NAWS (the screen is still cols x rows)
   * @param {boolean} [opts.silent]  answer no option at all (a dumb client)
   * @param {'utf8'|'cp437'} [opts.charset]  how to decode (default: from ttype, else utf8)
   * @param {string} [opts.eol]  what Enter sends in register/login (default CR LF)
   */
  static connect(port, opts = {}) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host: '127.0.0.1' });
      sock.setNoDelay(true);
      const t = new TelnetCaller(sock, opts);
      sock.once('connect', () => resolve(t));
      sock.once('error', reject);
    });
  }

  constructor(sock, { ttype = 'xterm', cols = 80, rows = 24, naws = true, silent = false,
    charset, eol = '\r\n' } = {}) {
    super();
    this.sock = sock;
    this.ttypes = ttype === null ? null : [].concat(ttype);
    this.ttypeIndex = 0;
    this.cols = cols;
    this.rows = rows;
    this.naws = naws;
    this.silent = silent;
    this.eol = eol;
    this.charset = charset || charsetForTtype(this.ttypes?.[0]) || 'utf8';
    this.commands = [];              // [cmd, opt] received, in order
    this.subnegs = [];               // [opt, Buffer] received
    this.wireChunks = [];
    this.termChunks = [];
    this.termLen = 0;
    this.switches = [[0, this.charset]];   // [offset in raw, charset] from there on
    this.state = 'data';
    this.afterCR = false;
    this.closed = false;
    this.closedPromise = new Promise((resolve) => {
      sock.on('close', () => { this.closed = true; this._wake(); resolve(); });
    });
    sock.on('error', () => {});      // shows as 'close'
    sock.on('data', (d) => {
      this.wireChunks.push(d);
      this._parse(d);
      this._wake();
    });
  }

  // ---- the byte stream ------------------------------------------------------------

  _parse(d) {
    const out = [];
    for (const b of d) {
      switch (this.state) {
        case 'data':
          if (b === IAC) { this.state = 'iac'; break; }
          if (!(this.afterCR && b === 0)) out.push(b);   // CR NUL: the NUL goes
          this.afterCR = b === 13;
          break;
        case 'iac':
          this.state = 'data';
          if (b === IAC) { out.push(IAC); this.afterCR = false; }
          else if (b === SB) this.state = 'sbopt';
          else if (b >= WILL && b <= DONT) { this.cmd = b; this.state = 'neg'; }
          else this.commands.push([b, null]);
          break;
        case 'neg':
          this.state = 'data';
          this.commands.push([this.cmd, b]);
          this._negotiate(this.cmd, b);
          break;
        case 'sbopt': this.sbopt = b; this.sb = []; this.state = 'sb'; break;
        case 'sb':
          if (b === IAC) this.state = 'sbiac'; else this.sb.push(b);
          break;
        case 'sbiac':
          if (b === SE) {
            this.state = 'data';
            this.subnegs.push([this.sbopt, Buffer.from(this.sb)]);
            this._subneg(this.sbopt, this.sb);
          } else { this.sb.push(b); this.state = 'sb'; }
          break;
      }
    }
    if (out.length) {
      this.termChunks.push(Buffer.from(out));
      this.termLen += out.length;
    }
  }

  _send(bytes) {
    if (!this.silent && !this.sock.destroyed) this.sock.write(Buffer.from(bytes));
  }

  _negotiate(cmd, opt) {
    if (cmd === DO) {
      const yes = opt === NAWS ? this.naws : opt === TTYPE ? this.ttypes !== null
        : [ECHO, SGA, BINARY].includes(opt);
      this._send([IAC, yes ? WILL : WONT, opt]);
      if (yes && opt === NAWS) this._sendNaws();
    } else if (cmd === WILL) {
      this._send([IAC, [ECHO, SGA, BINARY].includes(opt) ? DO : DONT, opt]);
    }
  }

  _subneg(opt, data) {
    if (opt === TTYPE && data[0] === 1 && this.ttypes) {
      const name = this.ttypes[Math.min(this.ttypeIndex++, this.ttypes.length - 1)];
      this._send([IAC, SB, TTYPE, 0, ...Buffer.from(name, 'latin1'), IAC, SE]);
    }
  }

  _sendNaws() {
    const b = [this.cols >> 8, this.cols & 255, this.rows >> 8, this.rows & 255]
      .flatMap((x) => (x === IAC ? [IAC, IAC] : [x]));
    this._send([IAC, SB, NAWS, ...b, IAC, SE]);
  }

  /** Every byte received, telnet commands included. */
  get wire() { return Buffer.concat(this.wireChunks); }
  /** The terminal bytes received, undecoded. */
  get raw() {
    if (this.termChunks.length > 1) this.termChunks = [Buffer.concat(this.termChunks)];
    return this.termChunks[0] || Buffer.alloc(0);
  }
  /** How many terminal bytes were received. */
  get length() { return this.termLen; }
  /** True if the server sent IAC cmd opt. */
  received(cmd, opt) { return this.commands.some(([c, o]) => c === cmd && o === opt); }

  /** Decode the terminal bytes from here on as cs ('utf8' or 'cp437'). */
  setCharset(cs, at = this.termLen) {
    this.charset = cs;
    this.switches.push([at, cs]);
  }

  /** The terminal bytes as UTF-8 for a terminal: CP437 stretches converted. */
  decoded(from = 0) {
    const raw = this.raw;
    const parts = [];
    for (let i = 0; i < this.switches.length; i++) {
      const [start, cs] = this.switches[i];
      const end = i + 1 < this.switches.length ? this.switches[i + 1][0] : raw.length;
      const s = Math.max(start, from);
      if (end <= s) continue;
      const piece = raw.subarray(s, end);
      parts.push(cs === 'cp437' ? Buffer.from(cp437Decode(piece), 'utf8') : piece);
    }
    return Buffer.concat(parts);
  }

  /** The text received since byte offset `from` (of raw), decoded, CSI taken out. */
  plain(from = 0) { return plain(this.decoded(from)); }

  screen() { return renderScreen(this.decoded(), { cols: this.cols, rows: this.rows }); }

  // ---- waiting ----------------------------------------------------------------------

  /** Wait for the server to close the connection. */
  waitClosed(timeout = T) {
    return this.until(() => (this.closed ? true : undefined), timeout, 'the server to close');
  }

  // ---- sending ----------------------------------------------------------------------

  /** Type text as this caller's charset would send it (IAC doubled). */
  type(text) {
    const bytes = this.charset === 'cp437' ? cp437Encode(text) : Buffer.from(text, 'utf8');
    this.sock.write(escapeIac(bytes));
  }

  /** Send bytes exactly as given (telnet commands, garbage); resolves once they
   * are handed to the kernel. */
  send(bytes) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) { resolve(false); return; }
      this.sock.write(Buffer.from(bytes), (err) => resolve(!err));
    });
  }

  /** Report a new window size (NAWS) and render the screen at it from now on. */
  resize(cols, rows) {
    this.cols = cols;
    this.rows = rows;
    this._sendNaws();
  }

  /** Hang up politely (FIN): the server reads everything sent before it, then
   * closes its side; resolves then. */
  close(timeout = T) {
    this.sock.end();
    return withTimeout(this.closedPromise, timeout, 'the server to close its side');
  }
  /** Drop without a goodbye: the socket is reset. */
  reset() { this.sock.resetAndDestroy(); return this.closedPromise; }
  destroy() { this.sock.destroy(); }
}
