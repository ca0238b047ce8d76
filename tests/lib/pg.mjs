// A PostgreSQL of the tests' own (tests/lib/pg.sh: Debian's postgresql-15, initdb
// and pg_ctl in a temporary directory on a free loopback port, run as the
// postgres user when the tests run as root).
//
//   if (await havePostgres()) {
//     const pg = await startPostgres();   // pg.url: postgresql://carrier@127.0.0.1:P/carrier
//     await pg.kill(); await pg.restart(); // the same port and data
//     await pg.stop();                     // and its directory removed
//   }
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'pg.sh');

function run(...args) {
  return new Promise((resolve, reject) => {
    execFile(script, args, { timeout: 120000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pg.sh ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** Are initdb and pg_ctl installed?  (scripts/deps.sh check installs postgresql-15.) */
export function havePostgres() {
  return new Promise((resolve) => execFile(script, ['available'], (err) => resolve(!err)));
}

export async function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-pg-'));
  const url = await run('start', dir);
  return {
    url,
    dir,
    /** Stop it at once (an immediate shutdown: what a crash looks like to clients). */
    kill: () => run('kill', dir),
    /** Start it again, on the same port, with its data. */
    restart: () => run('restart', dir),
    stop: () => run('stop', dir),
  };
}
