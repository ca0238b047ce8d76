// Backups end to end: `carrier backup FILE` while the server runs and callers keep
// registering gives a database that opens and holds every account acknowledged
// before the backup started; `carrier restore FILE` refuses while the server runs,
// and once it is stopped puts the backup back (a restore is a stop, a copy, a start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, FAST, carrierBin } from '../lib/server.mjs';
import { Caller } from '../lib/caller.mjs';
import { SLOW } from '../lib/wait.mjs';

const run = promisify(execFile);

/** carrier with args; resolves { code, stdout, stderr } whatever the exit. */
async function carrier(...args) {
  try {
    const { stdout, stderr } = await run(carrierBin, args, { timeout: 60000 * SLOW });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e.code === undefined || typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The handles `carrier user list` finds in the database at db. */
async function handles(db) {
  const r = await carrier('--db', db, 'user', 'list');
  assert.equal(r.code, 0, r.stderr);
  return new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => /^Storm\d+$/.test(w[1] ?? '') || /^Storm\d+$/.test(w[0] ?? ''))
    .map((w) => (/^Storm\d+$/.test(w[0]) ? w[0] : w[1])));
}

test('a backup during a registration storm holds every account acknowledged before it', async () => {
  const srv = await startServer({ config: `[bbs]\n${FAST}max_nodes = 100\n` });
  const db = join(srv.dir, 'carrier.db');
  const out = join(srv.dir, 'backup.db');
  const acked = [];              // handles whose registration reached the menu
  let next = 0, stop = false;
  const workers = [];
  async function worker() {
    while (!stop) {
      const handle = `Storm${++next}`;
      const c = await Caller.connect(srv.wsUrl, { cols: 100, rows: 40 });
      try {
        await c.register(handle);
        acked.push(handle);
      } finally {
        c.terminate();
      }
    }
  }
  try {
    for (let i = 0; i < 6; i++) workers.push(worker());
    // Let the storm get going, then back up in the middle of it.
    while (acked.length < 20) await new Promise((r) => setTimeout(r, 20));
    const before = [...acked];
    const during = acked.length;
    const r = await carrier('--db', db, 'backup', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /backup\.db: backup of .*carrier\.db: \d+ users, schema \d+, \d+ pages, quick_check ok/);
    // The storm goes on after it (and went on while it ran).
    while (acked.length < during + 10) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.all(workers);
    // The copy opens, and every account acknowledged before the backup is in it.
    const inCopy = await handles(out);
    const missing = before.filter((h) => !inCopy.has(h));
    assert.deepEqual(missing, [], `acknowledged before the backup, missing from it: ${missing}`);
    assert.ok(inCopy.size >= before.length);
    // It is one file: no WAL beside it.
    assert.ok(!existsSync(`${out}-wal`));
    // The live database has them all, of course.
    const live = await handles(db);
    for (const h of acked) assert.ok(live.has(h), h);

    // Restore refuses while the server runs.
    const refused = await carrier('--db', db, 'restore', out);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the server is running \(stop it first\)/);
  } finally {
    stop = true;
    await Promise.allSettled(workers);
    const res = await srv.stop({ keepDir: true });
    assert.equal(res.code, 0, res.output.slice(-3000));
  }

  // Stopped: the restore puts the backup back; the accounts made after it are gone,
  // those before it are there, and the server starts on it.
  const r = await carrier('--db', db, 'restore', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /carrier\.db: restored from .*backup\.db: \d+ users/);
  const restored = await handles(db);
  assert.deepEqual([...restored].sort(), [...(await handles(out))].sort());
  const again = await startServer({ config: `[bbs]\n${FAST}`, dir: srv.dir });
  try {
    const c = await Caller.connect(again.wsUrl);
    await c.login('Storm1');
    c.terminate();
  } finally {
    const res = await again.stop();
    assert.equal(res.code, 0, res.output.slice(-3000));
  }
});

test('backup and restore refuse what they cannot do, saying why', async () => {
  const srv = await startServer({ config: `[bbs]\n${FAST}` });
  try {
    const db = join(srv.dir, 'carrier.db');
    let r = await carrier('--db', join(srv.dir, 'absent.db'), 'backup', join(srv.dir, 'x.db'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^carrier backup: .*absent\.db: No such file or directory/);
    r = await carrier('--db', db, 'backup', join(srv.dir, 'no', 'such', 'dir.db'));
    assert.equal(r.code, 1);
    r = await carrier('--db', join(srv.dir, 'other.db'), 'restore', join(srv.dir, 'carrier.toml'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^carrier restore: .*carrier\.toml: /);
    r = await carrier('--db', db, 'backup');
    assert.equal(r.code, 2);
  } finally {
    const res = await srv.stop();
    assert.equal(res.code, 0, res.output.slice(-3000));
  }
});
