// The cluster's tests: a real redis-server of their own (Debian's, on a free
// loopback port, no persistence), and several carrier nodes on it sharing one
// database (a PostgreSQL of the tests' own, tests/lib/pg.mjs, or one SQLite file
// in their shared data directory) and a data directory (a control socket each).
//
//   const redis = await startRedis();            // redis.port, redis.publish(), redis.stop()
//   const nodes = await startNodes(redis, ['a', 'b', 'c']);   // nodes.a.wsUrl ...
//   await redis.restart();                       // the same port, empty
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, FAST } from './server.mjs';
import { Waitable, T } from './wait.mjs';

/** A free TCP port on 127.0.0.1 (bound and let go). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Is redis-server installed?  (scripts/deps.sh installs it for make check.) */
export function haveRedis() {
  return new Promise((resolve) => {
    execFile('redis-server', ['--version'], (err) => resolve(!err));
  });
}

/**
 * redis-server --port P --bind 127.0.0.1 --save '' --appendonly no, with
 * requirepass if password is given.  Waits until it accepts connections.
 */
export async function startRedis({ password = '' } = {}) {
  const port = await freePort();
  let proc = null;
  let out = '';
  const log = new Waitable();

  async function launch() {
    out = '';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--daemonize', 'no'];
    if (password) args.push('--requirepass', password);
    proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    proc.exited = exited;
    proc.stdout.on('data', (d) => { out += d; log._wake(); });
    proc.stderr.on('data', (d) => { out += d; log._wake(); });
    await log.until(() => /Ready to accept connections/.test(out) || undefined, T,
      () => `redis-server ready:\n${out}`);
  }

  async function halt(signal = 'SIGTERM') {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      await proc.exited;
    }
  }

  /** redis-cli with these arguments (no shell); resolves with its output. */
  function cli(...args) {
    const base = ['-h', '127.0.0.1', '-p', String(port)];
    if (password) base.push('--no-auth-warning', '-a', password);
    return new Promise((resolve, reject) => {
      execFile('redis-cli', [...base, ...args], { maxBuffer: 1 << 24 }, (err, stdout) => {
        if (err) reject(err); else resolve(stdout);
      });
    });
  }

  await launch();
  return {
    port,
    url: `127.0.0.1:${port}`,
    output: () => out,
    cli,
    /** PUBLISH channel payload (a Buffer or string, sent as it is). */
    publish: (channel, payload) => cli('PUBLISH', channel, payload),
    /** Kill it (the nodes lose the bus); then start it again on the same port. */
    kill: () => halt('SIGKILL'),
    start: launch,
    stop: () => halt('SIGTERM'),
  };
}

/**
 * Carrier nodes on one Redis, sharing one data directory (so one database: a
 * caller registered on one node logs in on another).  names: ['a', 'b', 'c'];
 * node N is called node-N.  extra: TOML added to every node's config.
 * Returns { a: srv, b: srv, ..., dir, stopAll() }.
 */
export async function startNodes(redis, names, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-cluster-'));
  const nodes = { dir };
  for (const name of names) {
    nodes[name] = await startNode(redis, dir, name, opts);
  }
  nodes.stopAll = async () => {
    const results = {};
    for (const name of names) {
      if (nodes[name]) results[name] = await nodes[name].stop({ keepDir: true });
    }
    rmSync(dir, { recursive: true, force: true });
    return results;
  };
  return nodes;
}

/**
 * A node's carrier.toml.  extra: TOML after [cluster]'s keys; bbs, server: keys
 * added to [bbs] and [server]; redisUrl: another bus than redis's.
 */
export function nodeConfig(redis, dir, name,
  { extra = '', bbs = '', server = '', lostAfter = 4, password = '', node = `node-${name}`, redisUrl = redis.url } = {}) {
  return `[bbs]
${FAST}${bbs}
[chat]
flood_rate = 1000
flood_burst = 1000

[server]
control_socket = "${join(dir, `node-${name}.ctl`)}"
${server}
[cluster]
redis = "${redisUrl}"
node = "${node}"
lost_after = ${lostAfter}
${password ? `password = "${password}"\n` : ''}${extra}`;
}

/**
 * One node (again, after a kill: the same name and data directory).  opts.db: a
 * PostgreSQL URL the nodes share (else the SQLite file in dir).
 */
export async function startNode(redis, dir, name, opts = {}) {
  const srv = await startServer({ config: nodeConfig(redis, dir, name, opts), dir, db: opts.db });
  await srv.waitLog(/event=cluster_up node=/);
  return srv;
}

export { T };
