// Logging in when it goes wrong: a wrong password and an unknown handle get the
// same answer after the same pause; failures lock a handle out as configured (the
// right password is refused too); three failures in one call hang up; a prompt
// left idle disconnects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Caller, handleRow } from '../lib/caller.mjs';
import { SLOW, T } from '../lib/wait.mjs';

const CONFIG = `[bbs]
password_ops = "min"
password_mem = "min"
max_login_failures = 2
lockout_minutes = 1
`;

let srv;
const open = [];
before(async () => {
  srv = await startServer({ config: CONFIG });
  // The accounts these tests log in as, made the way a caller makes them.
  for (const [h, loc] of [['Wren', 'Cork'], ['Lockie', 'Bern'], ['Steady', 'Riga']]) {
    const c = await call();
    await c.register(h, `${h.toLowerCase()} password`, loc);
    c.type('G');
    await c.waitClosed();
  }
});
after(async () => {
  for (const c of open) c.ws.terminate();
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

async function call(url = srv.wsUrl) {
  const c = await Caller.connect(url);
  open.push(c);
  return c;
}

/** How many times the byte stream has said text. */
function times(c, text) {
  return c.raw.toString('utf8').split(text).length - 1;
}

/** Wait until the cursor row matches re; returns the screen. */
function waitCursorRow(c, re) {
  return c.waitScreen((s) => re.test(s.text[s.cursor[0]]), T, `the cursor row to match ${re}`);
}

/** Wait for the handle prompt that follows a "Login incorrect." */
function waitRetryPrompt(c) {
  return c.waitScreen((s) => {
    const [row] = s.cursor;
    return handleRow().test(s.text[row]) && s.text[row - 1] === 'Login incorrect.';
  }, T, 'a handle prompt after "Login incorrect."');
}

/**
 * One failed attempt from the handle prompt: type handle and password, wait for
 * "Login incorrect.".  Returns the three rows handle/password/message and when.
 */
async function failOnce(c, handle, password) {
  await waitCursorRow(c, handleRow());
  const before = times(c, 'Login incorrect.');
  c.type(`${handle}\r`);
  await waitCursorRow(c, /^Password:/);
  c.type(`${password}\r`);
  await c.waitForBytes(() => times(c, 'Login incorrect.') > before);
  const at = Date.now();
  const s = await c.screen();
  let msg = s.text.length - 1;
  while (msg >= 0 && s.text[msg] !== 'Login incorrect.') msg--;
  return { rows: s.text.slice(msg - 2, msg + 1), at };
}

test('a wrong password and an unknown handle get the same message, then the handle prompt after a pause', async () => {
  const c = await call();
  await c.waitFor('Enter your handle');
  const wrong = await failOnce(c, 'Wren', 'not the password');
  await waitRetryPrompt(c);
  const pause1 = Date.now() - wrong.at;
  const unknown = await failOnce(c, 'Nobody Here', 'not the password');
  await waitRetryPrompt(c);
  const pause2 = Date.now() - unknown.at;

  // Same shape: the handle, a hidden password (stars of the same count), one message.
  const shape = (rows, handle) => rows.map((r) => r.replace(handle, 'HANDLE'));
  assert.deepEqual(shape(unknown.rows, 'Nobody Here'), shape(wrong.rows, 'Wren'));
  assert.deepEqual(wrong.rows, ['Enter your handle (or NEW): Wren', 'Password: ' + '*'.repeat(16),
    'Login incorrect.']);
  assert.ok(!c.raw.includes('not the password'), 'the password was echoed');
  // The retry is slowed: 1.5 s, give or take the server's one-second tick (and
  // later on a loaded machine).
  for (const p of [pause1, pause2]) assert.ok(p >= 1000 && p < 1500 + 2500 * SLOW, `pause ${p} ms`);
  // Still on the line: the right password works in the same call.
  await c.login('Wren', 'wren password');
  c.type('G');
  assert.equal((await c.waitClosed()).code, 1000);
});

test('three failures in one call hang up', async () => {
  const c = await call();
  await c.waitFor('Enter your handle');
  await failOnce(c, 'Ghost One', 'whatever one');
  await failOnce(c, 'Ghost Two', 'whatever two');
  await failOnce(c, 'Wren', 'whatever three');
  const closed = await c.waitClosed();
  assert.equal(closed.code, 1000);
  const text = await c.text();
  assert.ok(text.includes('Too many failed attempts. Goodbye.'), text);
  assert.ok(!/Enter your handle \(or NEW\):\s*$/.test(text), 'asked for a handle again');
});

test('lockout after max_login_failures: the right password is refused too, others are not', async () => {
  const a = await call();
  await a.waitFor('Enter your handle');
  await failOnce(a, 'Lockie', 'guess one');
  await failOnce(a, 'Lockie', 'guess two');           // the second failure locks
  await a.close();
  assert.match(srv.output(), / event=lockout handle=Lockie failures=2 /);

  const b = await call();
  await b.waitFor('Enter your handle');
  const locked = await failOnce(b, 'Lockie', 'lockie password');
  assert.deepEqual(locked.rows.slice(-1), ['Login incorrect.']);
  const s = await b.screen();
  assert.ok(!s.text.some((r) => /\block(ed|out)?\b/i.test(r)), 'the caller is told about the lock (a hint that the handle exists)');
  // Another handle on the same call is not affected.
  await waitRetryPrompt(b);
  await b.login('Steady', 'steady password');
  b.type('G');
  await b.waitClosed();
});

test('a failure then a success resets the count: failures must be in a row', async () => {
  for (let i = 0; i < 2; i++) {
    const c = await call();
    await c.waitFor('Enter your handle');
    const f = await failOnce(c, 'Steady', 'a wrong guess');
    await waitRetryPrompt(c);
    assert.ok(f.rows.length === 3);
    await c.login('Steady', 'steady password');
    c.type('G');
    await c.waitClosed();
  }
});

test('prompts left idle disconnect: login, registration and (idle_timeout) the menu', async () => {
  const s2 = await startServer({ config: `[bbs]
password_ops = "min"
password_mem = "min"
login_timeout = 5
idle_timeout = 6
` });
  try {
    // Each t* is taken before the last thing the server hears from that caller
    // (the connection, a line typed), so no timer of the server starts before it.
    const t0 = Date.now();
    const idleLogin = await Caller.connect(s2.wsUrl);
    const idleReg = await Caller.connect(s2.wsUrl);
    const idleMenu = await Caller.connect(s2.wsUrl);
    const busy = await Caller.connect(s2.wsUrl);
    open.push(idleLogin, idleReg, idleMenu, busy);
    await idleLogin.waitFor('Enter your handle');
    await idleReg.waitFor('Enter your handle');
    idleReg.type('NEW\r');
    await idleReg.waitFor('Choose a handle');
    const tReg = Date.now();
    idleReg.type('Slowpoke\r');
    await idleReg.waitFor('Choose a password');
    await idleMenu.register('Idler', 'idle password', 'Sofa');
    const tMenu = Date.now();
    idleMenu.type('\r');                       // Enter redraws the menu
    // A caller who keeps typing at the menu (Enter redraws it) stays on.
    await busy.register('Busy Bee', 'busy password', 'Hive');
    const keepTyping = setInterval(() => busy.type('\r'), 1000);
    try {
      const when = (c) => c.closedPromise.then(() => Date.now());
      const times = Promise.all([when(idleLogin), when(idleReg), when(idleMenu)]);
      const [l, r, m] = await Promise.all([
        idleLogin.waitClosed(5000 + T), idleReg.waitClosed(5000 + T), idleMenu.waitClosed(6000 + T)]);
      const [tl, tr, tm] = await times;
      for (const [name, c, closed] of [['login', idleLogin, l], ['registration', idleReg, r], ['menu', idleMenu, m]]) {
        assert.equal(closed.code, 1000, `${name}: close code`);
        const text = await c.text();
        assert.match(text, /No input for \d+ seconds: disconnecting\./, `${name}: no message:\n${text}`);
      }
      assert.ok((await idleLogin.text()).includes('No input for 5 seconds'));
      assert.ok((await idleMenu.text()).includes('No input for 6 seconds'));
      // Not before their time (the server looks once a second), not much after (more
      // on a loaded machine).
      const late = 3000 * SLOW;
      assert.ok(tl - t0 >= 4500 && tl - t0 < 5000 + late, `login prompt timed out after ${tl - t0} ms`);
      assert.ok(tr - tReg >= 4500 && tr - tReg < 5000 + late, `registration timed out after ${tr - tReg} ms`);
      assert.ok(tm - tMenu >= 5500 && tm - tMenu < 6000 + late, `menu timed out after ${tm - tMenu} ms`);
      assert.equal(busy.closed, null, 'a caller who types was disconnected');
    } finally {
      clearInterval(keepTyping);
    }
    busy.type('G');
    await busy.waitClosed();
  } finally {
    const res = await s2.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
  }
});
