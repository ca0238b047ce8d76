// The menus as the shipped carrier.toml defines them, walked by real callers and
// read back through libvterm: the frame, the hotkeys, a submenu and back, items
// above the caller's level, the hint for an unknown key; and the commands behind
// them: who's online, last callers, user lookup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, root } from '../lib/server.mjs';
import { Caller } from '../lib/caller.mjs';
import { screenRow } from '../lib/screen.mjs';
import { T } from '../lib/wait.mjs';

/** The shipped file with test-sized costs, a sysop and a shorter callers list. */
function shippedConfig() {
  const text = readFileSync(join(root, 'carrier.toml'), 'utf8');
  const out = text
    .replace(/^password_ops = .*$/m, 'password_ops = "min"')
    .replace(/^password_mem = .*$/m, 'password_mem = "min"')
    .replace(/^sysop_handles = .*$/m, 'sysop_handles = ["Wanda"]')
    .replace(/^last_callers = .*$/m, 'last_callers = 5');
  for (const want of ['password_ops = "min"', 'sysop_handles = ["Wanda"]', 'last_callers = 5']) {
    assert.ok(out.includes(want), `carrier.toml has no line to set ${want}`);
  }
  return out;
}

let srv;
const open = [];
before(async () => { srv = await startServer({ config: shippedConfig() }); });
after(async () => {
  for (const c of open) c.ws.terminate();
  const res = await srv.stop();
  assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-4000)}`);
});

/** A caller for test t, dropped when t ends (so a failure does not leave it online). */
async function call(t, opts) {
  const c = await Caller.connect(srv.wsUrl, opts);
  open.push(c);
  t.after(() => c.ws.terminate());
  return c;
}

async function bye(c) {
  c.type('G');
  await c.waitClosed();
}

/** Wait until the screen is the menu titled `title` with the cursor at its prompt. */
function waitMenu(c, title) {
  return c.waitScreen((s) => {
    const row = s.text[s.cursor[0]] || '';
    return /^ Command »$/.test(row) && s.text[1] && s.text[1].trimEnd().endsWith(`${title} ║`);
  }, T, `${title} at its prompt`);
}

/** Wait for the cursor row (the menu prompt's line) to be preceded by a hint. */
function waitHint(c, hint) {
  return c.waitScreen((s) => {
    const [r] = s.cursor;
    return s.text[r] === ' Command »' && s.text[r - 1] === ` ${hint}`;
  }, T, `the hint ${JSON.stringify(hint)}`);
}

/** The frame: top, title, rule, item rows, bottom; every row the same width. */
function frameOf(s) {
  const top = s.text.findIndex((r) => r.startsWith('╔'));
  assert.ok(top >= 0, `no frame:\n${s.text.join('\n')}`);
  const bottom = s.text.findIndex((r, i) => i > top && r.startsWith('╚'));
  assert.ok(bottom > top + 3, `no frame bottom:\n${s.text.join('\n')}`);
  const rows = s.text.slice(top, bottom + 1);
  const width = rows[0].length;
  assert.match(rows[0], /^╔═+╗$/);
  assert.match(rows[1], /^║ .* ║$/);
  assert.match(rows[2], /^╟─+╢$/);
  assert.match(rows.at(-1), /^╚═+╝$/);
  rows.forEach((r, i) => {
    assert.equal(r.length, width, `frame row ${i} is ${r.length} wide, not ${width}:\n${rows.join('\n')}`);
    if (i > 2 && i < rows.length - 1) assert.match(r, /^║.*║$/, `item row ${i}`);
  });
  const items = {};
  for (const r of rows.slice(3, -1)) {
    for (const m of r.matchAll(/\[(.)\] (\S.*?)(?= {2,}|\s*║$)/g)) items[m[1]] = m[2];
  }
  return { top, bottom, width, title: rows[1], items };
}

test('the main menu: a framed box with the shipped hotkeys, breadcrumbs, node and handle', async (t) => {
  const c = await call(t);
  await c.register('Norma', 'normal caller', 'Nantes');
  const s = await waitMenu(c, 'Main Menu');
  const f = frameOf(s);
  assert.equal(f.width, 79, 'an 80-column screen gets a 79-column box');
  assert.match(f.title, /^║ Carrier BBS +Main Menu ║$/);
  assert.deepEqual(f.items, {
    C: 'Chat (Teleconference)', W: "Who's Online", L: 'Last Callers', T: 'Telegrams',
    U: 'User Lookup', S: 'System', G: 'Goodbye (Log Off)',
  });
  // Items in the order of `order`, in two columns: C W L down the left.
  const col = (k) => s.text.findIndex((r) => r.includes(`[${k}]`));
  assert.ok(col('C') < col('W') && col('W') < col('L'), 'C, W, L not in order');
  // The hotkey letters stand out: bright yellow between blue brackets.
  for (const k of ['C', 'W', 'L', 'T', 'U', 'S', 'G']) {
    const r = col(k);
    const x = s.text[r].indexOf(`[${k}]`);
    assert.equal(s.fg[r][x + 1] + s.bold[r][x + 1], '3B', `hotkey ${k} is not bold yellow`);
    assert.equal(s.fg[r][x] + s.bold[r][x], '4B', `bracket of ${k} is not bright blue`);
    assert.equal(s.fg[r][0], '4', 'the frame is not blue');
  }
  // No breadcrumbs at the top (the title bar says where we are); then who is calling
  // and the greeting, which the cleared screen would otherwise have wiped.
  assert.match(s.text[f.bottom + 1], /^ Node \d+ · Norma · 0 min on$/);
  assert.equal(s.text[f.bottom + 2], ' Welcome aboard, Norma!');
  assert.equal(s.cursor[1], ' Command » '.length, 'the cursor waits after the prompt');
  await bye(c);
});

test('a narrow terminal gets a narrower box that still closes', async (t) => {
  const c = await call(t, { cols: 50, rows: 24 });
  await c.register('Slim', 'narrow screen', '');
  const s = await waitMenu(c, 'Main Menu');
  const f = frameOf(s);
  assert.equal(f.width, 49);
  assert.equal(Object.keys(f.items).length, 7, JSON.stringify(f.items));
  await bye(c);
});

test('submenu and back (ESC, Backspace), the unknown-key hint, a sysop-only item hidden', async (t) => {
  const c = await call(t);
  await c.login('Norma', 'normal caller');
  await waitMenu(c, 'Main Menu');
  c.type('s');
  let s = await waitMenu(c, 'System Menu');
  let f = frameOf(s);
  assert.deepEqual(f.items, { P: 'Your Profile', W: "Who's Online", L: 'Last Callers' },
    'a level-10 caller sees the sysop item');
  assert.equal(s.text[f.bottom + 1], ' Main Menu › System Menu  (ESC goes back)');

  // U is the sysop's item here: hidden, and not selectable either.
  c.type('U');
  await waitHint(c, 'No such choice. Press one of the keys in [brackets], or ESC to go back.');
  s = await c.screen();
  assert.ok(screenRow(s, 'Look up which handle') < 0, 'a hidden item ran');

  c.type('\x1b');
  await waitMenu(c, 'Main Menu');
  c.type('S');
  await waitMenu(c, 'System Menu');
  c.type('\x7f');
  s = await waitMenu(c, 'Main Menu');
  assert.match(s.text[frameOf(s).bottom + 1], /^ Node \d+ · Norma/);

  c.type('\x1b');
  await waitHint(c, 'This is the main menu. Press G to log off.');
  c.type('z');
  await waitHint(c, 'No such choice. Press one of the keys in [brackets].');
  c.mark();
  c.type('\r');                                // Enter redraws the menu
  await c.waitForBytes(() => c.sinceMark().includes('╔'));
  s = await waitMenu(c, 'Main Menu');
  assert.ok(screenRow(s, 'No such choice') < 0);

  // Type-ahead: two keys in one packet, the submenu then its item.
  c.type('SP');
  const prof = await c.waitFor('Press any key');
  assert.match(prof, /Handle: Norma/);
  assert.match(prof, /Location: Nantes/);
  assert.match(prof, /Level: 10$/m);
  c.type('x');                                 // any key: back where we were
  await waitMenu(c, 'System Menu');
  c.type('\x1b');
  await waitMenu(c, 'Main Menu');
  await bye(c);
});

test('a handle in sysop_handles registers as a sysop and sees the sysop item', async (t) => {
  const c = await call(t);
  await c.register('Wanda', 'the sysop herself', 'Console');
  c.type('S');
  const s = await waitMenu(c, 'System Menu');
  assert.deepEqual(frameOf(s).items,
    { P: 'Your Profile', W: "Who's Online", L: 'Last Callers', U: 'User Lookup (SysOp)' });
  c.type('u');
  await c.waitFor('Look up which handle?');
  c.type('norma\r');                           // any case
  const text = await c.waitFor('Press any key');
  assert.match(text, /Handle: Norma/);
  c.type(' ');
  await waitMenu(c, 'System Menu');
  c.type('P');
  const mine = await c.waitFor('Press any key');
  assert.match(mine, /Level: 100 \(SysOp\)/);
  c.type(' ');
  await waitMenu(c, 'System Menu');
  c.type('\x1b');
  await waitMenu(c, 'Main Menu');
  await bye(c);
});

test("who's online: two callers, one at the menu and one in chat, and one still logging in", async (t) => {
  const a = await call(t);
  await a.register('Alma', 'alma password', 'Lisbon');
  const b = await call(t);
  await b.register('Bruno', 'bruno password', 'Porto');
  b.type('C');
  await b.waitFor('Welcome to');
  const x = await call(t);
  await x.waitFor('Enter your handle');

  await waitMenu(a, 'Main Menu');
  a.type('W');
  const text = await a.waitFor('Press any key');
  const rows = text.split('\n');
  assert.ok(screenRow(await a.screen(), /^ Node +Handle +Location +Doing +On$/) >= 0, text);
  const alma = rows.find((r) => r.includes('Alma'));
  const bruno = rows.find((r) => r.includes('Bruno'));
  const anon = rows.find((r) => r.includes('(logging in)'));
  assert.match(alma || '', /^ +\d+ +Alma +Lisbon +Main Menu +\d+m$/, text);
  assert.match(bruno || '', /^ +\d+ +Bruno +Porto +Chat: Lobby +\d+m$/, text);
  assert.match(anon || '', /^ +\d+ +\(logging in\) +Logging In +\d+m$/, text);
  const listed = rows.filter((r) => /^ +\d+  /.test(r)).length;
  assert.ok(listed >= 3);
  assert.match(text, new RegExp(` ${listed} of 32 nodes in use\\.`));
  // The node numbers are the ones each caller was told.
  const node = (r) => Number(/^ +(\d+)/.exec(r)[1]);
  assert.ok(a.raw.toString().includes(`You are on node ${node(alma)} of 32.`));
  assert.ok(b.raw.toString().includes(`You are on node ${node(bruno)} of 32.`));
  a.type(' ');
  await waitMenu(a, 'Main Menu');

  // Bruno leaves the chat: now he is at the menu too.
  b.type('/quit\r');
  await waitMenu(b, 'Main Menu');
  await x.close();
  a.type('W');
  await a.waitFor(` ${listed - 1} of 32 nodes in use.`);
  const again = (await a.text()).split('\n').find((r) => r.includes('Bruno'));
  assert.match(again, /Main Menu/);
  a.type(' ');
  await waitMenu(a, 'Main Menu');
  await bye(a);
  await bye(b);
});

test('last callers: the most recent logins first, as many as last_callers', async (t) => {
  const names = ['Lark', 'Linnet', 'Loon'];
  for (const n of names) {
    const c = await call(t);
    await c.register(n, `${n.toLowerCase()} password`, `${n}ville`);
    await bye(c);
  }
  const c = await call(t);
  await c.login('Lark', 'lark password');
  c.type('L');
  await c.waitFor('Press any key');
  const s = await c.screen();
  const head = screenRow(s, /^ When +Node +Handle +Location$/);
  assert.ok(head > 0, s.text.join('\n'));
  const rows = s.text.slice(head + 1).filter((r) => /^ \d{4}-\d\d-\d\d \d\d:\d\d +\d+ /.test(r));
  assert.equal(rows.length, 5, `last_callers = 5 rows:\n${s.text.join('\n')}`);
  const who = rows.map((r) => /^ \S+ \S+ +\d+ +(\S+)/.exec(r)[1]);
  assert.deepEqual(who.slice(0, 4), ['Lark', 'Loon', 'Linnet', 'Lark']);
  assert.match(rows[0], /Lark +Larkville$/);
  c.type(' ');
  await waitMenu(c, 'Main Menu');
  await bye(c);
});

test('user lookup: a profile, an unknown handle, and input that is only ever data', async (t) => {
  const c = await call(t);
  await c.login('Norma', 'normal caller');
  c.type('U');
  await c.waitFor('Look up which handle?');
  c.type('LINNET\r');
  let text = await c.waitFor('Press any key');
  assert.match(text, /^ +Handle: Linnet$/m);
  assert.match(text, /^ +Location: Linnetville$/m);
  assert.match(text, /^ +Level: 10$/m);
  assert.match(text, /^ +Calls: 1$/m);
  assert.match(text, /^ +First on: \d{4}-\d\d-\d\d \d\d:\d\d$/m);
  assert.match(text, /^ +Status: offline$/m);
  c.type(' ');
  await waitMenu(c, 'Main Menu');

  // Enter alone: yourself, online on this node.
  c.type('U');
  await c.waitFor('Look up which handle?');
  c.type('\r');
  text = await c.waitFor('Press any key');
  assert.match(text, /Handle: Norma/);
  assert.match(text, /Status: online, node \d+/);
  c.type(' ');
  await waitMenu(c, 'Main Menu');

  for (const h of ['Nobody At All', "x' OR '1'='1", '%']) {
    c.type('U');
    await c.waitFor('Look up which handle?');
    c.type(`${h}\r`);
    text = await c.waitFor('Press any key');
    assert.ok(text.includes('*** No caller by that handle. ***'), `${h}:\n${text}`);
    c.type(' ');
    await waitMenu(c, 'Main Menu');
  }
  await bye(c);
});
