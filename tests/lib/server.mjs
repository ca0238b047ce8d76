// Start a real carrier server for a test: free loopback ports, a temporary
// database, stopped (and checked for a clean exit) at the end.  srv.waitLog(re)
// waits for a line of its log; rssKiB(pid) reads its resident size.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Waitable, T } from './wait.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const buildDir = resolve(process.env.CARRIER_BUILD || join(root, 'build'));
export const carrierBin = resolve(process.env.CARRIER_BIN || join(buildDir, 'carrier'));

/** [bbs] settings that make password hashing cheap, for tests that make accounts. */
export const FAST = 'password_ops = "min"\npassword_mem = "min"\n';

/**
 * @param {object} [opts]
 * @param {string} [opts.config]  TOML text written to a temporary carrier.toml
 * @param {string[]} [opts.args]  extra arguments (e.g. ['--http', '127.0.0.1:PORT'])
 * @param {string} [opts.dir]     reuse this data directory (restart tests)
 * @param {string} [opts.db]      the database (--db): a PostgreSQL URL; default the
 *                                SQLite file carrier.db in the data directory
 * With https or ssh in the config ("127.0.0.1:0"), httpsPort/httpsUrl/wssUrl and
 * sshPort are where they listen (else 0).
 *
 * @returns {Promise<{httpPort:number, telnetPort:number, httpsPort:number, sshPort:number,
 *   metricsPort:number,
 *   url:string, wsUrl:string, httpsUrl:string, wssUrl:string,
 *   dir:string, db:string (its --db), proc:import('node:child_process').ChildProcess, output:()=>string,
 *   waitLog:(re:RegExp, timeout?:number)=>Promise<RegExpExecArray>,
 *   stop:(opts?:{keepDir?:boolean, signal?:string})=>Promise<{code:number|null, signal:string|null, output:string}>}>}
 */
/** What `carrier --db` names for the server whose data directory is dir. */
export function dbOf(dir) {
  return existsSync(join(dir, 'carrier.pg')) ? readFileSync(join(dir, 'carrier.pg'), 'utf8')
    : join(dir, 'carrier.db');
}

/**
 * CARRIER_TEST_PG=URL (a PostgreSQL the caller started, e.g. with tests/lib/pg.sh):
 * every server that names no database of its own gets a fresh database there
 * instead of a SQLite file, so that a suite can be run on PostgreSQL by hand.
 * (Tests about the SQLite file itself, backups, say, then fail.)
 */
let pgDatabases = 0;
async function freshPgDatabase(base) {
  const name = `carrier_t${process.pid}_${++pgDatabases}`;
  await new Promise((resolve, reject) => {
    execFile('psql', [base, '-q', '-c', `CREATE DATABASE ${name}`], (err, _o, stderr) => {
      if (err) reject(new Error(`psql: ${stderr}`)); else resolve();
    });
  });
  return base.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
}

export async function startServer(opts = {}) {
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'carrier-test-'));
  let db = opts.db;
  if (!db && process.env.CARRIER_TEST_PG) {
    if (opts.dir && existsSync(join(dir, 'carrier.pg'))) db = readFileSync(join(dir, 'carrier.pg'), 'utf8');
    else {
      db = await freshPgDatabase(process.env.CARRIER_TEST_PG);
      writeFileSync(join(dir, 'carrier.pg'), db);     /* a restart in dir finds it again */
    }
  }
  const args = ['--db', db || join(dir, 'carrier.db')];
  if (opts.config !== undefined) {
    const path = join(dir, 'carrier.toml');
    writeFileSync(path, opts.config);
    args.push('--config', path);
  }
  const extra = opts.args || [];
  if (!extra.includes('--http')) args.push('--http', '127.0.0.1:0');
  if (!extra.includes('--telnet')) args.push('--telnet', '127.0.0.1:0');
  args.push(...extra);

  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const proc = spawn(carrierBin, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const log = new Waitable();
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  proc.stdout.on('data', (d) => { out += d; log._wake(); });
  proc.stderr.on('data', (d) => {
    out += d;
    log._wake();
    if (process.env.CARRIER_TEST_VERBOSE) process.stderr.write(d);
  });

  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 15000);
    const check = () => {
      if (/ event=ready /.test(out)) { clearTimeout(timer); resolve(true); }
    };
    proc.stderr.on('data', check);
    exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`server exited (${code ?? signal}):\n${out}`)); });
  });
  void ready;
  const http = / event=listen listener=http addr=\S*:(\d+)/.exec(out);
  const telnet = / event=listen listener=telnet addr=\S*:(\d+)/.exec(out);
  const https = / event=listen listener=https addr=\S*:(\d+)/.exec(out);
  const ssh = / event=listen listener=ssh addr=\S*:(\d+)/.exec(out);
  const httpPort = Number(http[1]);
  const telnetPort = telnet ? Number(telnet[1]) : 0;
  const httpsPort = https ? Number(https[1]) : 0;
  const sshPort = ssh ? Number(ssh[1]) : 0;
  const metrics = / event=listen listener=metrics addr=\S*:(\d+)/.exec(out);
  const metricsPort = metrics ? Number(metrics[1]) : 0;

  let stopped = null;
  async function stop({ keepDir = false, signal = 'SIGTERM' } = {}) {
    if (!stopped) {
      stopped = (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
        const killer = setTimeout(() => proc.kill('SIGKILL'), 10000);
        const res = await exited;
        clearTimeout(killer);
        if (!keepDir && !opts.dir) rmSync(dir, { recursive: true, force: true });
        return { ...res, output: out };
      })();
    }
    return stopped;
  }

  return {
    httpPort, telnetPort, httpsPort, sshPort, metricsPort, dir, proc,
    db: db || join(dir, 'carrier.db'),
    url: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}/ws`,
    httpsUrl: `https://127.0.0.1:${httpsPort}`,
    wssUrl: `wss://127.0.0.1:${httpsPort}/ws`,
    output: () => out,
    /** Wait until the server's output (from offset `from`) matches re. */
    waitLog: (re, timeout = T, from = 0) =>
      log.until(() => re.exec(out.slice(from)) ?? undefined, timeout,
        () => `${re} in the server's log:\n${out.slice(-2000)}`),
    stop,
  };
}

/** Resident set size of a process in KiB (Linux). */
export function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// Modules installed by `npm ci` in web/ (ws, playwright-core), for tests outside web/.
import { createRequire } from 'node:module';
export const webRequire = createRequire(join(root, 'web', 'package.json'));
