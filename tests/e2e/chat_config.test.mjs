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
import { SIZE, newCaller, enterChat } from '../lib/chat.mjs';
import { SLOW, sleep } from '../lib/wait.mjs';

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
    assert.match(who, /Ann\s.*In Chat/);
    assert.doesNotMatch(who, /Cat\s.*In Chat/);
    c.type(' ');
    await c.waitText(fw, 'Command');
    // The two inside heard nothing of her.
    await sleep(400 * SLOW);
    assert.ok(!plain(a.raw.subarray(fa)).includes('Cat'), 'the room heard of the refused caller');
    // Once someone leaves there is room again.
    b.type('/quit\r');
    await a.waitText(fa, 'Ben has left the chat');
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
    await sleep(1500 * SLOW);
    const heard = count(plain(o.raw.subarray(fo)), /Flooder: flood-\d+-x/);
    assert.ok(heard >= 3 && heard <= 4, `the others heard ${heard} of 10 flooded lines`);
    for (let i = 1; i <= 3; i++) assert.ok(plain(o.raw.subarray(fo)).includes(`Flooder: flood-${i}-x`));
    assert.ok(!plain(o.raw.subarray(fo)).includes('flood-10-x'), 'the last flooded line got through');
    assert.ok(!plain(o.raw.subarray(fo)).includes('Slow down'), 'the notice went to the others');
    // The bucket refills: after a pause the flooder may talk again.
    await sleep(2000);
    const f2 = o.raw.length;
    f.type('calm again\r');
    await o.waitText(f2, 'Flooder: calm again');
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
    await sleep(800 * SLOW);              // Watcher's own window is long closed
    const fo = obs.raw.length;
    const froms = five.map((c) => c.raw.length);
    for (const c of five) c.type('C');
    await Promise.all(five.map((c, i) => c.waitText(froms[i], '> ')));
    const line = await obs.waitText(fo, 'have joined the chat');
    await sleep(1200 * SLOW);             // anything else would have come by now
    const got = plain(obs.raw.subarray(fo));
    assert.equal(count(got, 'joined the chat'), 1, `more than one join line:\n${got}`);
    assert.match(line, /\*\*\* \w+, \w+, \w+ and 2 others have joined the chat \*\*\*/);
    const s = await renderScreen(obs.raw, SIZE);
    const row = screenRow(s, 'have joined the chat');
    assert.ok(row >= 0);
    const x = s.text[row].indexOf('***');
    assert.equal(s.fg[row][x], '3', `the join line is not yellow: ${s.fg[row]}`);
    assert.equal(s.bold[row][x], 'B', `the join line is not bright: ${s.bold[row]}`);
    // Each newcomer: not told of itself, told of the others (one line).
    for (const [i, c] of five.entries()) {
      const mine = plain(c.raw.subarray(froms[i]));
      assert.equal(count(mine, 'joined the chat'), 1, `${names[i]}: ${mine}`);
      const joined = /\*\*\* (.*) have joined the chat \*\*\*/.exec(mine);
      assert.ok(joined, `${names[i]} heard no join line: ${mine}`);
      assert.ok(!joined[1].includes(names[i]), `${names[i]} was told of its own arrival: ${joined[0]}`);
      assert.match(joined[1], /and 1 other$|\w+, \w+, \w+ and \w+$/, joined[0]);
    }
    // And they all leave together (dropped at once): one leave line for Watcher.
    const fl = obs.raw.length;
    await Promise.all(five.map((c) => c.reset()));
    await obs.waitText(fl, 'have left the chat');
    await sleep(1200 * SLOW);
    const left = plain(obs.raw.subarray(fl));
    assert.equal(count(left, 'left the chat'), 1, left);
    assert.match(left, /and 2 others have left the chat/);
    const fw = obs.raw.length;
    obs.type('/who\r');
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
    boss.type('/sysop The board goes down at noon\r');
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
    u.type('/sysop I am the captain now\r');
    await u.waitText(fu2, 'Unknown command');
    await sleep(300 * SLOW);
    assert.ok(!plain(boss.raw.subarray(fb2)).includes('captain'), 'a plain caller made an announcement');
    // The sysop's ordinary lines are white (bright), not green.
    boss.type('just chatting\r');
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
