// The metrics listener end to end: /metrics scraped while callers connect, log in
// and chat, its counters moving as they should (a public line in a room of M is M
// deliveries); refusals counted by reason; and the page is nowhere on the public
// listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { TelnetCaller } from '../lib/telnet.mjs';
import { newCaller, enterChat } from '../lib/chat.mjs';
import { httpRaw } from '../lib/raw.mjs';
import { scrape, fetchText, waitMetric, parseMetrics } from '../lib/metrics.mjs';
import { sleep, poll } from '../lib/wait.mjs';

const CONFIG = `[server]\nmetrics = "127.0.0.1:0"\n[bbs]\n${FAST}`;

async function withServer(config, fn) {
  const srv = await startServer({ config });
  const callers = [];
  try {
    await fn(srv, callers);
  } finally {
    for (const c of callers) (c.ws ? c.ws.terminate() : c.sock.destroy());
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
}

test('off by default: no metrics listener, and /metrics is not on the public port', async () => {
  await withServer(`[bbs]\n${FAST}`, async (srv) => {
    assert.equal(srv.metricsPort, 0);
    assert.doesNotMatch(srv.output(), /listener=metrics/);
    const res = await httpRaw(srv.httpPort, `GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    res.raw.destroy();
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.body.toString(), /carrier_/);
  });
});

test('the page: Prometheus text on its own listener, never on the public one', async () => {
  await withServer(CONFIG, async (srv) => {
    assert.ok(srv.metricsPort > 0 && srv.metricsPort !== srv.httpPort);
    const { status, headers, text } = await fetchText(srv.metricsPort);
    assert.equal(status, 200);
    assert.equal(headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(text, /^# HELP carrier_build_info /m);
    assert.match(text, /^carrier_build_info\{version="[^"]+",sqlite="[^"]+",libuv="[^"]+"\} 1$/m);
    for (const fam of ['carrier_uptime_seconds gauge', 'carrier_loop_lag_seconds histogram',
      'carrier_db_statement_seconds histogram', 'carrier_chat_deliveries_total counter',
      'carrier_logins_total counter', 'carrier_password_jobs gauge',
      'carrier_output_queue_bytes gauge', 'carrier_connections_refused_total counter']) {
      assert.match(text, new RegExp(`^# TYPE ${fam}$`, 'm'));
    }
    // Every family once.
    const types = text.match(/^# TYPE \S+/gm);
    assert.equal(new Set(types).size, types.length);
    parseMetrics(text);               // every sample line well formed
    // HEAD, other paths, other methods.
    assert.equal((await fetchText(srv.metricsPort, '/metrics', { method: 'HEAD' })).status, 200);
    assert.equal((await fetchText(srv.metricsPort, '/')).status, 404);
    assert.equal((await fetchText(srv.metricsPort, '/metrics/x')).status, 404);
    assert.equal((await fetchText(srv.metricsPort, '/metrics', { method: 'POST', body: 'x' })).status, 405);
    // The public listener knows nothing of it, and the WebSocket page is not on the
    // metrics one.
    const pub = await httpRaw(srv.httpPort, `GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    pub.raw.destroy();
    assert.equal(pub.status, 404);
    assert.doesNotMatch(pub.body.toString(), /carrier_/);
    const ws = await httpRaw(srv.metricsPort, `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    ws.raw.destroy();
    assert.equal(ws.status, 404);
    // Keep-alive: two scrapes on one connection.
    const raw = await httpRaw(srv.metricsPort, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(raw.status, 200);
    await raw.raw.write('GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const { readResponse } = await import('../lib/raw.mjs');
    const second = await readResponse(raw.raw);
    assert.equal(second.status, 200);
    assert.match(second.body.toString(), /^carrier_metrics_scrapes_total \d+$/m);
    raw.raw.destroy();
  });
});

test('counters move with callers: logins, activities, a delivery per line per member', async () => {
  await withServer(CONFIG, async (srv, callers) => {
    const port = srv.metricsPort;
    const before = await scrape(port);
    assert.equal(before.get('carrier_logins_total', { result: 'ok' }), 0);
    assert.equal(before.get('carrier_chat_deliveries_total', { kind: 'public' }), 0);

    const names = ['Ada', 'Bob', 'Cyd'];
    const room = await Promise.all(names.map((h) => newCaller(srv, h)));
    callers.push(...room);
    let m = await scrape(port);
    assert.equal(m.get('carrier_registrations_total'), 3);
    assert.equal(m.get('carrier_logins_total', { result: 'ok' }), 3);
    assert.equal(m.get('carrier_callers', { transport: 'websocket', activity: 'menu' }), 3);
    assert.equal(m.get('carrier_nodes_in_use'), 3);
    assert.equal(m.get('carrier_connections', { transport: 'websocket' }), 3);
    assert.ok(m.get('carrier_password_jobs_total') >= 3);
    assert.equal(m.get('carrier_password_jobs'), 0);
    assert.ok(m.get('carrier_db_statement_seconds_count') > 0);
    assert.ok(m.get('carrier_connections_accepted_total', { listener: 'http' }) >= 3);

    for (const c of room) await enterChat(c);
    m = await scrape(port);
    assert.equal(m.get('carrier_callers', { transport: 'websocket', activity: 'chat' }), 3);
    assert.equal(m.get('carrier_callers', { transport: 'websocket', activity: 'menu' }), undefined);
    assert.equal(m.get('carrier_chat_members', { room: 'Teleconference' }), 3);
    assert.equal(m.get('carrier_chat_joins_total'), 3);
    const base = m.get('carrier_chat_deliveries_total', { kind: 'public' });

    // L lines said, by each of the three in turn; every member has every line.
    const L = 7;
    const froms = room.map((c) => c.raw.length);
    for (let i = 0; i < L; i++) room[i % 3].say(`line-${i}-end`);
    await Promise.all(room.map((c, j) => c.waitText(froms[j], `line-${L - 1}-end`)));
    for (const [j, c] of room.entries()) {
      for (let i = 0; i < L; i++) assert.ok(c.plain(froms[j]).includes(`line-${i}-end`));
    }
    m = await scrape(port);
    assert.equal(m.get('carrier_chat_deliveries_total', { kind: 'public' }) - base, L * room.length);
    assert.equal(m.get('carrier_chat_events_total', { kind: 'public' }), L);
    assert.equal(m.get('carrier_chat_missed_total'), 0);

    // A private message: its line and the receipt.
    const fb = room[1].raw.length;
    room[0].say('/msg Bob psst');
    await room[1].waitText(fb, 'psst');
    m = await waitMetric(port, 'carrier_chat_deliveries_total', { kind: 'dm' }, (v) => v === 2);
    assert.equal(m.get('carrier_chat_events_total', { kind: 'dm' }), 1);

    // One leaves: the gauges follow.
    const fc = room[2].raw.length;
    room[2].say('/quit');
    await room[2].waitText(fc, 'Command');
    m = await scrape(port);
    assert.equal(m.get('carrier_chat_members', { room: 'Teleconference' }), 2);
    assert.equal(m.get('carrier_callers', { transport: 'websocket', activity: 'menu' }), 1);
    assert.equal(m.get('carrier_chat_leaves_total'), 1);

    // A telnet caller at the login prompt; a wrong password.
    const t = await TelnetCaller.connect(srv.telnetPort);
    callers.push(t);
    await t.waitFor('Enter your handle');
    m = await scrape(port);
    assert.equal(m.get('carrier_callers', { transport: 'telnet', activity: 'login' }), 1);
    assert.equal(m.get('carrier_connections', { transport: 'telnet' }), 1);
    t.say('Ada');
    await t.waitFor('Password');
    t.say('not the password');
    await t.waitFor('Login incorrect');
    m = await waitMetric(port, 'carrier_logins_total', { result: 'failed' }, (v) => v === 1);
    assert.equal(m.get('carrier_logins_total', { result: 'ok' }), 3);
    assert.equal(m.get('carrier_logins_total', { result: 'locked' }), 0);

    // The loop lag is measured on the sweep timer, once a second.
    m = await waitMetric(port, 'carrier_loop_lag_seconds_count', undefined, (v) => v >= 1);
    assert.ok(m.get('carrier_uptime_seconds') > 0);
  });
});

test('a loop held up shows as loop lag', async () => {
  await withServer(CONFIG, async (srv) => {
    // Observations later than half a second (a slow start-up may have made some).
    const late = (m) => m.get('carrier_loop_lag_seconds_count') -
      m.get('carrier_loop_lag_seconds_bucket', { le: '0.5' });
    const before = await waitMetric(srv.metricsPort, 'carrier_loop_lag_seconds_count', undefined, (v) => v >= 1);
    // Stopped for 1.5 s: the once-a-second sweep runs at least half a second late.
    srv.proc.kill('SIGSTOP');
    await sleep(1500);                 // what is under test: time passing, the loop held
    srv.proc.kill('SIGCONT');
    const m = await poll(async () => {
      const now = await scrape(srv.metricsPort);
      return late(now) > late(before) ? now : undefined;
    }, { what: 'a sweep later than 0.5 s' });
    assert.ok(m.get('carrier_loop_lag_max_seconds') >= 0.5);
  });
});

test('refusals by reason: line busy, a foreign origin, a request over the limits', async () => {
  await withServer(`${CONFIG}max_nodes = 1\n`, async (srv, callers) => {
    const port = srv.metricsPort;
    const a = await Caller.connect(srv.wsUrl);
    callers.push(a);
    await a.waitFor('Enter your handle');
    const b = await Caller.connect(srv.wsUrl);
    callers.push(b);
    await b.closedPromise;
    await assert.rejects(Caller.connect(srv.wsUrl, { origin: 'https://evil.example' }), /403/);
    const big = await httpRaw(srv.httpPort, `GET /${'x'.repeat(3000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    big.raw.destroy();
    assert.equal(big.status, 414);
    const m = await scrape(port);
    assert.equal(m.get('carrier_connections_refused_total', { reason: 'line_busy' }), 1);
    assert.equal(m.get('carrier_connections_refused_total', { reason: 'origin' }), 1);
    assert.equal(m.get('carrier_connections_refused_total', { reason: 'limits' }), 1);
    assert.equal(m.get('carrier_calls_total'), 1);
    assert.equal(m.get('carrier_nodes'), 1);
    void PASSWORD;
  });
});
