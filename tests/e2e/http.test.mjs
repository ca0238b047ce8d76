// HTTP end to end over raw sockets (so no client normalises anything): static
// files, caching, errors, limits, keep-alive, and the WebSocket upgrade's checks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, buildDir } from '../lib/server.mjs';
import { RawSocket, readResponse, httpRaw, upgradeRequest, wsKey, wsAccept } from '../lib/raw.mjs';
import { Caller, assertServes } from '../lib/caller.mjs';

let srv;
let host;
before(async () => {
  srv = await startServer();
  host = `127.0.0.1:${srv.httpPort}`;
});
after(async () => {
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

const get = (path, extra = '') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

/** One request on its own connection; the socket is closed afterwards. */
async function once(request, opts) {
  const res = await httpRaw(srv.httpPort, request, opts);
  res.raw.destroy();
  return res;
}

function assertNoPasswd(res) {
  assert.ok(!res.body.toString('latin1').includes('root:'), 'served /etc/passwd!');
}

test('GET / serves index.html with Content-Type, Cache-Control and ETag', async () => {
  const res = await once(get('/'));
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/html\b/);
  assert.ok(res.headers['cache-control'], 'no Cache-Control');
  assert.match(res.headers.etag, /^(W\/)?"[^"]+"$/);
  const index = readFileSync(join(buildDir, 'web', 'index.html'));
  assert.equal(Number(res.headers['content-length']), index.length);
  assert.ok(res.body.equals(index), 'the body is build/web/index.html');
});

test('If-None-Match with the ETag -> 304 without a body; another ETag -> 200', async () => {
  const first = await once(get('/'));
  const etag = first.headers.etag;
  const res = await once(get('/', `If-None-Match: ${etag}\r\n`));
  assert.equal(res.status, 304);
  assert.equal(res.body.length, 0);
  assert.equal(res.headers.etag, etag);
  // In a list, too.
  const listed = await once(get('/', `If-None-Match: "nope", ${etag}\r\n`));
  assert.equal(listed.status, 304);
  const other = await once(get('/', 'If-None-Match: "something-else"\r\n'));
  assert.equal(other.status, 200);
  assert.ok(other.body.length > 0);
});

test('GET /index.html is the same page', async () => {
  const a = await once(get('/'));
  const b = await once(get('/index.html'));
  assert.equal(b.status, 200);
  assert.ok(a.body.equals(b.body));
});

test('GET /app.js -> text/javascript; /app.css -> text/css; long-lived caching', async () => {
  const js = await once(get('/app.js'));
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript\b/);
  assert.ok(js.body.equals(readFileSync(join(buildDir, 'web', 'app.js'))));
  assert.ok(js.headers['cache-control']);
  assert.ok(js.headers.etag);
  const css = await once(get('/app.css'));
  assert.equal(css.status, 200);
  assert.match(css.headers['content-type'], /^text\/css\b/);
});

test('a query string does not change the file', async () => {
  const res = await once(get('/app.js?v=123'));
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/javascript\b/);
});

test('HEAD / -> headers only, same Content-Length as GET', async () => {
  const g = await once(get('/'));
  const h = await httpRaw(srv.httpPort, `HEAD / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, { head: true });
  try {
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], g.headers['content-length']);
    assert.equal(h.headers.etag, g.headers.etag);
    // Nothing after the head: the next response on the socket starts right after
    // it (a body in between would be read as its status line).
    await h.raw.write(get('/app.css'));
    const next = await readResponse(h.raw);
    assert.equal(next.status, 200);
    assert.match(next.headers['content-type'], /^text\/css\b/);
    assert.equal(h.raw.buf.length, 0);
  } finally {
    h.raw.destroy();
  }
});

test('/nope -> 404', async () => {
  const res = await once(get('/nope'));
  assert.equal(res.status, 404);
  const deep = await once(get('/no/such/dir/file.js'));
  assert.equal(deep.status, 404);
});

test('POST / -> 405 with Allow', async () => {
  const res = await once(`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\n\r\nabc`);
  assert.equal(res.status, 405);
  assert.match(res.headers.allow, /\bGET\b/);
  const put = await once(`PUT /index.html HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`);
  assert.equal(put.status, 405);
  assert.ok(put.headers.allow);
});

test('paths cannot leave the web root', async () => {
  const attempts = [
    '/../../etc/passwd',
    '/../../../../../../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
    '/..%2f..%2f..%2fetc/passwd',
    '/.%2e/.%2e/.%2e/etc/passwd',
    '/fonts/../../../../etc/passwd',
    '/..\\..\\..\\etc\\passwd',
    '/%2e%2e%5c%2e%2e%5cetc%5cpasswd',
    '//etc/passwd',
    '/etc/passwd%00.html',
    '/%00',
    '/%zz',
  ];
  for (const path of attempts) {
    const res = await once(get(path));
    assert.ok([400, 404].includes(res.status), `${path} -> ${res.status}`);
    assertNoPasswd(res);
  }
  // Absolute-form request target.
  const abs = await once(`GET http://${host}/../../etc/passwd HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  assert.ok([400, 404].includes(abs.status), `absolute form -> ${abs.status}`);
  assertNoPasswd(abs);
  // Dot segments that stay inside the root resolve normally.
  const inside = await once(get('/fonts/../app.js'));
  assert.equal(inside.status, 200);
  assert.match(inside.headers['content-type'], /^text\/javascript\b/);
});

test('a huge header -> 431, too many headers -> 431', async () => {
  const big = await once(get('/', `X-Big: ${'a'.repeat(16 * 1024)}\r\n`));
  assert.equal(big.status, 431);
  let many = '';
  for (let i = 0; i < 200; i++) many += `X-H${i}: ${i}\r\n`;
  const res = await once(get('/', many));
  assert.equal(res.status, 431);
});

test('a huge URL -> 414', async () => {
  const res = await once(get(`/${'a'.repeat(10 * 1024)}`));
  assert.equal(res.status, 414);
});

test('garbage instead of a request -> 400', async () => {
  const res = await once('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n');
  assert.equal(res.status, 400);
});

test('HTTP/1.1 without Host -> 400 (RFC 9112 3.2)', async () => {
  const res = await once('GET / HTTP/1.1\r\n\r\n');
  assert.equal(res.status, 400);
});

test('an error response says Connection: close when the server closes', async () => {
  const res = await httpRaw(srv.httpPort, get('/%00'));
  try {
    assert.equal(res.status, 400);
    const says = (res.headers.connection || '').toLowerCase();
    if (says === 'close') {
      await res.raw.waitEnd();
    } else {
      // Said nothing of closing: the connection must still take a request.
      await res.raw.write(get('/'));
      assert.equal((await readResponse(res.raw)).status, 200, `says "${says}", but closed`);
    }
  } finally {
    res.raw.destroy();
  }
});

test('keep-alive: two requests one after the other on one socket', async () => {
  const raw = await RawSocket.connect(srv.httpPort);
  try {
    await raw.write(get('/'));
    const a = await readResponse(raw);
    assert.equal(a.status, 200);
    assert.notEqual((a.headers.connection || '').toLowerCase(), 'close');
    await raw.write(get('/app.js'));
    const b = await readResponse(raw);
    assert.equal(b.status, 200);
    assert.match(b.headers['content-type'], /^text\/javascript\b/);
    // A miss does not end the connection either.
    await raw.write(get('/nope'));
    const c = await readResponse(raw);
    assert.equal(c.status, 404);
    await raw.write(get('/'));
    assert.equal((await readResponse(raw)).status, 200);
    assert.equal(raw.ended, false);
  } finally {
    raw.destroy();
  }
});

test('keep-alive: pipelined requests are answered in order', async () => {
  const raw = await RawSocket.connect(srv.httpPort);
  try {
    await raw.write(get('/app.js') + get('/nope') + `HEAD / HTTP/1.1\r\nHost: ${host}\r\n\r\n` + get('/app.css'));
    const a = await readResponse(raw);
    const b = await readResponse(raw);
    const c = await readResponse(raw, { head: true });
    const d = await readResponse(raw);
    assert.deepEqual([a.status, b.status, c.status, d.status], [200, 404, 200, 200]);
    assert.match(a.headers['content-type'], /^text\/javascript\b/);
    assert.match(d.headers['content-type'], /^text\/css\b/);
    assert.equal(c.body.length, 0);
  } finally {
    raw.destroy();
  }
});

test('Connection: close and HTTP/1.0 end the connection after the response', async () => {
  const res = await httpRaw(srv.httpPort, get('/', 'Connection: close\r\n'));
  try {
    assert.equal(res.status, 200);
    await res.raw.waitEnd();
  } finally {
    res.raw.destroy();
  }
  const old = await httpRaw(srv.httpPort, 'GET / HTTP/1.0\r\n\r\n');
  try {
    assert.equal(old.status, 200);
    assert.match(old.version, /^HTTP\/1\.[01]$/);
    assert.match(old.headers['content-type'], /^text\/html\b/);
    await old.raw.waitEnd();
  } finally {
    old.raw.destroy();
  }
});

test('HTTP/1.0 with Connection: keep-alive keeps the socket open', async () => {
  const raw = await RawSocket.connect(srv.httpPort);
  try {
    await raw.write('GET /app.js HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const a = await readResponse(raw);
    assert.equal(a.status, 200);
    assert.equal(a.headers.connection.toLowerCase(), 'keep-alive');
    await raw.write('GET /app.css HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.equal((await readResponse(raw)).status, 200);
  } finally {
    raw.destroy();
  }
});

// --- the WebSocket upgrade ---------------------------------------------------

async function upgrade(opts) {
  const key = opts?.key || wsKey();
  const res = await once(upgradeRequest(srv.httpPort, { ...opts, key }), { head: true });
  return { ...res, key };
}

test('upgrade with the wrong version -> 426 naming version 13', async () => {
  for (const v of ['8', '12', '14', 'x']) {
    const res = await upgrade({ headers: { 'Sec-WebSocket-Version': v } });
    assert.equal(res.status, 426, `version ${v}`);
    assert.equal(res.headers['sec-websocket-version'], '13');
  }
  const missing = await upgrade({ headers: { 'Sec-WebSocket-Version': null } });
  assert.ok([400, 426].includes(missing.status));
});

test('upgrade with a bad or missing key -> 400', async () => {
  for (const key of ['short', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAA===', '!!!!!!!!!!!!!!!!!!!!!!==']) {
    const res = await upgrade({ key });
    assert.equal(res.status, 400, `key ${key}`);
  }
  const missing = await upgrade({ headers: { 'Sec-WebSocket-Key': null } });
  assert.equal(missing.status, 400);
});

test('upgrade without Upgrade/Connection tokens, or by POST or HTTP/1.0 -> refused', async () => {
  const noUpgrade = await upgrade({ headers: { Upgrade: null } });
  assert.ok(noUpgrade.status >= 400 && noUpgrade.status < 500, `no Upgrade -> ${noUpgrade.status}`);
  const noConn = await upgrade({ headers: { Connection: 'keep-alive' } });
  assert.ok(noConn.status >= 400 && noConn.status < 500, `no Connection: upgrade -> ${noConn.status}`);
  const wrongProto = await upgrade({ headers: { Upgrade: 'h2c' } });
  assert.ok(wrongProto.status >= 400 && wrongProto.status < 500);
  const post = await once(upgradeRequest(srv.httpPort).replace(/^GET/, 'POST'));
  assert.ok([400, 405].includes(post.status));
  const old = await once(upgradeRequest(srv.httpPort).replace('HTTP/1.1', 'HTTP/1.0'));
  assert.equal(old.status, 400);
});

test('cross-site Origin -> 403; same origin -> 101', async () => {
  for (const origin of ['http://evil.example', `http://evil.example:${srv.httpPort}`,
    `http://127.0.0.1:${srv.httpPort + 1}`, 'null', `http://localhost.evil.example:${srv.httpPort}`,
    `http://127.0.0.1:${srv.httpPort}.evil.example`]) {
    const res = await upgrade({ headers: { Origin: origin } });
    assert.equal(res.status, 403, `Origin ${origin}`);
  }
  // (https://same-host:same-port is let through on purpose: a TLS proxy in front
  // forwards Host unchanged, and no other site can serve that origin.)
  const same = await upgrade({ headers: { Origin: `http://127.0.0.1:${srv.httpPort}` } });
  assert.equal(same.status, 101);
  assert.equal(same.headers['sec-websocket-accept'], wsAccept(same.key));
  // The ws package, as a browser would send it.
  await assert.rejects(Caller.connect(srv.wsUrl, { origin: 'http://evil.example' }), /403/);
});

test('Upgrade/Connection tokens in any case and order -> 101', async () => {
  const variants = [
    { Connection: 'keep-alive, UPGRADE', Upgrade: 'WebSocket' },
    { Connection: 'Upgrade,keep-alive', Upgrade: 'websocket' },
    { Connection: 'upgrade', Upgrade: 'WEBSOCKET' },
    { Connection: 'keep-alive ,  Upgrade  ', Upgrade: 'websocket' },
  ];
  for (const headers of variants) {
    const res = await upgrade({ headers });
    assert.equal(res.status, 101, JSON.stringify(headers));
    assert.equal(res.headers['sec-websocket-accept'], wsAccept(res.key));
    assert.match(res.headers.upgrade, /^websocket$/i);
    assert.match(res.headers.connection, /\bupgrade\b/i);
  }
});

test('the server still serves after all of the above', async () => {
  const res = await once(get('/'));
  assert.equal(res.status, 200);
  await assertServes(srv);
});
