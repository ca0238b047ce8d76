// Shared pieces of the end-to-end tests: a raw TCP client that controls every
// byte (hand-made HTTP requests, hand-made WebSocket frames), an HTTP response
// reader, a WebSocket frame reader for server frames, and a terminal client on
// the independent Node `ws` package whose screen is read through vtscreen.
import net from 'node:net';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { webRequire } from '../lib/server.mjs';
import { renderScreen, screenHas } from '../lib/screen.mjs';

export const WebSocket = webRequire('ws');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Slow machines and sanitizer builds get more time. */
export const SLOW = process.env.CARRIER_BUILD && /san/.test(process.env.CARRIER_BUILD) ? 3 : 1;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// A raw socket with an input buffer and "wait until" on it.

export class RawSocket {
  /** @param {net.Socket} sock */
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.ended = false;     // the peer closed (FIN or RST) or the socket errored
    this.error = null;
    this.waiters = new Set();
    sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this._wake(); });
    sock.on('end', () => { this.ended = true; this._wake(); });
    sock.on('close', () => { this.ended = true; this._wake(); });
    sock.on('error', (e) => { this.error = e; this.ended = true; this._wake(); });
  }

  static connect(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      sock.setNoDelay(true);
      const raw = new RawSocket(sock);
      sock.once('connect', () => resolve(raw));
      sock.once('error', reject);
    });
  }

  _wake() {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Resolve with fn()'s first non-undefined value, re-checked whenever bytes
   * arrive or the socket ends.  Rejects after timeoutMs.
   */
  waitFor(fn, timeoutMs = 5000, what = 'condition') {
    return new Promise((resolve, reject) => {
      let done = false;
      const check = () => {
        if (done) return;
        let v;
        try { v = fn(); } catch (e) { finish(); reject(e); return; }
        if (v !== undefined) { finish(); resolve(v); }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
          ` (have ${this.buf.length} bytes, ended=${this.ended})`));
      }, timeoutMs);
      const finish = () => { done = true; clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  take(n) {
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return b;
  }

  write(data) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) { resolve(false); return; }
      this.sock.write(data, (err) => resolve(!err));
    });
  }

  /** Resolves once the peer has closed the connection (or it reset). */
  waitEnd(timeoutMs = 5000) {
    return this.waitFor(() => (this.ended ? true : undefined), timeoutMs, 'the server to close');
  }

  destroy() {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------------------
// HTTP

/**
 * Read one HTTP response from raw.  head: the request was HEAD (no body).
 * A response without Content-Length is read until the server closes.
 * @returns {Promise<{status:number, reason:string, version:string,
 *   headers:Record<string,string>, rawHead:string, body:Buffer}>}
 */
export async function readResponse(raw, { head = false, timeoutMs = 5000 } = {}) {
  const end = await raw.waitFor(() => {
    const i = raw.buf.indexOf('\r\n\r\n');
    if (i >= 0) return i;
    if (raw.ended) throw new Error(`connection closed before a response head: ${JSON.stringify(raw.buf.toString('latin1'))}`);
    return undefined;
  }, timeoutMs, 'a response head');
  const rawHead = raw.take(end + 4).toString('latin1');
  const lines = rawHead.slice(0, -4).split('\r\n');
  const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]);
  assert.ok(m, `bad status line: ${JSON.stringify(lines[0])}`);
  const headers = {};
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    assert.ok(c > 0, `bad header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, c).trim().toLowerCase();
    const value = line.slice(c + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const status = Number(m[2]);
  let body = Buffer.alloc(0);
  const noBody = head || status === 304 || status === 204 || (status >= 100 && status < 200);
  if (!noBody) {
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      await raw.waitFor(() => {
        if (raw.buf.length >= n) return true;
        if (raw.ended) throw new Error(`body cut short: ${raw.buf.length} of ${n} bytes`);
        return undefined;
      }, timeoutMs, 'a response body');
      body = Buffer.from(raw.take(n));
    } else if (!headers['transfer-encoding']) {
      await raw.waitEnd(timeoutMs);
      body = Buffer.from(raw.take(raw.buf.length));
    } else {
      throw new Error('chunked responses are not expected from carrier');
    }
  }
  return { status, reason: m[3], version: m[1], headers, rawHead, body };
}

/** One request on a fresh connection; returns the response and the socket. */
export async function httpRaw(port, request, opts = {}) {
  const raw = await RawSocket.connect(port);
  try {
    await raw.write(request);
    const res = await readResponse(raw, opts);
    return { ...res, raw };
  } catch (e) {
    raw.destroy();
    throw e;
  }
}

// ---------------------------------------------------------------------------
// WebSocket, by hand

export function wsKey() {
  return crypto.randomBytes(16).toString('base64');
}

export function wsAccept(key) {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}

export function upgradeRequest(port, { key = wsKey(), path = '/ws', headers = {} } = {}) {
  const h = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let req = `GET ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null) req += `${k}: ${v}\r\n`;
  return req + '\r\n';
}

/**
 * Build one client frame.  mask: true (a random key), false (unmasked, illegal
 * from a client) or a 4-byte Buffer.  rsv: the three RSV bits as a number 0-7.
 */
export function frame({ op, payload = Buffer.alloc(0), fin = true, rsv = 0, mask = true }) {
  payload = Buffer.from(payload);
  const len = payload.length;
  let hdr;
  if (len < 126) {
    hdr = Buffer.alloc(2);
    hdr[1] = len;
  } else if (len < 65536) {
    hdr = Buffer.alloc(4);
    hdr[1] = 126;
    hdr.writeUInt16BE(len, 2);
  } else {
    hdr = Buffer.alloc(10);
    hdr[1] = 127;
    hdr.writeBigUInt64BE(BigInt(len), 2);
  }
  hdr[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (op & 0x0f);
  if (mask === false) return Buffer.concat([hdr, payload]);
  hdr[1] |= 0x80;
  const key = Buffer.isBuffer(mask) ? mask : crypto.randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([hdr, key, body]);
}

export function closePayload(code, reason = '') {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code, 0);
  return Buffer.concat([b, Buffer.from(reason, 'utf8')]);
}

/** Parse one server frame at the front of buf, or undefined if incomplete. */
export function parseServerFrame(buf) {
  if (buf.length < 2) return undefined;
  const b0 = buf[0];
  const b1 = buf[1];
  let len = b1 & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  if (masked) off += 4;
  if (buf.length < off + len) return undefined;
  let payload = Buffer.from(buf.subarray(off, off + len));
  if (masked) {
    const key = buf.subarray(off - 4, off);
    for (let i = 0; i < len; i++) payload[i] ^= key[i & 3];
  }
  return {
    fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, op: b0 & 0x0f, masked, payload,
    size: off + len,
  };
}

/** A raw WebSocket client: hand-made handshake, then frames both ways. */
export class RawWs {
  constructor(raw, port) {
    this.raw = raw;
    this.port = port;
    this.frames = [];      // every server frame received so far, in order
    this.term = [];        // payloads of binary frames (terminal bytes)
  }

  /** Connect and upgrade; asserts 101 and a correct Sec-WebSocket-Accept. */
  static async open(port, opts = {}) {
    const raw = await RawSocket.connect(port);
    const key = opts.key || wsKey();
    await raw.write(upgradeRequest(port, { ...opts, key }));
    const res = await readResponse(raw, { head: true });
    assert.equal(res.status, 101, `upgrade refused: ${res.rawHead}`);
    assert.equal(res.headers['sec-websocket-accept'], wsAccept(key));
    const ws = new RawWs(raw, port);
    return ws;
  }

  send(f) {
    return this.raw.write(f);
  }

  _pump() {
    for (;;) {
      const f = parseServerFrame(this.raw.buf);
      if (!f) return;
      this.raw.take(f.size);
      this.frames.push(f);
      if (f.op === 2) this.term.push(f.payload);
    }
  }

  /** Wait for the first frame (from index `from` on) that satisfies pred. */
  async waitFrame(pred, { from = 0, timeoutMs = 5000, what = 'a frame' } = {}) {
    return this.raw.waitFor(() => {
      this._pump();
      for (let i = from; i < this.frames.length; i++)
        if (pred(this.frames[i])) return this.frames[i];
      if (this.raw.ended) throw new Error(`connection ended before ${what}; frames: ${this.describe()}`);
      return undefined;
    }, timeoutMs, what);
  }

  /** The terminal bytes received so far. */
  termBytes() {
    this._pump();
    return Buffer.concat(this.term);
  }

  /**
   * Wait until the terminal bytes received so far, as a screen, satisfy pred (a
   * string, a RegExp, or a function of the screen).  Returns the screen.
   */
  async waitScreen(pred, { timeoutMs = 5000 * SLOW, cols = 80, rows = 24 } = {}) {
    const test = typeof pred === 'function' ? pred : (sc) => screenHas(sc, pred);
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    let last = null;
    for (;;) {
      this._pump();
      if (this.term.length !== seen) {
        seen = this.term.length;
        last = await renderScreen(this.termBytes(), { cols, rows });
        if (test(last)) return last;
        continue;   // more may have arrived while rendering
      }
      if (this.raw.ended)
        throw new Error(`connection ended while waiting for ${pred}; frames: ${this.describe()}\n${last.text.join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pred}; the screen:\n${last.text.join('\n')}`);
      await new Promise((r) => {
        const done = () => { clearTimeout(timer); this.raw.waiters.delete(done); r(); };
        const timer = setTimeout(done, 50);
        this.raw.waiters.add(done);
      });
    }
  }

  waitTerm(needle, opts) {
    return this.waitScreen(needle, opts);
  }

  /**
   * Wait for the server's close frame and for the TCP connection to end.
   * Asserts nothing follows the close frame.  Returns {code, reason}.
   */
  async expectClose(code, { timeoutMs = 5000 } = {}) {
    const f = await this.waitFrame((fr) => fr.op === 8, { timeoutMs, what: `a close frame (${code})` });
    assert.ok(f.payload.length >= 2, 'close frame without a status code');
    const got = f.payload.readUInt16BE(0);
    const reason = f.payload.subarray(2).toString('utf8');
    assert.equal(got, code, `close code ${got} (${reason}), expected ${code}`);
    assert.equal(f.masked, false, 'server frames must not be masked');
    assert.equal(f.payload.length <= 125, true);
    await this.raw.waitEnd(timeoutMs);
    this._pump();
    const idx = this.frames.indexOf(f);
    assert.equal(this.frames.length, idx + 1, 'the server sent frames after its close frame');
    assert.equal(this.raw.buf.length, 0, 'the server sent bytes after its close frame');
    return { code: got, reason };
  }

  describe() {
    return this.frames.map((f) => `op${f.op}/${f.payload.length}`).join(' ');
  }

  destroy() {
    this.raw.destroy();
  }
}

// ---------------------------------------------------------------------------
// A terminal on the Node `ws` package, its screen read through vtscreen.

export class TermClient {
  constructor(ws) {
    this.ws = ws;
    this.chunks = [];
    this.closed = null;        // {code, reason} once closed
    this.waiters = new Set();
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.chunks.push(Buffer.from(data));
      this._wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this._wake();
    });
    ws.on('error', () => {});  // surfaces as 'close'
  }

  static open(url, opts = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts);
      const t = new TermClient(ws);
      ws.once('open', () => resolve(t));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  _wake() {
    for (const w of [...this.waiters]) w();
  }

  bytes() {
    return Buffer.concat(this.chunks);
  }

  type(text) {
    this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  screen(opts) {
    return renderScreen(this.bytes(), opts);
  }

  /**
   * Wait until the screen satisfies pred (a string, a RegExp, or a function of the
   * screen).  Returns the screen.
   */
  async waitScreen(pred, { timeoutMs = 5000 * SLOW, cols = 80, rows = 24 } = {}) {
    const test = typeof pred === 'function' ? pred : (s) => screenHas(s, pred);
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    let last = null;
    for (;;) {
      const n = this.chunks.length;
      if (n !== seen) {
        seen = n;
        last = await renderScreen(this.bytes(), { cols, rows });
        if (test(last)) return last;
      }
      if (this.closed) throw new Error(`closed (${this.closed.code}) while waiting for ${pred};\n${last.text.join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pred}; the screen:\n${last.text.join('\n')}`);
      await new Promise((r) => {
        const done = () => { clearTimeout(timer); this.waiters.delete(done); r(); };
        const timer = setTimeout(done, 50);
        this.waiters.add(done);
      });
    }
  }

  waitClosed(timeoutMs = 5000 * SLOW) {
    return new Promise((resolve, reject) => {
      if (this.closed) { resolve(this.closed); return; }
      const t = setTimeout(() => reject(new Error('timed out waiting for close')), timeoutMs);
      this.ws.once('close', () => { clearTimeout(t); resolve(this.closed); });
    });
  }

  /** Close handshake from our side; resolves with what the server answered. */
  async close(code = 1000, reason = '') {
    if (!this.closed) this.ws.close(code, reason);
    return this.waitClosed();
  }

  terminate() {
    this.ws.terminate();
  }
}

/** The first prompt a caller sees, and the row it sits on once something is typed
 * (screen rows have their trailing blanks trimmed). */
export const HANDLE_PROMPT = 'Enter your handle (or NEW):';
const escapeRe = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const handleRow = (typed = '') =>
  new RegExp(`^${escapeRe(HANDLE_PROMPT)}${typed ? ` ${escapeRe(typed)}` : ' ?'}$`);
export const PASSWORD_ROW = /^Password: ?$/;

/**
 * A fresh, well-behaved caller: sees the login prompt, types a handle, sees it
 * echoed and the password prompt that follows, closes normally (1000 echoed).
 * Proves the server still serves.
 */
export async function assertServes(srv, word = `probe${crypto.randomBytes(3).toString('hex')}`) {
  const t = await TermClient.open(srv.wsUrl);
  try {
    await t.waitScreen(HANDLE_PROMPT);
    t.type(`${word}\r`);
    await t.waitScreen(handleRow(word));
    await t.waitScreen(PASSWORD_ROW);
    const c = await t.close(1000);
    assert.equal(c.code, 1000);
  } finally {
    t.terminate();
  }
}

/** Resident set size of a process in KiB (Linux). */
export async function rssKiB(pid) {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) : NaN;
}
