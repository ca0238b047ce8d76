// HTTPS and WSS end to end (issue 13): a certificate made by the test with
// `openssl req`; the page over TLS 1.3 with ALPN http/1.1; a wss caller and a plain
// ws caller in the same room; what TLS refuses (TLS 1.1, a client without
// http/1.1, garbage instead of a ClientHello, a record of junk, plain HTTP on the
// TLS port, a handshake that never finishes, too many handshakes from one
// address), each closed while a caller already connected carries on; the
// certificate swapped and SIGHUP: a new client gets the new one while the old
// connection stays; the start refused for bad files ("FILE: reason"), an expired
// certificate only warned about; redirect_http (curl): 301 to https, no WebSocket
// over plain HTTP, Strict-Transport-Security over https.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { RawSocket } from '../lib/raw.mjs';
import { makeCert, tempDir, rmDir, tlsConfig } from '../lib/tls.mjs';
import { enterChat, sync, SIZE } from '../lib/chat.mjs';
import { T, poll } from '../lib/wait.mjs';

const run = promisify(execFile);

let dir, certA, certB, srv, live;
const LIVE_CERT = () => join(dir, 'live.crt');
const LIVE_KEY = () => join(dir, 'live.key');

before(async () => {
  dir = tempDir();
  certA = makeCert(dir, 'a');
  certB = makeCert(dir, 'b');
  // The server reads live.crt/live.key; the SIGHUP test swaps them.
  copyFileSync(certA.cert, LIVE_CERT());
  copyFileSync(certA.key, LIVE_KEY());
  srv = await startServer({
    config: `${tlsConfig({ cert: LIVE_CERT(), key: LIVE_KEY() })}
[bbs]
${FAST}
[chat]
flood_rate = 1000
flood_burst = 1000
[limits]
tls_handshake_timeout = 1
handshakes_per_address = 6
`,
  });
  // A wss caller who is there all along: everything below must leave it alone.
  live = await Caller.connect(srv.wssUrl, { ca: certA.pem, ...SIZE });
  await live.register('Livia', PASSWORD);
  await enterChat(live);
});

after(async () => {
  live?.terminate();
  if (srv) {
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
  rmDir(dir);
});

/** A TLS connection; resolves with the socket once the handshake is done. */
function tlsConnect(opts) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: srv.httpsPort, servername: 'localhost', ...opts });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** GET path over https; resolves {status, headers, body}. */
function httpsGet(path, ca = certA.pem) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: srv.httpsPort, path, ca, servername: 'localhost',
      agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks), socket: res.socket }));
    });
    req.on('error', reject);
  });
}

/** The caller connected all along still talks and hears the room. */
async function liveStillThere(word) {
  const from = live.raw.length;
  live.say(word);
  await live.waitText(from, `Livia: ${word}`);
}

test('the page over TLS 1.3, ALPN http/1.1, the same bytes as over plain HTTP', async () => {
  const res = await httpsGet('/');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/html/);
  const plain = await fetch(`${srv.url}/`).then((r) => r.arrayBuffer());
  assert.ok(res.body.equals(Buffer.from(plain)), 'https and http serve the same page');
  assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS without redirect_http');
  const s = await tlsConnect({ ca: certA.pem, ALPNProtocols: ['h2', 'http/1.1'] });
  assert.equal(s.getProtocol(), 'TLSv1.3');
  assert.equal(s.alpnProtocol, 'http/1.1');
  assert.equal(s.getPeerCertificate().fingerprint256, certA.fingerprint);
  s.destroy();
});

test('a wss caller and a plain ws caller chat in the same room', async () => {
  const secure = await Caller.connect(srv.wssUrl, { ca: certA.pem, ...SIZE });
  const plain = await Caller.connect(srv.wsUrl, SIZE);
  try {
    await secure.register('Sekura', PASSWORD);
    await plain.register('Plano', PASSWORD);
    await enterChat(secure);
    await enterChat(plain);
    await sync(secure, [secure, plain, live], 'over wss');
    await sync(plain, [secure, plain, live], 'over ws');
    const from = plain.raw.length;
    secure.say('/msg Plano a secret over TLS');
    await plain.waitText(from, 'a secret over TLS');
    // The same screen either way: the secure caller's frames are the plain ones.
    assert.match(await secure.text(), /Plano: over ws/);
  } finally {
    secure.terminate();
    plain.terminate();
  }
});

test('TLS 1.1 and a client without http/1.1 are refused', async () => {
  await assert.rejects(run('openssl', ['s_client', '-connect', `127.0.0.1:${srv.httpsPort}`,
    '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'], { timeout: T }), /protocol version/);
  await assert.rejects(tlsConnect({ ca: certA.pem, ALPNProtocols: ['h2'] }), /no application protocol/i);
  await srv.waitLog(/ event=tls_error conn=\d+ peer=\S+ error="unsupported protocol/);
});

test('garbage instead of a ClientHello is closed at once', async () => {
  const raw = await RawSocket.connect(srv.httpsPort);
  raw.sock.write(Buffer.from('\x01\x02\x03 definitely not TLS \xff\xfe\r\n\r\n', 'latin1'));
  await raw.until(() => (raw.ended ? true : undefined), T, 'the close');
  await liveStillThere('after the garbage');
});

test('a 16 KB record of junk is closed, not buffered', async () => {
  // Well framed (a handshake record, an application record before any
  // handshake), 16 KB of junk inside.
  for (const type of [0x16, 0x17]) {
    const raw = await RawSocket.connect(srv.httpsPort);
    const rec = Buffer.alloc(5 + 16384, 0xa5);
    rec.set([type, 0x03, 0x03, 0x40, 0x00]);
    raw.sock.write(rec);
    await raw.until(() => (raw.ended ? true : undefined), T, 'the close');
  }
  await liveStillThere('after the junk');
});

test('plain HTTP on the TLS port is told to use https', async () => {
  const raw = await RawSocket.connect(srv.httpsPort);
  raw.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await raw.until(() => (raw.ended ? true : undefined), T, 'the close');
  assert.match(raw.buf.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*use https:\/\//);
});

test('a handshake that never finishes is closed after tls_handshake_timeout', async () => {
  const silent = await RawSocket.connect(srv.httpsPort);
  const partial = await RawSocket.connect(srv.httpsPort);
  partial.sock.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));   // half a ClientHello
  const t0 = Date.now();
  for (const r of [silent, partial])
    await r.until(() => (r.ended ? true : undefined), T + 3000, 'the close');
  assert.ok(Date.now() - t0 >= 500, 'closed before its time was up');
  await srv.waitLog(/ event=tls_timeout conn=\d+ peer=\S+ ms=1000/);
  await liveStillThere('after the slow handshakes');
});

test('too many handshakes in flight from one address: the rest are refused at once', async () => {
  const idle = [];
  for (let i = 0; i < 6; i++) idle.push(await RawSocket.connect(srv.httpsPort));
  const extra = await RawSocket.connect(srv.httpsPort);
  await extra.until(() => (extra.ended ? true : undefined), T, 'the refusal');
  await srv.waitLog(/ event=refused conn=\d+ peer=\S+ reason=handshakes_in_flight limit=6/);
  // One of them finishes its handshake: room for one more.
  const one = await tlsConnect({ socket: idle[0].sock, ca: certA.pem });
  one.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');      // answered: its handshake is over
  await new Promise((r) => one.once('data', r));
  const s = await tlsConnect({ ca: certA.pem });
  s.destroy();
  one.destroy();
  for (const r of idle) r.sock.destroy();
  // Their places are freed as the server sees them close, which may be after the
  // next test's first connection: wait until a handshake is let in again.
  await poll(async () => {
    const ok = await tlsConnect({ ca: certA.pem }).then((c) => { c.destroy(); return true; }, () => false);
    return ok || undefined;
  }, { what: 'the handshake places freed' });
});

test('SIGHUP: a new client gets the new certificate, the old connection stays', async () => {
  const before = await tlsConnect({ ca: certA.pem });
  assert.equal(before.getPeerCertificate().fingerprint256, certA.fingerprint);
  copyFileSync(certB.cert, LIVE_CERT());
  copyFileSync(certB.key, LIVE_KEY());
  const mark = srv.output().length;
  srv.proc.kill('SIGHUP');
  await srv.waitLog(/ event=tls_reloaded /, T, mark);
  const after = await tlsConnect({ ca: certB.pem });
  assert.equal(after.getPeerCertificate().fingerprint256, certB.fingerprint);
  after.destroy();
  // The connections made before are untouched: a wss caller of certificate B
  // chats with the live caller, who connected under A.
  const fresh = await Caller.connect(srv.wssUrl, { ca: certB.pem, ...SIZE });
  try {
    await fresh.register('Neuer', PASSWORD);
    await enterChat(fresh);
    await sync(live, [live, fresh], 'still here after the swap');
    await sync(fresh, [live, fresh], 'welcome to the new certificate');
  } finally {
    fresh.terminate();
  }
  // The old raw connection too: it still gets the page.
  before.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const head = await new Promise((r) => before.once('data', (d) => r(d.toString('latin1'))));
  assert.match(head, /^HTTP\/1\.1 200 OK/);
  before.destroy();

  // A broken key on the next SIGHUP: logged, and B stays in use.
  writeFileSync(LIVE_KEY(), 'not a key\n');
  const mark2 = srv.output().length;
  srv.proc.kill('SIGHUP');
  await srv.waitLog(/live\.key: not a usable PEM private key/, T, mark2);
  await srv.waitLog(/ event=tls_reload_failed /, T, mark2);
  const still = await tlsConnect({ ca: certB.pem });
  assert.equal(still.getPeerCertificate().fingerprint256, certB.fingerprint);
  still.destroy();
});

test('bad certificate files: the server refuses to start with "FILE: reason"', async () => {
  const d = tempDir();
  try {
    const c = makeCert(d, 'c');
    const other = makeCert(d, 'other');
    const cases = [
      [{ cert: join(d, 'missing.crt'), key: c.key }, `${join(d, 'missing.crt')}: cannot read: No such file or directory`],
      [{ cert: c.cert, key: join(d, 'missing.key') }, `${join(d, 'missing.key')}: cannot read: No such file or directory`],
      [{ cert: c.key, key: c.key }, `${c.key}: not a usable PEM certificate`],
      [{ cert: c.cert, key: other.key }, `${other.key}: does not match the certificate in ${c.cert}`],
    ];
    for (const [files, want] of cases) {
      await assert.rejects(startServer({ config: tlsConfig(files) }), (err) => {
        assert.match(err.message, /server exited \(1\)/);
        assert.ok(err.message.includes(want), `want "${want}" in:\n${err.message}`);
        return true;
      });
    }
    // https without the files is a config error with its place in the file.
    await assert.rejects(startServer({ config: '[server]\nhttps = "127.0.0.1:0"\n' }),
      /carrier\.toml:2:\d+: "https" needs "tls_cert" and "tls_key"/);
  } finally {
    rmDir(d);
  }
});

test('an expired certificate: a warning at start, and it is served', async () => {
  const d = tempDir();
  let s;
  try {
    const old = makeCert(d, 'old', { expired: true });
    s = await startServer({ config: tlsConfig(old) });
    assert.match(s.output(), new RegExp(`${old.cert.replace(/[.]/g, '\\.')}: warning: the certificate expired on`));
    const sock = await new Promise((resolve, reject) => {
      const t = tls.connect({ host: '127.0.0.1', port: s.httpsPort, rejectUnauthorized: false });
      t.once('secureConnect', () => resolve(t));
      t.once('error', reject);
    });
    assert.equal(sock.getPeerCertificate().fingerprint256, old.fingerprint);
    sock.destroy();
  } finally {
    if (s) assert.equal((await s.stop()).code, 0);
    rmDir(d);
  }
});

test('redirect_http: 301 to https, no WebSocket over plain HTTP, HSTS over https (curl)', async () => {
  const d = tempDir();
  let s;
  try {
    const c = makeCert(d, 'c');
    s = await startServer({ config: tlsConfig(c, 'redirect_http = true\n') });
    const head = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null',
      `http://127.0.0.1:${s.httpPort}/some/where?x=1`]);
    assert.match(head.stdout, /^HTTP\/1\.1 301 Moved Permanently\r\n/);
    assert.match(head.stdout, new RegExp(`\\r\\nLocation: https://127\\.0\\.0\\.1:${s.httpsPort}/some/where\\?x=1\\r\\n`, 'i'));
    // curl follows it to the page, over TLS, and sees HSTS there.
    const followed = await run('curl', ['-sS', '-L', '--cacert', c.cert, '-D', '-', '-o', '/dev/null',
      `http://localhost:${s.httpPort}/`]);
    assert.match(followed.stdout, /HTTP\/1\.1 200 OK\r\n/);
    assert.match(followed.stdout, /\r\nstrict-transport-security: max-age=31536000\r\n/i);
    await assert.rejects(Caller.connect(s.wsUrl), /upgrade refused: 403/);
    const secure = await Caller.connect(s.wssUrl, { ca: c.pem });
    await secure.waitFor('Enter your handle');
    secure.terminate();
    // A Host that is no host name is not echoed into a Location.
    const bad = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null', '-H', 'Host: evil"<x>',
      `http://127.0.0.1:${s.httpPort}/`]);
    assert.match(bad.stdout, /^HTTP\/1\.1 400 /);
  } finally {
    if (s) assert.equal((await s.stop()).code, 0);
    rmDir(d);
  }
});
