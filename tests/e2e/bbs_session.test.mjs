// A call from start to end: the session token and resuming with it, logging off
// (goodbye screen, token revoked), and the nodes: max_nodes callers at once, the
// next one hears "line busy" and holds nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller } from '../lib/caller.mjs';
import { screenRow } from '../lib/screen.mjs';

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

test('resume with the token after a reconnect: straight to the menu, no password', async () => {
  const a = await call();
  await a.register('Phoenix', 'rises again', 'Ashes');
  const { token } = await a.waitControl('session');
  a.reset();                                 // the tab is closed without a goodbye
  await a.closedPromise;

  const b = await call(srv.wsUrl, { token });
  const text = await b.waitFor('Command');
  assert.match(text, /Welcome back! Your session was resumed\./, 'the notice is on screen');
  assert.match(text, /Node \d+ · Phoenix/);
  assert.ok(!b.raw.toString().includes('Password'), 'asked for a password');
  assert.equal(b.controls.filter((m) => m.type === 'session').length, 0, 'a second token was sent');
  // The resumed session is a real one: the profile says online.
  b.type('U');
  await b.waitFor('Look up which handle?');
  b.type('\r');
  const prof = await b.waitFor('Press any key');
  assert.match(prof, /Handle: Phoenix/);
  assert.match(prof, /Status: online, node \d+/);
  b.type(' ');
  await b.waitFor('Command');

  // A second tab resumes too: the newest wins, the older is told and hung up.
  const c = await call(srv.wsUrl, { token });
  await c.waitFor('Command');
  const closed = await b.waitClosed();
  assert.equal(closed.code, 1000);
  assert.match(await b.text(), /You logged in on another node\. Goodbye!/);
  c.type('G');
  await c.waitClosed();
});

test('logging in on a handle already online: N keeps the old node, Y takes over', async () => {
  const a = await call();
  await a.register('Twin', 'two places', 'Here');
  const b = await call();
  await b.waitFor('Enter your handle');
  b.type('twin\r');
  await b.waitFor('Password');
  b.type('two places\r');
  const node = Number(/You are on node (\d+)/.exec(a.raw.toString())[1]);
  await b.waitFor(`You are already online on node ${node}.`);
  await b.waitFor('Disconnect that node and continue here? (Y/N)');
  b.type('n');
  assert.equal((await b.waitClosed()).code, 1000);
  assert.equal(a.closed, null, 'N hung up the other node');

  const c = await call();
  await c.waitFor('Enter your handle');
  c.type('Twin\r');
  await c.waitFor('Password');
  c.type('two places\r');
  await c.waitFor('(Y/N)');
  c.type('Y');
  await c.waitFor('Command');
  const closed = await a.waitClosed();
  assert.equal(closed.code, 1000);
  assert.match(await a.text(), /You logged in on another node\. Goodbye!/);
  c.type('G');
  await c.waitFor('That was call number 2.');   // the refused call did not count
  await c.waitClosed();
});

test('logoff revokes the token: logout control, and a resume lands at the login prompt', async () => {
  const a = await call();
  await a.register('Mayfly', 'one day only', 'Pond');
  const { token } = await a.waitControl('session');
  a.type('G');
  const closed = await a.waitClosed();
  assert.equal(closed.code, 1000);
  await a.waitControl('logout');
  // The logout comes after the session token.
  assert.deepEqual(a.controls.map((m) => m.type), ['session', 'logout']);

  const b = await call(srv.wsUrl, { token });
  await b.waitControl('logout');              // the page is told to forget it
  await b.waitFor('Enter your handle');
  // The password still works, and a fresh token is issued.  The password prompt
  // answers the handle typed now: anything a resume would have drawn came before.
  b.type('Mayfly\r');
  const text = await b.waitFor(/Password:|Command/);
  assert.ok(!b.raw.toString().includes('Welcome back'), 'resumed with a revoked token');
  assert.doesNotMatch(text, /Command/, `at a menu:\n${text}`);
  // A made-up token is refused the same way.
  const c = await call(srv.wsUrl, { token: 'A'.repeat(43) });
  await c.waitControl('logout');
  await c.waitFor('Enter your handle');
  b.type('one day only\r');
  await b.waitFor('Command');
  const fresh = await b.waitControl('session');
  assert.notEqual(fresh.token, token);
  b.type('G');
  await b.waitClosed();
  await c.close();
});

test('the goodbye screen: minutes on and the call number (the second call is call 2)', async () => {
  const a = await call();
  await a.register('Swallow', 'summer again', 'Barn');
  a.type('G');
  await a.waitClosed();
  let s = await a.screen();
  assert.ok(screenRow(s, 'Thanks for calling Carrier BBS, Swallow!') >= 0, s.text.join('\n'));
  assert.ok(screenRow(s, 'You were on for 0 minutes. That was call number 1.') >= 0, s.text.join('\n'));

  const b = await call();
  await b.login('Swallow', 'summer again');
  b.type('g');                                // hotkeys are case-insensitive
  const closed = await b.waitClosed();
  assert.deepEqual(closed, { code: 1000, reason: 'goodbye' });
  s = await b.screen();
  assert.ok(screenRow(s, 'That was call number 2.') >= 0, s.text.join('\n'));
  // The goodbye art is drawn above the words, in colour.
  const row = screenRow(s, 'Thanks for calling');
  assert.ok(row > 2 && s.fg.slice(0, row).some((r) => /[0-9a-f]/.test(r)), 'no goodbye art');
});

test('line busy at max_nodes = 2: the third caller is turned away with 1013 and holds nothing', async () => {
  const s2 = await startServer({ config: `[bbs]\n${FAST}max_nodes = 2\n` });
  const mine = [];
  const dial = async () => { const c = await Caller.connect(s2.wsUrl); mine.push(c); return c; };
  try {
    const a = await dial();
    const b = await dial();
    assert.match(await a.waitFor('You are on node'), /You are on node 1 of 2\./);
    assert.match(await b.waitFor('You are on node'), /You are on node 2 of 2\./);

    const c = await dial();
    const closed = await c.waitClosed();
    assert.equal(closed.code, 1013);
    const s = await c.screen();
    assert.ok(screenRow(s, 'All lines are busy. Please call again later.') >= 0, s.text.join('\n'));
    assert.ok(screenRow(s, 'Enter your handle') < 0, 'a busy caller was offered a login');
    assert.ok(s.fg.some((r) => /[0-9a-f]/.test(r)), 'no line-busy art in colour');
    assert.deepEqual(c.controls, []);

    // Several more at once: all turned away, none of them keeps a node.
    const more = await Promise.all([dial(), dial(), dial()]);
    for (const m of more) assert.equal((await m.waitClosed()).code, 1013);

    // One of the two hangs up: the next caller gets its node.
    await a.close();
    const d = await dial();
    assert.match(await d.waitFor('You are on node'), /You are on node 1 of 2\./);
    await d.register('Latecomer', 'finally in', 'Queue');
    // And the lines are full again.
    const e = await dial();
    assert.equal((await e.waitClosed()).code, 1013);
    assert.equal(b.closed, null);
    assert.equal(d.closed, null);
    d.type('G');
    await d.waitClosed();
    await b.close();
  } finally {
    for (const c of mine) c.ws.terminate();
    const res = await s2.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
  }
});
