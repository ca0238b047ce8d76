// A BBS caller for end-to-end tests: a real WebSocket client (the Node `ws`
// package) whose screen is what libvterm makes of every byte it received.
//
//   const c = await Caller.connect(srv.wsUrl, { cols: 100, rows: 60 });
//   await c.waitFor('Enter your handle');       // the screen's text has it
//   c.type('NEW\r');
//   await c.register('Alice', PASSWORD);        // from the handle prompt to the menu
//   const s = await c.waitScreen(handleRow('x')); // a row matches; s.text, s.fg...
//   await c.waitText(from, 'Bob: hi');          // the bytes since offset `from` say it
//   await c.waitControl('session');             // a JSON control message
//   c.raw, c.bells, c.controls, c.mark()/c.sinceMark(), c.closed
//   await c.close(1000); c.reset(); c.terminate()
//
// Every wait is woken by what arrives and times out after T (5 s, more under the
// sanitizers).  The telnet twin of this class is TelnetCaller in telnet.mjs.
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { renderScreen, screenText, screenTest, textHas, plain } from './screen.mjs';
import { webRequire } from './server.mjs';
import { Waitable, T, withTimeout } from './wait.mjs';

export const WebSocket = webRequire('ws');

/** The password the tests give the accounts they make. */
export const PASSWORD = 'correct horse battery';

/** The first prompt a caller sees, and the row it sits on once something is typed
 * (screen rows have their trailing blanks trimmed). */
export const HANDLE_PROMPT = 'Enter your handle (or NEW):';
const escapeRe = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const handleRow = (typed = '') =>
  new RegExp(`^${escapeRe(HANDLE_PROMPT)}${typed ? ` ${escapeRe(typed)}` : ' ?'}$`);
export const PASSWORD_ROW = /^Password: ?$/;

/**
 * What a caller of either kind (the WebSocket Caller here, TelnetCaller in
 * telnet.mjs) waits on and does: its screen, the text and bytes it received, the
 * steps of registering and logging in.  A subclass keeps `length` (terminal bytes
 * received), `raw` (those bytes), `closed` (truthy once closed), `eol` (what Enter
 * sends), plain(from), screen() and type(text), and calls _wake() whenever more
 * arrives.
 */
export class Terminal extends Waitable {
  get bells() { return this.raw.filter((b) => b === 7).length; }
  /** Everything received since mark() (for "this connection never saw X"). */
  mark() { this.marked = this.length; }
  sinceMark() { return this.raw.subarray(this.marked || 0); }
  async text() { return screenText(await this.screen()); }

  /** Wait for fn()'s first value other than undefined (see Waitable.until); the
   * timeout error shows what was received. */
  until(fn, timeout = T, what = 'condition') {
    return super.until(fn, timeout, () =>
      `${typeof what === 'function' ? what() : what}; received:\n${JSON.stringify(this.plain().slice(-1500))}`);
  }

  /**
   * Wait until the screen satisfies pred: a string or RegExp some row has, or a
   * function of the screen (then say in `what` what it waits for).  Returns the
   * screen.  Fails at once if the connection closes without it.
   */
  waitScreen(pred, timeout = T, what = typeof pred === 'function' ? 'the screen' : String(pred)) {
    const test = screenTest(pred);
    let seen = -1;
    let last = null;
    const shown = () => `${what}; the screen:\n${last?.text.join('\n')}`;
    return super.until(async () => {
      if (this.length === seen) {
        if (this.closed) throw new Error(`closed while waiting for ${shown()}`);
        return undefined;
      }
      seen = this.length;
      last = await this.screen();
      return test(last) ? last : undefined;
    }, timeout, shown);
  }

  /** Wait until the screen's text (rows joined by '\n') has needle (a string or
   * RegExp); returns that text. */
  async waitFor(needle, timeout = T) {
    const s = await this.waitScreen((sc) => textHas(screenText(sc), needle), timeout, String(needle));
    return screenText(s);
  }

  /** Wait until the text received since byte offset `from` (CSI sequences taken
   * out) has needle; returns that text. */
  waitText(from, needle, timeout = T) {
    return this.until(() => {
      const t = this.plain(from);
      return textHas(t, needle) ? t : undefined;
    }, timeout, String(needle));
  }

  /** Wait until pred(raw) is true. */
  waitForBytes(pred, timeout = T) {
    return this.until(() => (pred(this.raw) ? true : undefined), timeout, 'bytes');
  }

  /** Type a line and Enter. */
  say(line) { this.type(`${line}${this.eol}`); }

  /** Register from the handle prompt; ends at the main menu. */
  async register(handle, password = PASSWORD, location = '') {
    await this.waitFor('Enter your handle');
    this.say('NEW');
    await this.waitFor('Choose a handle');
    this.say(handle);
    await this.waitFor('Choose a password');
    this.say(password);
    await this.waitFor('Type the password again');
    this.say(password);
    await this.waitFor('Where are you calling from');
    this.say(location);
    await this.waitFor('Command');
  }

  /** Log in from the handle prompt; ends at the main menu. */
  async login(handle, password = PASSWORD) {
    await this.waitFor('Enter your handle');
    this.say(handle);
    await this.waitFor('Password');
    this.say(password);
    await this.waitFor('Command');
  }
}

export class Caller extends Terminal {
  constructor(ws, { cols = 80, rows = 24 } = {}) {
    super();
    this.ws = ws;
    this.cols = cols;
    this.rows = rows;
    this.eol = '\r';                 // what Enter sends
    this.chunks = [];
    this.length = 0;                 // terminal bytes received
    this.controls = [];              // JSON control messages received, in order
    this.closed = null;              // {code, reason} once closed
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const b = Buffer.from(data);
        this.chunks.push(b);
        this.length += b.length;
      } else {
        const text = data.toString();
        try { this.controls.push(JSON.parse(text)); } catch { this.controls.push({ type: null, text }); }
      }
      this._wake();
    });
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this._wake();
        resolve(this.closed);
      });
    });
    ws.on('error', () => {});        // surfaces as 'close'
  }

  /**
   * Connect; once open, resume with opts.token if given, then report the window
   * size (cols x rows, 80 x 24 unless given) as the page does.  Other options
   * (origin...) go to the ws package.  Rejects if the upgrade is refused.
   */
  static connect(url, { cols, rows, token, ...wsOpts } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, wsOpts);
      const c = new Caller(ws, { cols, rows });
      ws.once('open', () => {
        if (token) c.control({ type: 'resume', token });
        c.resize(c.cols, c.rows);
        resolve(c);
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  /** Every terminal byte received. */
  get raw() {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] || Buffer.alloc(0);
  }
  /** The text received since byte offset `from`, CSI sequences taken out. */
  plain(from = 0) { return plain(this.raw.subarray(from)); }
  /** The screen now (rendered at this caller's size unless told otherwise). */
  screen({ cols = this.cols, rows = this.rows } = {}) { return renderScreen(this.raw, { cols, rows }); }

  /** Wait for a control (JSON text) message of the given type; returns it. */
  waitControl(type, timeout = T) {
    return this.until(() => this.controls.find((m) => m.type === type), timeout,
      () => `a "${type}" control message; got ${JSON.stringify(this.controls)}`);
  }

  /** Wait for the connection to close: resolves {code, reason}. */
  waitClosed(timeout = T) {
    return withTimeout(this.closedPromise, timeout, 'the connection to close');
  }

  /** Type text (a binary frame of its UTF-8 bytes, as the page sends keys). */
  type(text) { this.ws.send(Buffer.from(text, 'utf8')); }
  /** Send a control message. */
  control(msg) { this.ws.send(JSON.stringify(msg)); }
  /** Report a new window size; the screen is rendered at it from now on. */
  resize(cols, rows) {
    this.cols = cols;
    this.rows = rows;
    this.control({ type: 'resize', cols, rows });
  }

  /** Close handshake from our side; resolves with what the server answered. */
  close(code = 1000, reason = '') {
    if (!this.closed) this.ws.close(code, reason);
    return this.waitClosed();
  }
  /** Drop without a close frame: the socket is reset. */
  reset() {
    if (this.ws._socket) this.ws._socket.resetAndDestroy();
    else this.ws.terminate();
    return this.closedPromise;
  }
  /** Drop at once (the socket is destroyed), for clean-ups. */
  terminate() { this.ws.terminate(); }
}

/**
 * A fresh, well-behaved caller: sees the login prompt, types a handle, sees it
 * echoed and the password prompt that follows, closes normally (1000 echoed).
 * Proves the server still serves.
 */
export async function assertServes(srv, word = `probe${crypto.randomBytes(3).toString('hex')}`) {
  const c = await Caller.connect(srv.wsUrl);
  try {
    await c.waitScreen(HANDLE_PROMPT);
    c.type(`${word}\r`);
    await c.waitScreen(handleRow(word));
    await c.waitScreen(PASSWORD_ROW);
    const closed = await c.close(1000);
    assert.equal(closed.code, 1000);
  } finally {
    c.terminate();
  }
}
