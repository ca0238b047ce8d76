// The charset question and the charset remembered in the account, end to end over
// telnet (issue 5).  A terminal type that does not tell (vt100, or none) is asked
// once at connect; the answer picks the bytes at once.  After login, a caller who
// was asked gets the choice stored in the account (remember_charset in
// src/bbs/session.c: the stored choice wins over the answer of this call; a
// terminal type that tells wins over the stored choice and is stored in turn).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { TelnetCaller } from '../lib/telnet.mjs';
import { count, isUtf8 } from '../lib/screen.mjs';

const CONFIG = `[bbs]
password_ops = "min"
password_mem = "min"
`;
const SIZE = { cols: 100, rows: 40 };
const BOX_UTF8 = Buffer.from('╔═', 'utf8');
const BOX_CP437 = Buffer.from([0xc9, 0xcd]);
const QUESTION = 'Which box looks right?';

/** Assert buf carries box drawing as cs only ('utf8' or 'cp437'). */
function assertBoxes(buf, cs, what) {
  if (cs === 'utf8') {
    assert.ok(buf.includes(BOX_UTF8), `${what}: no UTF-8 ╔═ (E2 95 94 E2 95 90)`);
    assert.ok(!buf.includes(BOX_CP437), `${what}: CP437 ╔═ (C9 CD) among UTF-8`);
    assert.ok(isUtf8(buf), `${what}: not valid UTF-8`);
  } else {
    assert.ok(buf.includes(BOX_CP437), `${what}: no CP437 ╔═ (C9 CD)`);
    assert.ok(!buf.includes(BOX_UTF8), `${what}: UTF-8 ╔═ among CP437`);
  }
}

/** Connect a caller whose terminal type does not tell; wait for the question. */
async function askedCaller(ttype) {
  const c = await TelnetCaller.connect(srv.telnetPort, { ttype, ...SIZE });
  await c.waitForBytes((raw) => raw.includes(Buffer.from(QUESTION)));
  return c;
}

/** Answer the question with key; the bytes from here on are decoded as cs. */
async function answer(c, key, cs) {
  c.setCharset(cs);
  const from = c.termLen;
  c.type(`${key}\r\n`);
  await c.waitText(from, 'Enter your handle');
  return from;
}

/** Log in by hand; returns the raw offset from which the session's charset applies. */
async function login(c, handle) {
  await c.waitFor('Enter your handle');
  c.type(`${handle}\r\n`);
  await c.waitFor('Password');
  c.type(`${PASSWORD}\r\n`);
  return c.termLen;
}

let srv;
before(async () => { srv = await startServer({ config: CONFIG }); });
after(async () => {
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
});

test('vt100 is asked once; "2" gives CP437 bytes from the welcome on', async () => {
  const v = await askedCaller('vt100');
  try {
    // The question shows the same box both ways, in the bytes of each charset.
    assert.ok(v.raw.includes(Buffer.from('1) ┌─┐')), 'the UTF-8 box');
    assert.ok(v.raw.includes(Buffer.from([0x32, 0x29, 0x20, 0xda, 0xc4, 0xbf])), 'the CP437 box');
    const from = await answer(v, '2', 'cp437');
    await v.waitFor('Enter your handle');
    assertBoxes(v.raw.subarray(from), 'cp437', 'welcome after "2"');
    await v.register('Vic', PASSWORD);
    assertBoxes(v.raw.subarray(from), 'cp437', 'welcome and menu after "2"');
    assert.equal(count(v.raw, QUESTION), 1, 'asked more than once');
    assert.match(await v.text(), /╔═+╗/);
  } finally {
    await v.close();
  }
});

test('no terminal type: answering "1" gives UTF-8 until login, then the stored CP437 applies', async () => {
  const v = await askedCaller(null);
  try {
    const from = await answer(v, '1', 'utf8');
    await v.waitFor('Enter your handle');
    const welcome = v.raw.subarray(from);
    assertBoxes(welcome, 'utf8', 'welcome after "1"');
    const at = await login(v, 'Vic');
    v.setCharset('cp437', at);           // from the password line on
    await v.waitFor('Command');
    assertBoxes(v.raw.subarray(at), 'cp437', 'the menu after login');
    assert.match(await v.text(), /^╔═+╗$/m);
    // Input is converted from CP437 too: 0x82 typed in the room is é for a browser.
    const w = await Caller.connect(srv.wsUrl, SIZE);
    try {
      await w.register('Webby', PASSWORD);
      w.type('C');
      await w.waitFor('Welcome to Teleconference');
      const fv = v.termLen;
      v.type('C');
      await v.waitText(fv, '> ');
      w.mark();
      v.mark();
      v.type('déjà vu ░\r\n');
      await w.waitFor('Vic: déjà vu ░');
      assert.ok(w.sinceMark().includes(Buffer.from('déjà vu ░', 'utf8')));
      await v.waitText(v.marked, 'Vic: déjà vu ░');
      assert.ok(v.sinceMark().includes(Buffer.from([0x64, 0x82, 0x6a, 0x85, 0x20, 0x76, 0x75, 0x20, 0xb0])),
        `the CP437 caller's own line: ${v.sinceMark().toString('hex')}`);
    } finally {
      w.ws.terminate();
    }
  } finally {
    await v.close();
  }
});

test('a terminal type that tells wins over the stored choice and is stored in turn', async () => {
  // xterm: UTF-8 through login, although Vic's account says CP437.
  const x = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
  try {
    await x.waitFor('Enter your handle');
    assert.equal(x.raw.indexOf(QUESTION), -1, 'an xterm was asked');
    const at = await login(x, 'Vic');
    await x.waitFor('Command');
    assertBoxes(x.raw.subarray(at), 'utf8', 'the xterm caller\'s menu');
  } finally {
    await x.close();
  }
  // Asked again next time, answering "2": the stored choice is UTF-8 now.
  const v = await askedCaller('vt220');
  try {
    const from = await answer(v, '2', 'cp437');
    assertBoxes(v.raw.subarray(from), 'cp437', 'welcome after "2"');
    const at = await login(v, 'Vic');
    v.setCharset('utf8', at);
    await v.waitFor('Command');
    assertBoxes(v.raw.subarray(at), 'utf8', 'the menu after login');
  } finally {
    await v.close();
  }
});

test('Enter alone at the question means CP437', async () => {
  const v = await askedCaller(null);
  try {
    const from = await answer(v, '', 'cp437');
    await v.waitFor('Enter your handle');
    assertBoxes(v.raw.subarray(from), 'cp437', 'welcome after Enter');
  } finally {
    v.destroy();
  }
});
