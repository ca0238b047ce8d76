// Behind a reverse proxy: the client address a trusted proxy passes on
// (X-Forwarded-For, X-Real-IP) is believed, from anyone else it is ignored.  The
// connection's peer, as the log shows it, is the real client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller } from '../lib/caller.mjs';
import { scrape } from '../lib/metrics.mjs';

async function withServer(proxies, fn) {
  const srv = await startServer({
    config: `[server]\nmetrics = "127.0.0.1:0"\ntrusted_proxies = ${JSON.stringify(proxies)}\n[bbs]\n${FAST}`,
  });
  const callers = [];
  try {
    await fn(srv, callers);
  } finally {
    for (const c of callers) c.ws.terminate();
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
}

/** Connect with these headers; the peer the log gives the caller's connection. */
async function peerOf(srv, callers, headers) {
  const from = srv.output().length;
  const c = await Caller.connect(srv.wsUrl, { headers });
  callers.push(c);
  await c.waitFor('Enter your handle');
  const m = await srv.waitLog(/ event=connect conn=\d+ node=\d+ peer=(\S+)/, undefined, from);
  return m[1];
}

test('from a trusted proxy: the client it names', async () => {
  await withServer(['127.0.0.1', '::1'], async (srv, callers) => {
    assert.equal(await peerOf(srv, callers, { 'X-Forwarded-For': '203.0.113.7' }), '203.0.113.7');
    // What the client wrote itself is left of what the proxy appended.
    assert.equal(await peerOf(srv, callers, { 'X-Forwarded-For': '6.6.6.6, 203.0.113.8' }), '203.0.113.8');
    assert.equal(await peerOf(srv, callers, { 'X-Real-IP': '2001:db8::7' }), '2001:db8::7');
    // No header, or one that names no address: the proxy itself.
    assert.match(await peerOf(srv, callers, {}), /^127\.0\.0\.1:\d+$/);
    assert.match(await peerOf(srv, callers, { 'X-Forwarded-For': 'unknown' }), /^127\.0\.0\.1:\d+$/);
    const m = await scrape(srv.metricsPort);
    assert.equal(m.get('carrier_http_forwarded_total'), 3);
  });
});

test('from anyone else: the headers are ignored', async () => {
  // The test's connections come from 127.0.0.1, which is not in 10.0.0.0/8.
  await withServer(['10.0.0.0/8'], async (srv, callers) => {
    assert.match(await peerOf(srv, callers, { 'X-Forwarded-For': '203.0.113.7' }), /^127\.0\.0\.1:\d+$/);
    assert.match(await peerOf(srv, callers, { 'X-Real-IP': '203.0.113.7' }), /^127\.0\.0\.1:\d+$/);
  });
  await withServer([], async (srv, callers) => {
    assert.match(await peerOf(srv, callers, { 'X-Forwarded-For': '203.0.113.7' }), /^127\.0\.0\.1:\d+$/);
    const m = await scrape(srv.metricsPort);
    assert.equal(m.get('carrier_http_forwarded_total'), 0);
  });
});
