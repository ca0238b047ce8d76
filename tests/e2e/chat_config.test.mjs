// The teleconference under its settings, end to end: capacity, flood control,
// coalesced join and leave storms, the sysop's announcement, and the scrollback
// kept across a restart.  Each test runs its own server with its own carrier.toml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { renderScreen, screenRow, plain, count } from '../lib/screen.mjs';
import { SIZE, newCaller, enterChat, sync, settle, announced, isNewcomer } from '../lib/chat.mjs';
import { sleep } from '../lib/wait.mjs';

/** Run fn with a server; stop it afterwards and insist on a clean exit. */
async function withServer(opts, fn) {
  const srv = await startServer(opts);
  const callers = [];
  try {
    await fn(srv, callers);
  } finally {
    for (const c of callers) c.ws.terminate();
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
}

test('capacity: one over it hears the room is full and stays at the menu', async () => {
  await withServer({ config: `[bbs]\n${FAST}\n[chat]\ncapacity = 2\n` }, async (srv, callers) => {
    const [a, b, c] = await Promise.all(['Ann', 'Ben', 'Cat'].map((h) => newCaller(srv, h)));
    callers.push(a, b, c);
    await enterChat(a);
    await enterChat(b);
    await a.waitText(0, 'Ben has joined the chat');
    const fa = a.raw.length;
    const fc = c.raw.length;
    c.type('C');
    await c.waitText(fc, 'The chat room is full');
    assert.ok(!plain(c.raw.subarray(fc)).includes('Welcome to Teleconference'), 'the third got into the room');
    // Still at the menu: a key brings the menu back, and W shows her there, not in chat.
    c.type(' ');
    await c.waitText(fc, 'Command');
    const fw = c.raw.length;
    c.type('W');
    await c.waitText(fw, 'nodes in use');
    const who = await c.text();
    assert.match(who, /Ann\s.*Chat: Teleconference/);
    assert.doesNotMatch(who, /Cat\s.*Chat: /);
    c.type(' ');
    await c.waitText(fw, 'Command');
    // Once someone leaves there is room again.
    const fb = b.raw.length;
    b.say('/quit');
    await b.waitText(fb, 'Command');
    await a.waitText(fa, 'Ben has left the chat');
    // The two inside heard nothing of her: for Ben, until his /quit was answered;
    // for Ann, until a line of hers said after Ben's leave, which is announced in
    // the same coalescing window as anything of Cat's, or a later one.
    await sync(a, [a], 'after-ben');
    const heard = [a.plain(fa), b.plain(fb)];
    heard[0] = heard[0].slice(0, heard[0].indexOf('Ann: after-ben'));
    for (const h of heard) assert.ok(!h.includes('Cat'), `the room heard of the refused caller:\n${h}`);
    await enterChat(c);
    await a.waitText(fa, 'Cat has joined the chat');
  });
});

test('flood control: ten quick lines, the room hears the burst, the flooder is told to slow down', async () => {
  await withServer({ config: `[bbs]\n${FAST}\n[chat]\nflood_rate = 1\nflood_burst = 3\n` }, async (srv, callers) => {
    const [f, o] = await Promise.all(['Flooder', 'Observer'].map((h) => newCaller(srv, h)));
    callers.push(f, o);
    await enterChat(o);
    await enterChat(f);
    await o.waitText(0, 'Flooder has joined');
    const ff = f.raw.length;
    const fo = o.raw.length;
    let lines = '';
    for (let i = 1; i <= 10; i++) lines += `flood-${i}-x\r`;
    f.type(lines);
    await f.waitText(ff, /\*\*\* Slow down! \d+ lines? (was|were) not sent \*\*\*|\*\*\* Slow down!/);
    // The thing under test: the bucket refills (1 a second), and after a pause the
    // flooder may talk again.
    await sleep(2000);
    f.say('calm again');
    const got = await o.waitText(fo, 'Flooder: calm again');
    // Lines are heard in the order said: what the room heard of the flood is all
    // before the line said after it.
    const flood = got.slice(0, got.indexOf('Flooder: calm again'));
    const heard = count(flood, /Flooder: flood-\d+-x/);
    assert.ok(heard >= 3 && heard <= 4, `the others heard ${heard} of 10 flooded lines`);
    for (let i = 1; i <= 3; i++) assert.ok(flood.includes(`Flooder: flood-${i}-x`));
    assert.ok(!flood.includes('flood-10-x'), 'the last flooded line got through');
    assert.ok(!got.includes('Slow down'), 'the notice went to the others');
  });
});

test('coalescing: five arriving together are one line for the room; each of them hears of the other four', async () => {
  await withServer({ config: `[bbs]\n${FAST}\nmax_nodes = 16\n[chat]\ncoalesce_ms = 600\n` }, async (srv, callers) => {
    const obs = await newCaller(srv, 'Watcher');
    callers.push(obs);
    await enterChat(obs);
    const names = ['Jay', 'Kim', 'Lou', 'Max', 'Ned'];
    const five = await Promise.all(names.map((h) => newCaller(srv, h)));
    callers.push(...five);
    await settle(srv, [obs]);             // Watcher's own window has closed
    const fo = obs.raw.length;
    const froms = five.map((c) => c.raw.length);
    for (const c of five) c.type('C');
    await Promise.all(five.map((c, i) => c.waitText(froms[i], '> ')));
    const line = await obs.waitText(fo, 'have joined the chat');
    // A second join line would be out before a newcomer's arrival is.
    const [got, ...theirs] = await settle(srv, [obs, ...five], [fo, ...froms]);
    const joins = (text) => announced(text, 'joined').filter((names) => !isNewcomer(names));
    assert.equal(joins(got).length, 1, `not one join line:\n${got}`);
    assert.match(line, /\*\*\* \w+, \w+, \w+ and 2 others have joined the chat \*\*\*/);
    const s = await renderScreen(obs.raw, SIZE);
    const row = screenRow(s, 'have joined the chat');
    assert.ok(row >= 0);
    const x = s.text[row].indexOf('***');
    assert.equal(s.fg[row][x], '3', `the join line is not yellow: ${s.fg[row]}`);
    assert.equal(s.bold[row][x], 'B', `the join line is not bright: ${s.bold[row]}`);
    // Each newcomer: not told of itself, told of the others (one line).
    for (const [i, mine] of theirs.entries()) {
      const heard = joins(mine);
      assert.equal(heard.length, 1, `${names[i]}: ${mine}`);
      assert.ok(!heard[0].includes(names[i]), `${names[i]} was told of its own arrival: ${heard[0]}`);
      assert.match(heard[0], /and 1 other$|\w+, \w+, \w+ and \w+$/, heard[0]);
    }
    // And they all leave together (dropped at once): one leave line for Watcher.
    const fl = obs.raw.length;
    await Promise.all(five.map((c) => c.reset()));
    await obs.waitText(fl, 'have left the chat');
    // Once the server has seen all five go, a second leave line would be out before
    // a newcomer's arrival is.
    await Promise.all(names.map((h) => srv.waitLog(new RegExp(` event=chat_leave handle=${h} `))));
    const [left] = await settle(srv, [obs], [fl]);
    const leaves = announced(left, 'left').filter((names) => !isNewcomer(names));
    assert.equal(leaves.length, 1, left);
    assert.match(leaves[0], /and 2 others$/);
    const fw = obs.raw.length;
    obs.say('/who');
    await obs.waitText(fw, 'In the room (1):');
  });
});

test('/sysop: a sysop announces in yellow to everyone; a plain caller cannot', async () => {
  await withServer({ config: `[bbs]\n${FAST}\nsysop_handles = ["Boss"]\n` }, async (srv, callers) => {
    const [boss, u] = await Promise.all(['Boss', 'Pleb'].map((h) => newCaller(srv, h)));
    callers.push(boss, u);
    await enterChat(boss);
    await enterChat(u);
    const fb = boss.raw.length;
    const fu = u.raw.length;
    boss.say('/sysop The board goes down at noon');
    await u.waitText(fu, 'SysOp: The board goes down at noon');
    await boss.waitText(fb, 'SysOp: The board goes down at noon');
    const s = await renderScreen(u.raw, SIZE);
    const row = screenRow(s, /\[\d\d:\d\d\] SysOp: The board goes down at noon/);
    assert.ok(row >= 0, s.text.join('\n'));
    const x = s.text[row].indexOf('SysOp:');
    assert.equal(s.fg[row][x], '3', `SysOp: colour ${s.fg[row]}`);
    assert.equal(s.bold[row][x], 'B');
    // A plain caller: /sysop is not theirs.
    const fu2 = u.raw.length;
    const fb2 = boss.raw.length;
    u.say('/sysop I am the captain now');
    await u.waitText(fu2, 'Unknown command');
    await sync(u, [u, boss], 'sync-after-sysop');
    assert.ok(!plain(boss.raw.subarray(fb2)).includes('captain'), 'a plain caller made an announcement');
    // The sysop's ordinary lines are white (bright), not green.
    boss.say('just chatting');
    await u.waitText(fu2, 'Boss: just chatting');
    const s2 = await renderScreen(u.raw, SIZE);
    const r2 = screenRow(s2, 'Boss: just chatting');
    const tx = s2.text[r2].indexOf('just chatting');
    assert.equal(s2.fg[r2][tx], '7', `sysop text colour ${s2.fg[r2]}`);
    assert.equal(s2.bold[r2][tx], 'B');
  });
});

test('a restart keeps the scrollback: the last 20 public lines, not private ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-chat-restart-'));
  try {
    const config = `[bbs]\n${FAST}\n[chat]\nflood_rate = 1000\nflood_burst = 1000\n`;
    await withServer({ config, dir }, async (srv, callers) => {
      const [a, b] = await Promise.all(['Alice', 'Bob'].map((h) => newCaller(srv, h)));
      callers.push(a, b);
      await enterChat(a);
      await enterChat(b);
      const fb = b.raw.length;
      for (let i = 1; i <= 25; i++) a.type(`before restart ${String(i).padStart(2, '0')}\r`);
      a.type('/me stretches before the restart\r');
      a.type('/msg Bob private-before-restart\r');
      await b.waitText(fb, 'private-before-restart');
      await b.waitText(fb, 'stretches before the restart');
    });
    // The first server stopped with SIGTERM (withServer checked a clean exit).
    await withServer({ config, dir }, async (srv, callers) => {
      const c = await newCaller(srv, 'Carol');
      callers.push(c);
      const fc = c.raw.length;
      await enterChat(c);
      await c.waitText(fc, 'stretches before the restart');
      const got = plain(c.raw.subarray(fc));
      // 20 lines of scrollback: lines 07..25 and the action; 01..06 are gone.
      for (let i = 7; i <= 25; i++) assert.match(got, new RegExp(`\\[\\d\\d:\\d\\d\\] Alice: before restart ${String(i).padStart(2, '0')}`));
      for (let i = 1; i <= 6; i++) assert.ok(!got.includes(`before restart ${String(i).padStart(2, '0')}`), `line ${i} should have scrolled out`);
      assert.ok(got.includes('* Alice stretches before the restart'));
      assert.ok(!got.includes('private-before-restart'), 'a private message was kept as scrollback');
      // The scrollback is in order, after the welcome, and in colour.
      assert.ok(got.indexOf('Welcome to Teleconference') < got.indexOf('before restart 07'));
      assert.ok(got.indexOf('before restart 24') < got.indexOf('before restart 25'));
      const s = await renderScreen(c.raw, SIZE);
      const row = screenRow(s, 'Alice: before restart 25');
      const x = s.text[row].indexOf('before restart 25');
      assert.equal(s.fg[row][x], '2');
      assert.equal(s.bold[row][x], 'B');
      // Alice logs back in: her account and the room are still there.
      const a = await Caller.connect(srv.wsUrl, SIZE);
      callers.push(a);
      await a.login('Alice', PASSWORD);
      const fa = a.raw.length;
      await enterChat(a);
      await a.waitText(fa, 'Here now: Carol');
      await a.waitText(fa, 'before restart 25');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
