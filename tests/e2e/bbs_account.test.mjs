// Accounts made through the BBS itself: registration and its rules, logging in
// again on a new connection, a caller who drops half way, and durability of a new
// account when the server is killed with SIGKILL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, carrierBin, dbOf, FAST } from '../lib/server.mjs';
import { Caller } from '../lib/caller.mjs';
import { screenRow, plain } from '../lib/screen.mjs';
import { T } from '../lib/wait.mjs';

const run = promisify(execFile);

let srv;
const open = [];
before(async () => { srv = await startServer({ config: `[bbs]\n${FAST}` }); });
after(async () => {
  for (const c of open) c.ws.terminate();
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

async function call(url = srv.wsUrl, opts) {
  const c = await Caller.connect(url, opts);
  open.push(c);
  return c;
}

/** The handles `carrier user list` prints for a database (first column). */
async function listedHandles(dir) {
  const { stdout } = await run(carrierBin, ['--db', dbOf(dir), 'user', 'list'],
    { timeout: 20000 });
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  assert.match(lines[0], /HANDLE/, `no header in:\n${stdout}`);
  const at = lines[0].indexOf('HANDLE');
  return lines.slice(1).map((l) => l.slice(at, at + 20).trim());
}

/** Start registration: NEW at the handle prompt, then wait for the handle question. */
async function startRegistration(c) {
  await c.waitFor('Enter your handle');
  c.type('NEW\r');
  await c.waitFor('Choose a handle');
}

/** Everything received as text, escape sequences removed (what scrolled or was cleared too). */
const said = (c) => plain(c.raw);

/** The cursor waits at the end of a prompt row that matches re. */
function assertPrompt(s, re, what) {
  const row = s.text[s.cursor[0]];
  assert.match(row, re, `${what}: the cursor row is ${JSON.stringify(row)}`);
  assert.equal(s.cursor[1], row.length + 1, `${what}: the cursor is not after the prompt`);
}

/** Count of rows on screen s containing needle. */
const rowsWith = (s, needle) => s.text.filter((r) => r.includes(needle)).length;

test('register, log off, log in again on a new connection', async () => {
  const a = await call();
  await startRegistration(a);
  a.type('Marigold\r');
  await a.waitFor('Choose a password');
  a.type('sunflower seeds\r');
  await a.waitFor('Type the password again');
  // The password is hidden: stars on screen, never the text itself.
  let s = await a.screen();
  const row = screenRow(s, 'Choose a password');
  assert.ok(s.text[row].endsWith(': ' + '*'.repeat('sunflower seeds'.length)),
    `password row: ${JSON.stringify(s.text[row])}`);
  a.type('sunflower seeds\r');
  await a.waitFor('Where are you calling from');
  a.type('Ghent\r');
  await a.waitFor('Command');
  assert.ok(!a.raw.includes('sunflower'), 'the password was echoed');
  const sess = await a.waitControl('session');
  assert.match(sess.token, /^[A-Za-z0-9_-]{43}$/, 'a 32-byte token in base64url');
  assert.ok(sess.expires > Date.now() / 1000 + 86400, 'the token lasts more than a day');
  s = await a.screen();
  assert.ok(screenRow(s, /Node \d+ · Marigold/) >= 0, `no handle under the menu:\n${s.text.join('\n')}`);
  a.type('G');
  assert.equal((await a.waitClosed()).code, 1000);

  const b = await call();
  await b.waitFor('Enter your handle');
  b.type('marigold\r');              // handles are found without regard to case
  await b.waitFor('Password');
  b.type('sunflower seeds\r');
  const text = await b.waitFor('Command');
  assert.match(text, /Welcome, Marigold!|Node \d+ · Marigold/);
  assert.ok(!text.includes('Login incorrect'));
  b.type('G');
  await b.waitClosed();
  assert.ok((await listedHandles(srv.dir)).includes('Marigold'));
});

test('handle rules: too short, bad characters, reserved, taken (any case), too long is cut', async () => {
  const a = await call();
  await a.register('Tamsin', 'correct horse', 'Leeds');
  a.type('G');
  await a.waitClosed();

  const c = await call();
  await startRegistration(c);
  const tries = [
    ['ab', 'at least 3 characters'],
    ['bad!name', 'Use only letters, digits, spaces, _ and -'],
    ['SysOp', 'That name is reserved'],
    ['sys op', 'That name is reserved'],
    ['Guest', 'That name is reserved'],
    ['NEW', 'That name is reserved'],
    ['tAMSIN', 'That handle is taken'],
    ['two  spaces', 'two spaces in a row'],
  ];
  for (const [handle, why] of tries) {
    const before = rowsWith(await c.screen(), why);
    c.type(`${handle}\r`);
    // The reason appears once more, and the handle is asked for again.
    const s = await c.waitScreen((sc) => rowsWith(sc, why) > before && /Choose a handle:$/.test(sc.text[sc.cursor[0]]),
      T, `"${why}" once more for ${JSON.stringify(handle)}, and the question again`);
    assertPrompt(s, /Choose a handle:$/, `after ${handle}`);
    assert.ok(!s.text.join('\n').includes('Choose a password'), `${handle} was accepted`);
  }
  // The editor bounds the handle at 20 characters: what is typed past it is dropped.
  c.type('Abcdefghijklmnopqrstuvwxyz\r');
  await c.waitFor('Choose a password');
  c.type('long enough\r');
  await c.waitFor('Type the password again');
  c.type('long enough\r');
  await c.waitFor('Where are you calling from');
  c.type('\r');
  await c.waitFor('Command');
  assert.ok(said(c).includes('Welcome aboard, Abcdefghijklmnopqrst!'), said(c).slice(-500));
  c.type('G');
  await c.waitClosed();
  const handles = await listedHandles(srv.dir);
  assert.ok(handles.includes('Abcdefghijklmnopqrst'), `handles: ${handles}`);
  for (const bad of ['ab', 'bad!name', 'SysOp', 'sys op', 'Guest', 'tAMSIN']) {
    assert.ok(!handles.includes(bad), `${bad} was saved`);
  }
});

test('control characters never reach an account: stripped from handle and location', async () => {
  const c = await call();
  await startRegistration(c);
  c.type('Ed\x07d\x1b[31my\x00\r');
  await c.waitFor('Choose a password');
  c.type('control freak\r');
  await c.waitFor('Type the password again');
  c.type('control freak\r');
  await c.waitFor('Where are you calling from');
  c.type('Gh\x1b]0;title\x07ent\x7f\x7ft\r');     // an OSC sequence, then two Backspaces
  await c.waitFor('Command');
  const { stdout } = await run(carrierBin, ['--db', srv.db, 'user', 'list'],
    { timeout: 20000 });
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(stdout), `a control character was saved:\n${JSON.stringify(stdout)}`);
  const row = stdout.split('\n').find((l) => / Eddy /.test(l));
  assert.ok(row, `no Eddy in:\n${stdout}`);
  c.type('G');
  await c.waitClosed();
  // Whatever the location became, it is printable and the account logs in.
  const d = await call();
  await d.login('eddy', 'control freak');
  d.type('G');
  await d.waitClosed();
});

test('password too short, passwords that differ: asked again, nothing saved', async () => {
  const c = await call();
  await startRegistration(c);
  c.type('Quentin\r');
  await c.waitFor('Choose a password');
  c.type('short\r');
  await c.waitFor('A password needs at least 8 characters.');
  let s = await c.screen();
  assertPrompt(s, /Choose a password \(8 or more characters\):$/, 'asked again');
  c.type('first password\r');
  await c.waitFor('Type the password again');
  c.type('second password\r');
  await c.waitFor('The passwords differ. Once more.');
  s = await c.screen();
  assertPrompt(s, /Choose a password \(8 or more characters\):$/, 'asked again');
  assert.ok(!s.text.join('\n').includes('Where are you calling from'));
  assert.ok(!(await listedHandles(srv.dir)).includes('Quentin'));
  // The second pair matches: the account is made with that password.
  c.type('third password\r');
  await c.waitFor('Type the password again');
  c.type('third password\r');
  await c.waitFor('Where are you calling from');
  c.type('\r');
  await c.waitFor('Command');
  assert.ok(said(c).includes('Welcome aboard, Quentin!'));
  c.type('G');
  await c.waitClosed();

  const d = await call();
  await d.waitFor('Enter your handle');
  d.type('Quentin\r');
  await d.waitFor('Password');
  d.type('first password\r');
  await d.waitFor('Login incorrect.');
  await d.login('Quentin', 'third password');
  d.type('G');
  await d.waitClosed();
});

test('a caller who drops half way through registration leaves no account', async () => {
  // Drop at each step: after the handle, after the first password, at the location.
  const steps = [
    ['Halfway One', 'Choose a password'],
    ['Halfway Two', 'Type the password again'],
    ['Halfway Three', 'Where are you calling from'],
  ];
  for (const [handle, dropAt] of steps) {
    const c = await call();
    await startRegistration(c);
    c.type(`${handle}\r`);
    await c.waitFor('Choose a password');
    if (dropAt !== 'Choose a password') {
      c.type('halfway password\r');
      await c.waitFor('Type the password again');
    }
    if (dropAt === 'Where are you calling from') {
      c.type('halfway password\r');
      await c.waitFor('Where are you calling from');
    }
    await c.reset();
  }
  // Let the server notice the resets before reading the database.
  const probe = await call();
  await probe.waitFor('Enter your handle');
  const handles = await listedHandles(srv.dir);
  for (const [handle] of steps) assert.ok(!handles.includes(handle), `${handle} was saved`);
  // And the same handle can be registered afterwards.
  await probe.register('Halfway Three', 'another password', 'Oslo');
  assert.ok(said(probe).includes('Welcome aboard, Halfway Three!'));
  probe.type('G');
  await probe.waitClosed();
});

test('a caller who drops while the account is being created: all or nothing', async () => {
  const c = await call();
  await startRegistration(c);
  c.type('Racer\r');
  await c.waitFor('Choose a password');
  c.type('racing password\r');
  await c.waitFor('Type the password again');
  c.type('racing password\r');
  await c.waitFor('Where are you calling from');
  c.type('Nowhere\r');
  await c.reset();                  // while the hash is (probably) being computed

  const d = await call();
  await d.waitFor('Enter your handle');
  const saved = (await listedHandles(srv.dir)).includes('Racer');
  if (saved) {
    // Saved whole: the password works.
    await d.login('Racer', 'racing password');
  } else {
    await d.register('Racer', 'racing password', 'Somewhere');
  }
  d.type('G');
  await d.waitClosed();
});

test('an account made through the BBS (default Argon2id cost) survives SIGKILL', async () => {
  const s1 = await startServer({ config: '' });   // embedded defaults: the real cost
  const dir = s1.dir;
  let s2;
  try {
    const c = await Caller.connect(s1.wsUrl);
    open.push(c);
    await c.register('Durable', 'kill dash nine', 'Disk');
    assert.ok(said(c).includes('Welcome aboard, Durable!'));
    s1.proc.kill('SIGKILL');
    const r1 = await s1.stop({ keepDir: true });
    assert.equal(r1.signal, 'SIGKILL');

    s2 = await startServer({ dir, config: '' });
    const d = await Caller.connect(s2.wsUrl);
    open.push(d);
    await d.waitFor('Enter your handle');
    d.type('Durable\r');
    await d.waitFor('Password');
    d.type('wrong password\r');
    await d.waitFor('Login incorrect.', 2 * T);   // the real cost of a hash
    await d.login('Durable', 'kill dash nine');
    d.type('L');
    const text = await d.waitFor('Press any key');
    assert.match(text, /Durable\s+Disk/);
    d.type('\r');
    await d.waitFor('Command');
    d.type('G');
    await d.waitFor('That was call number 2.');
    await d.waitClosed();
    const r2 = await s2.stop({ keepDir: true });
    assert.equal(r2.code, 0, `restarted server exit ${r2.code ?? r2.signal}:\n${r2.output.slice(-4000)}`);
  } finally {
    await s1.stop({ keepDir: true, signal: 'SIGKILL' });
    if (s2) await s2.stop({ keepDir: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
