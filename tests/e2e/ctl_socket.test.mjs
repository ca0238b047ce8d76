// The control socket itself: its mode (0600), a client that sends 1 MB without a
// line end or connects and never writes (callers keep being served; the server
// closes it), many at once, a stale socket file left by a killed server (replaced),
// a second server on the same database (refused, saying why), `carrier ctl` when no
// server runs (exit 1, saying so), a path that is no socket (never touched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync, writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, carrierBin, dbOf, FAST } from '../lib/server.mjs';
import { assertServes } from '../lib/caller.mjs';
import { T, SLOW } from '../lib/wait.mjs';

const CONFIG = `[bbs]\n${FAST}`;

function ctl(dir, args) {
  return new Promise((resolve) => {
    execFile(carrierBin, ['--db', dbOf(dir), 'ctl', ...args], { cwd: dir }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

/** Connect to the control socket; resolves the socket once connected. */
function connect(path) {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => resolve(s));
    s.on('error', reject);
  });
}

/** Everything the server sends until it closes the connection. */
function replyOf(sock) {
  return new Promise((resolve) => {
    const chunks = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});
    sock.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

test('the socket is 0600, beside the database, and answers one line with one reply', async (t) => {
  const srv = await startServer({ config: CONFIG });
  t.after(() => srv.stop());
  const path = join(srv.dir, 'carrier.ctl');
  const st = statSync(path);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  const s = await connect(path);
  const reply = replyOf(s);
  s.write('stats\r\n');
  assert.match(await reply, /^ok\nnodes \d+\ncallers 0\n/);
});

test('1 MB without a line end is refused and closed; callers are served meanwhile', async (t) => {
  const srv = await startServer({ config: CONFIG });
  t.after(() => srv.stop());
  const s = await connect(join(srv.dir, 'carrier.ctl'));
  const reply = replyOf(s);
  s.write(Buffer.alloc(1024 * 1024, 'a'));
  assert.equal(await reply, 'error: the line is too long (at most 4096 bytes)\n');
  await assertServes(srv);
  const r = await ctl(srv.dir, ['stats']);
  assert.equal(r.code, 0, r.stderr);
});

test('a client that never writes is closed after its time; the server serves on', async (t) => {
  const srv = await startServer({ config: CONFIG });
  t.after(() => srv.stop());
  const path = join(srv.dir, 'carrier.ctl');
  const idle = [];
  for (let i = 0; i < 12; i++) idle.push(await connect(path));      // more than 8 at once
  const replies = idle.map(replyOf);
  const started = Date.now();
  await assertServes(srv);
  // Past the limit of 8 at once, the others are told at once.
  const early = await Promise.race([Promise.all(replies.slice(8)), new Promise((r) => setTimeout(r, 2000))]);
  assert.ok(Array.isArray(early), 'the clients past the limit were not answered at once');
  for (const r of early) assert.match(r, /^error: busy/);
  // The 8 that never write are closed when their 5 seconds are up.
  const quiet = await Promise.all(replies.slice(0, 8));
  const waited = Date.now() - started;
  assert.ok(waited >= 4000 && waited < 5000 * SLOW + T, `closed after ${waited} ms`);
  for (const r of quiet) assert.equal(r, '');
  await srv.waitLog(/ event=ctl_timeout actor=ctl:\S+/);
  const r = await ctl(srv.dir, ['who']);
  assert.equal(r.code, 0, r.stderr);
});

test('garbage on the line: control characters, not UTF-8, an empty line', async (t) => {
  const srv = await startServer({ config: CONFIG });
  t.after(() => srv.stop());
  const path = join(srv.dir, 'carrier.ctl');
  for (const [bytes, want] of [
    [Buffer.from('broadcast \x1b[2Jhi\n'), 'error: control characters are not allowed\n'],
    [Buffer.from([0x77, 0x68, 0x6f, 0xff, 0x0a]), 'error: the line is not UTF-8\n'],
    [Buffer.from('\n'), 'error: an empty line: try "help"\n'],
    [Buffer.from('who cares\n'), 'error: usage: who\n'],
  ]) {
    const s = await connect(path);
    const reply = replyOf(s);
    s.write(bytes);
    assert.equal(await reply, want);
  }
  await assertServes(srv);
});

test('a stale socket file from a killed server is replaced; a second server is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let srv = await startServer({ config: CONFIG, dir });
  await srv.stop({ signal: 'SIGKILL', keepDir: true });
  assert.ok(statSync(join(dir, 'carrier.ctl')).isSocket(), 'the killed server left no socket file');
  let r = await ctl(dir, ['who']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^carrier ctl: no server is running \(.*carrier\.ctl: Connection refused\)\n$/);
  srv = await startServer({ config: CONFIG, dir });
  t.after(() => srv.stop({ keepDir: true }));
  assert.match(srv.output(), / event=ctl_stale_socket_replaced /);
  r = await ctl(dir, ['stats']);
  assert.equal(r.code, 0, r.stderr);
  // A second server on the same database.
  await assert.rejects(startServer({ config: CONFIG, dir }),
    /another carrier is running on this control socket/);
  r = await ctl(dir, ['stats']);
  assert.equal(r.code, 0, 'the first server was disturbed');
  await srv.stop({ keepDir: true });
  assert.throws(() => statSync(join(dir, 'carrier.ctl')), /ENOENT/, 'a clean stop left the socket');
  r = await ctl(dir, ['who']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no server is running \(.*No such file or directory\)/);
});

test('a path that is not a socket is never touched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'carrier.ctl'), 'precious');
  await assert.rejects(startServer({ config: CONFIG, dir }), /carrier\.ctl: exists and is not a socket/);
  assert.equal(readFileSync(join(dir, 'carrier.ctl'), 'utf8'), 'precious');
});
