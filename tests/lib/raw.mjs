// Clients that control every byte, for the protocol tests: a raw TCP socket with
// "wait until" on what it received, hand-made HTTP requests and a response reader,
// hand-made WebSocket frames and a reader for the server's, and RawWs, a WebSocket
// client built from those whose terminal bytes can be read as a screen too.
//
//   const raw = await RawSocket.connect(srv.httpPort);
//   await raw.write(upgradeRequest(srv.httpPort));
//   const res = await readResponse(raw, { head: true });   // status, headers, body
//   const ws = await RawWs.open(srv.httpPort);
//   await ws.send(frame({ op: OP.BINARY, payload: 'hi\r', fin: false }));
//   await ws.expectClose(1002);
import net from 'node:net';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { renderScreen, screenTest } from './screen.mjs';
import { Waitable, T } from './wait.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** WebSocket opcodes. */
export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

// ---------------------------------------------------------------------------
// A raw socket with an input buffer and "wait until" on it.

export class RawSocket extends Waitable {
  /** @param {net.Socket} sock */
  constructor(sock) {
    super();
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.ended = false;     // the peer closed (FIN or RST) or the socket errored
    this.error = null;
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

  /** Wait for fn()'s first value other than undefined (see Waitable.until); the
   * timeout error says how much was received. */
  until(fn, timeout = T, what = 'condition') {
    return super.until(fn, timeout,
      () => `${what} (have ${this.buf.length} bytes, ended=${this.ended})`);
  }

  take(n) {
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return b;
  }

  /** Write; resolves true once the bytes are handed to the kernel, false if the
   * socket is gone. */
  write(data) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) { resolve(false); return; }
      this.sock.write(data, (err) => resolve(!err));
    });
  }

  /** Resolves once the peer has closed the connection (or it reset). */
  waitEnd(timeout = T) {
    return this.until(() => (this.ended ? true : undefined), timeout, 'the server to close');
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
export async function readResponse(raw, { head = false, timeout = T } = {}) {
  const end = await raw.until(() => {
    const i = raw.buf.indexOf('\r\n\r\n');
    if (i >= 0) return i;
    if (raw.ended) throw new Error(`connection closed before a response head: ${JSON.stringify(raw.buf.toString('latin1'))}`);
    return undefined;
  }, timeout, 'a response head');
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
      await raw.until(() => {
        if (raw.buf.length >= n) return true;
        if (raw.ended) throw new Error(`body cut short: ${raw.buf.length} of ${n} bytes`);
        return undefined;
      }, timeout, 'a response body');
      body = Buffer.from(raw.take(n));
    } else if (!headers['transfer-encoding']) {
      await raw.waitEnd(timeout);
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

/** An upgrade request; a header given as null is left out. */
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
    return new RawWs(raw, port);
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
      if (f.op === OP.BINARY) this.term.push(f.payload);
    }
  }

  /** Wait for the first frame (from index `from` on) that satisfies pred. */
  async waitFrame(pred, { from = 0, timeout = T, what = 'a frame' } = {}) {
    return this.raw.until(() => {
      this._pump();
      for (let i = from; i < this.frames.length; i++)
        if (pred(this.frames[i])) return this.frames[i];
      if (this.raw.ended) throw new Error(`connection ended before ${what}; frames: ${this.describe()}`);
      return undefined;
    }, timeout, what);
  }

  /** The terminal bytes received so far. */
  termBytes() {
    this._pump();
    return Buffer.concat(this.term);
  }

  /**
   * Wait until the terminal bytes received so far, as an 80 x 24 screen, satisfy
   * pred (a string, a RegExp, or a function of the screen, then say in `what` what
   * it waits for).  Returns the screen.
   */
  async waitScreen(pred, timeout = T, what = typeof pred === 'function' ? 'the screen' : String(pred)) {
    const test = screenTest(pred);
    let seen = -1;
    let last = null;
    return this.raw.until(async () => {
      this._pump();
      if (this.term.length === seen) {
        if (this.raw.ended)
          throw new Error(`connection ended while waiting for ${what}; frames: ${this.describe()}\n${last?.text.join('\n')}`);
        return undefined;
      }
      seen = this.term.length;
      last = await renderScreen(this.termBytes(), { cols: 80, rows: 24 });
      return test(last) ? last : undefined;
    }, timeout, () => `${what} on the screen:\n${last?.text.join('\n')}`);
  }

  /**
   * Wait for the server's close frame and for the TCP connection to end.
   * Asserts nothing follows the close frame.  Returns {code, reason}.
   */
  async expectClose(code, { timeout = T } = {}) {
    const f = await this.waitFrame((fr) => fr.op === OP.CLOSE, { timeout, what: `a close frame (${code})` });
    assert.ok(f.payload.length >= 2, 'close frame without a status code');
    const got = f.payload.readUInt16BE(0);
    const reason = f.payload.subarray(2).toString('utf8');
    assert.equal(got, code, `close code ${got} (${reason}), expected ${code}`);
    assert.equal(f.masked, false, 'server frames must not be masked');
    assert.equal(f.payload.length <= 125, true);
    await this.raw.waitEnd(timeout);
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
