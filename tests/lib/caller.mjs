// A BBS caller for end-to-end tests: a real WebSocket client (Node `ws`) whose
// screen is what libvterm makes of every byte it received.
//
//   const c = await Caller.connect(srv.wsUrl);
//   await c.waitFor('Enter your handle');
//   await c.type('NEW\r');
//   await c.register('Alice', 'correct horse');   // ends at the main menu
//   c.bells, c.controls, c.raw (Buffer of everything received)
import { renderScreen, screenText } from './screen.mjs';
import { webRequire } from './server.mjs';

const WebSocket = webRequire('ws');

export class Caller {
  constructor(ws, { cols = 80, rows = 24 } = {}) {
    this.ws = ws;
    this.cols = cols;
    this.rows = rows;
    this.chunks = [];
    this.controls = [];
    this.closed = null;
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.chunks.push(Buffer.from(data));
      else this.controls.push(JSON.parse(data.toString()));
    });
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; resolve(this.closed); });
    });
    ws.on('error', () => {});
  }

  static connect(url, opts = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new Caller(ws, opts);
      ws.once('open', () => {
        if (opts.token) ws.send(JSON.stringify({ type: 'resume', token: opts.token }));
        ws.send(JSON.stringify({ type: 'resize', cols: c.cols, rows: c.rows }));
        resolve(c);
      });
      ws.once('error', reject);
    });
  }

  get raw() { return Buffer.concat(this.chunks); }
  get bells() { return this.raw.filter((b) => b === 7).length; }
  /** Everything received since mark() (for "this connection never saw X"). */
  mark() { this.marked = this.raw.length; }
  sinceMark() { return this.raw.subarray(this.marked || 0); }

  async screen() { return renderScreen(this.raw, { cols: this.cols, rows: this.rows }); }
  async text() { return screenText(await this.screen()); }

  type(s) { this.ws.send(Buffer.from(s, 'utf8')); }

  /** Wait until the screen shows needle (string or RegExp). */
  async waitFor(needle, timeout = 5000) {
    const deadline = Date.now() + timeout;
    let last = '';
    for (;;) {
      last = await this.text();
      if (typeof needle === 'string' ? last.includes(needle) : needle.test(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${needle}; the screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  /** Wait until the raw byte stream contains needle (bytes since mark if since). */
  async waitForBytes(pred, timeout = 5000) {
    const deadline = Date.now() + timeout;
    while (!pred(this.raw)) {
      if (Date.now() > deadline) throw new Error('timed out waiting for bytes');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async register(handle, password, location = '') {
    await this.waitFor('Enter your handle');
    this.type('NEW\r');
    await this.waitFor('Choose a handle');
    this.type(`${handle}\r`);
    await this.waitFor('Choose a password');
    this.type(`${password}\r`);
    await this.waitFor('Type the password again');
    this.type(`${password}\r`);
    await this.waitFor('Where are you calling from');
    this.type(`${location}\r`);
    await this.waitFor('Command');
  }

  async login(handle, password) {
    await this.waitFor('Enter your handle');
    this.type(`${handle}\r`);
    await this.waitFor('Password');
    this.type(`${password}\r`);
    await this.waitFor('Command');
  }

  /** Wait for the server to close: resolves {code, reason}, throws after timeout. */
  async waitClosed(timeout = 5000) {
    let timer;
    const t = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not closed within ${timeout} ms`)), timeout);
    });
    try {
      return await Promise.race([this.closedPromise, t]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Wait for a control (JSON text) message of the given type; returns it. */
  async waitControl(type, timeout = 5000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = this.controls.find((c) => c.type === type);
      if (m) return m;
      if (Date.now() > deadline) {
        throw new Error(`no "${type}" control message within ${timeout} ms; got ${JSON.stringify(this.controls)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(code = 1000) { this.ws.close(code); return this.closedPromise; }
  /** Drop without a close frame: the socket is reset. */
  reset() { this.ws._socket.resetAndDestroy(); return this.closedPromise; }
}
