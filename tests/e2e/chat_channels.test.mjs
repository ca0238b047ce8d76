// Channels and what a caller controls, end to end: declared rooms and rooms callers
// open, /join and /list and /where and /topic, private rooms and invitations, ignore
// (all five kinds of traffic, across a restart), away, bell and quiet, actions,
// telegrams (across a restart, delivered once), who's online, the split screen (the
// half-typed line kept while 50 lines arrive; a resize redraws), grouped /help.
// WebSocket callers (whose screens are libvterm's) and a telnet caller.
//
// What a person sees is asserted on the screen; what must never arrive is asserted
// on the connection's bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { TelnetCaller } from '../lib/telnet.mjs';
import { SIZE } from '../lib/chat.mjs';

const CONFIG = `[bbs]
${FAST}
sysop_handles = ["Opal"]

[chat]
flood_rate = 1000
flood_burst = 1000
coalesce_ms = 0
caller_rooms = true

[[chat.room]]
name = "Lobby"
topic = "Say hello"

[[chat.room]]
name = "Games"
topic = "Door games"

[[chat.room]]
name = "Staff"
min_level = 100
listed = false
`;

let srv;
let n = 0;
/** A handle of its own for every caller of every test. */
const handle = (base) => `${base}${String(++n).padStart(2, '0')}`;

before(async () => { srv = await startServer({ config: CONFIG }); });
after(async () => { await srv?.stop(); });

/** A registered WebSocket caller at the main menu (hung up when the test ends). */
async function caller(t, base, size = SIZE) {
  const c = await Caller.connect(srv.wsUrl, size);
  t.after(() => c.terminate());
  c.handle = handle(base);
  await c.register(c.handle, PASSWORD);
  return c;
}

/** From the menu into the default room (Lobby). */
async function enter(c) {
  const from = c.raw.length;
  c.type('C');
  await c.waitText(from, '*** Welcome to Lobby ***');
}

async function inLobby(t, ...bases) {
  const cs = [];
  for (const b of bases) {
    const c = await caller(t, b);
    await enter(c);
    cs.push(c);
  }
  return cs;
}

/** Say a line and wait until each of `all` has it. */
async function sync(c, all, word) {
  const froms = all.map((x) => x.raw.length);
  c.say(word);
  await Promise.all(all.map((x, i) => x.waitText(froms[i], `: ${word}`)));
}

/** Run a command in c and wait for a line of its answer. */
async function run(c, line, answer) {
  const from = c.raw.length;
  c.say(line);
  return c.waitText(from, answer);
}

test('rooms are isolated: a line in one is never a byte in another', async (t) => {
  const [ann, bob, cat] = await inLobby(t, 'Ann', 'Bob', 'Cat');
  await run(cat, '/join Games', '*** Welcome to Games ***');
  await ann.waitText(0, `*** ${cat.handle} has left the chat ***`);
  const fromCat = cat.raw.length;
  await sync(ann, [ann, bob], 'lobby-only-line');
  await sync(cat, [cat], 'games-only-line');
  await sync(ann, [ann, bob], 'lobby-after');
  assert.equal(cat.raw.subarray(fromCat).indexOf('lobby-only-line'), -1, 'a Lobby line reached Games');
  assert.equal(ann.raw.indexOf('games-only-line'), -1, 'a Games line reached the Lobby');
  assert.equal(bob.raw.indexOf('games-only-line'), -1, 'a Games line reached the Lobby');
});

test('/join: both rooms see the leave and the join, the newcomer gets the scrollback and topic', async (t) => {
  const [ann] = await inLobby(t, 'Ann');
  const gamer = await caller(t, 'Gil');
  await enter(gamer);
  await run(gamer, '/join games', '*** Welcome to Games ***');
  await ann.waitText(0, `*** ${gamer.handle} has left the chat ***`);
  await sync(gamer, [gamer], 'earlier in games');
  const from = ann.raw.length;
  ann.say('/join GAMES');
  const welcome = await ann.waitText(from, 'earlier in games');
  assert.match(welcome, /Topic: Door games/);
  assert.match(welcome, new RegExp(`Here now: ${gamer.handle}`));
  await gamer.waitText(0, `*** ${ann.handle} has joined the chat ***`);
  // The split screen's status line names the room, its topic and how many are here.
  const s = await ann.waitScreen(/ Games \| Door games \| 2 here \| \/help/);
  assert.ok(s.text.some((r) => r === '>' || r.startsWith('> ')), s.text.join('\n'));
  // Joining the room you are in, or a bad name.
  await run(ann, '/join games', 'You are in Games already.');
  await run(ann, '/join no spaces', 'A room\'s name is 1 to 20 letters, digits, - or _.');
});

test('/list shows rooms, topics and counts; a private room only to its members and sysops', async (t) => {
  const [ann, bob] = await inLobby(t, 'Ann', 'Bob');
  let text = await run(ann, '/list', 'Rooms:');
  text = await ann.waitText(0, /Games\s+\d+ here\s+Door games/);
  assert.match(text, /Lobby\s+2 here\s+Say hello/);
  assert.doesNotMatch(text, /Staff/, 'an unlisted room was listed');
  // Bob opens a room of his own and makes it private.
  const den = `Den${n}`;
  await run(bob, `/join ${den}`, `*** Welcome to ${den} ***`);
  await run(bob, '/private', `made the room private`);
  let from = ann.raw.length;
  ann.say('/list');
  text = await ann.waitText(from, /Games/);
  assert.doesNotMatch(text, new RegExp(den), 'a private room was listed to an outsider');
  from = bob.raw.length;
  bob.say('/list');
  text = await bob.waitText(from, new RegExp(`${den}\\s+1 here\\s+\\(private\\)`));
  // /where: a private room stays private.
  await run(ann, `/where ${bob.handle}`, `${bob.handle} is in a private room.`);
  await run(bob, `/where ${ann.handle}`, `${ann.handle} is in Lobby.`);
  await run(ann, '/where Nobody', 'Nobody is not online.');
  // The last one out: the room is gone.
  await run(bob, '/join lobby', '*** Welcome to Lobby ***');
  from = ann.raw.length;
  ann.say('/list');
  text = await ann.waitText(from, /Games/);
  assert.doesNotMatch(text, new RegExp(den));
});

test('private rooms refuse the uninvited; an invitation rings wherever the invitee is', async (t) => {
  const [owner, guest, stranger] = await inLobby(t, 'Own', 'Gus', 'Str');
  const menuCaller = await caller(t, 'Mel');                      // at the main menu
  const den = `Hideout${n}`;
  await run(owner, `/join ${den}`, `*** Welcome to ${den} ***`);
  await run(owner, '/private', 'made the room private');
  // Only the owner runs the room.
  await run(guest, '/private', 'Only a room a caller opened can be made private.');
  // The uninvited are refused, clearly, and stay where they are.
  await run(stranger, `/join ${den}`, `${den} is private: you need an invitation.`);
  await sync(stranger, [stranger, guest], 'still in the lobby');
  // An invitation: a notice with a bell, in the room or at the menu.
  const bellsG = guest.bells, bellsM = menuCaller.bells;
  let fg = guest.raw.length, fm = menuCaller.raw.length;
  await run(owner, `/invite ${guest.handle}`, `Invitation to ${den} sent to ${guest.handle}`);
  await guest.waitText(fg, `${owner.handle} invites you to ${den}: /join ${den}`);
  await run(owner, `/invite ${menuCaller.handle}`, `sent to ${menuCaller.handle}`);
  await menuCaller.waitText(fm, `${owner.handle} invites you to ${den}`);
  assert.equal(guest.bells - bellsG, 1);
  assert.equal(menuCaller.bells - bellsM, 1);
  await run(guest, `/join ${den}`, `*** Welcome to ${den} ***`);
  await owner.waitText(0, `*** ${guest.handle} has joined the chat ***`);
  // Uninvited again: may not come back.
  await run(owner, `/uninvite ${guest.handle}`, `${guest.handle} is no longer invited.`);
  await run(guest, '/join lobby', '*** Welcome to Lobby ***');
  await run(guest, `/join ${den}`, `${den} is private: you need an invitation.`);
  // Who's online shows a private room as private.
  const from = menuCaller.raw.length;
  menuCaller.type('W');
  const who = await menuCaller.waitText(from, 'nodes in use');
  assert.match(who, new RegExp(`${owner.handle}\\s.*Chat: \\(private\\)`));
  assert.doesNotMatch(who, new RegExp(den));
  assert.match(who, new RegExp(`${guest.handle}\\s.*Chat: Lobby`));
});

test('a room above the caller\'s level is refused; /topic is the owner\'s or a sysop\'s', async (t) => {
  const [ann] = await inLobby(t, 'Ann');
  await run(ann, '/join Staff', 'Staff is not open to your level.');
  await run(ann, '/topic Mine now', 'Only the room\'s owner or a sysop may set its topic.');
  const own = `Nest${n}`;
  await run(ann, `/join ${own}`, `*** Welcome to ${own} ***`);
  // An escape sequence typed is a key to the line editor, a BEL is refused: neither
  // reaches the topic.
  await run(ann, '/topic Birds \x1b[2Jand\x07 more', `${ann.handle} set the topic: Birds and more`);
  assert.equal(ann.raw.indexOf('\x1b[2Jand'), -1, 'an escape code went through the topic');
  await run(ann, `/topic ${'x'.repeat(101)}`, 'A topic is at most 100 characters.');
  await ann.waitScreen(new RegExp(` ${own} \\| Birds and more \\| 1 here`));
});

test('a sysop sets a declared room\'s topic; it survives a restart', async (t) => {
  const local = await startServer({ config: CONFIG });
  let dir = local.dir;
  try {
    const root = await Caller.connect(local.wsUrl, SIZE);
    await root.register('Opal', PASSWORD);
    root.type('C');
    await root.waitText(0, '*** Welcome to Lobby ***');
    await run(root, '/topic Fresh paint', 'Opal set the topic: Fresh paint');
    await run(root, '/join Staff', '*** Welcome to Staff ***');     // sysops pass every gate
    root.terminate();
    await local.stop({ keepDir: true });
    const again = await startServer({ config: CONFIG, dir });
    try {
      const c = await Caller.connect(again.wsUrl, SIZE);
      await c.login('Opal', PASSWORD);
      c.type('C');
      await c.waitText(0, 'Topic: Fresh paint');
      c.terminate();
    } finally {
      await again.stop({ keepDir: true });
    }
  } finally {
    dir = null;
  }
});

test('ignore: lines, actions, DMs, pages and invitations from the ignored reach nobody; they are not told; it survives a restart', async (t) => {
  const local = await startServer({ config: CONFIG });
  const dir = local.dir;
  let again;
  try {
    const mk = async (srvx, h) => {
      const c = await Caller.connect(srvx.wsUrl, SIZE);
      await c.register(h, PASSWORD);
      c.handle = h;
      return c;
    };
    const quiet = await mk(local, 'Iris');
    const pest = await mk(local, 'Pesky');
    const other = await mk(local, 'Otto');
    for (const c of [quiet, pest, other]) {
      c.type('C');
      await c.waitText(0, '*** Welcome to Lobby ***');
    }
    await run(quiet, '/ignore Pesky', 'You will hear nothing from Pesky');
    await run(quiet, '/ignore', 'You are ignoring: Pesky');
    const from = quiet.raw.length, bells = quiet.bells;
    pest.say('buy my stuff');
    pest.say('/smile Iris');
    pest.say('/me waves');
    await run(pest, '/msg Iris psst', '-> Iris (private): psst');        // not told
    await run(pest, '/page Iris ring', '*** Page sent to Iris ***');
    await run(pest, '/join Box', '*** Welcome to Box ***');
    await run(pest, '/invite Iris', 'Invitation to Box sent to Iris');
    await run(pest, '/join Lobby', '*** Welcome to Lobby ***');
    await sync(other, [quiet, other], 'sync-after-pest');
    const got = quiet.plain(from);
    for (const s of ['buy my stuff', 'smiles', 'waves', 'psst', 'ring', 'invites you'])
      assert.ok(!got.includes(s), `"${s}" from the ignored reached the ignorer: ${got}`);
    assert.equal(quiet.bells, bells);
    assert.ok(other.plain().includes('buy my stuff'), 'the others hear the ignored');
    quiet.terminate(); pest.terminate(); other.terminate();
    await local.stop({ keepDir: true });

    again = await startServer({ config: CONFIG, dir });
    const q = await Caller.connect(again.wsUrl, SIZE);
    await q.login('Iris', PASSWORD);
    const p = await Caller.connect(again.wsUrl, SIZE);
    await p.login('Pesky', PASSWORD);
    for (const c of [q, p]) {
      c.type('C');
      await c.waitText(0, '*** Welcome to Lobby ***');
    }
    await run(q, '/ignore', 'You are ignoring: Pesky');
    const f2 = q.raw.length;
    p.say('after the restart');
    await run(p, '/msg Iris still there', '-> Iris (private)');
    await sync(q, [q, p], 'iris-speaks');
    assert.ok(!q.plain(f2).includes('after the restart'), 'ignore did not survive the restart');
    assert.ok(!q.plain(f2).includes('still there'));
    await run(q, '/unignore pesky', 'You hear pesky again.');
    const f3 = q.raw.length;
    p.say('heard again');
    await q.waitText(f3, 'Pesky: heard again');
    q.terminate(); p.terminate();
  } finally {
    if (again) await again.stop();
    else await local.stop();
  }
});

test('away: marked in /who, a DM brings its sender the away message once; a line ends it', async (t) => {
  const [ann, bob] = await inLobby(t, 'Ann', 'Bob');
  await run(bob, '/away at lunch', 'You are away: at lunch');
  await run(ann, '/who', new RegExp(`${bob.handle}\\s+\\S+ away: at lunch`));
  let from = ann.raw.length;
  await run(ann, `/msg ${bob.handle} one`, '(private): one');
  await ann.waitText(from, `*** ${bob.handle} is away: at lunch ***`);
  from = ann.raw.length;
  await run(ann, `/msg ${bob.handle} two`, '(private): two');
  await sync(ann, [ann, bob], 'after-two');
  assert.ok(!ann.plain(from).includes('is away'), 'the away message came twice');
  await bob.waitText(0, `*${ann.handle}* (private): two`);
  // Typing a line ends it.
  await sync(bob, [ann, bob], 'back now');
  from = ann.raw.length;
  ann.say('/who');
  const who = await ann.waitText(from, bob.handle);
  assert.doesNotMatch(who, new RegExp(`${bob.handle}\\s+\\S+ away`));
  await run(bob, '/back', 'You were not away.');
});

test('/bell off silences a DM; /bell page lets pages ring; /quiet hides joins and leaves', async (t) => {
  const [ann, bob] = await inLobby(t, 'Ann', 'Bob');
  await run(bob, '/bell off', 'Bell off: nothing rings.');
  let b = bob.bells;
  await run(ann, `/msg ${bob.handle} hush`, '(private): hush');
  await run(ann, `/page ${bob.handle}`, 'Page sent');
  await sync(ann, [ann, bob], 'after-hush');
  assert.equal(bob.bells, b);
  await run(bob, '/bell page', 'Bell page: only pages ring.');
  b = bob.bells;
  await run(ann, `/msg ${bob.handle} still`, '(private): still');
  await run(ann, `/page ${bob.handle}`, 'Page sent');
  await sync(ann, [ann, bob], 'after-page');
  assert.equal(bob.bells, b + 1);
  await run(bob, '/bell loud', 'Usage: /bell on|off|page');
  await run(bob, '/quiet', 'Quiet: joins and leaves are hidden.');
  const from = bob.raw.length;
  const [cat] = await inLobby(t, 'Cat');
  await ann.waitText(0, `*** ${cat.handle} has joined the chat ***`);
  await sync(cat, [ann, bob, cat], 'cat-here');
  assert.ok(!bob.plain(from).includes('has joined'), 'a quiet caller was told of a join');
});

test('actions: alone, aimed, refused at someone not here, listed by /actions', async (t) => {
  const [ann, bob] = await inLobby(t, 'Ann', 'Bob');
  const from = bob.raw.length;
  ann.say('/smile');
  await bob.waitText(from, `* ${ann.handle} smiles.`);
  ann.say(`/hug ${bob.handle.toLowerCase()}`);
  await bob.waitText(from, `* ${ann.handle} hugs ${bob.handle}.`);
  await run(ann, '/wave Nobody', 'Nobody is not in this room.');
  const list = await run(ann, '/actions', 'Actions');
  await ann.waitText(0, '/smile');
  assert.ok((await ann.waitText(0, '/wave')).includes('/hug'), list);
  await run(ann, '/help smile', '/smile [handle] (an action');
  await run(ann, '/frobnicate', 'Unknown command.');
});

test('/help lists every command grouped on one screen; /help <command> its usage', async (t) => {
  const [ann] = await inLobby(t, 'Ann');
  const from = ann.raw.length;
  ann.say('/help');
  const text = await ann.waitText(from, 'Anything else you type is said to the room');
  for (const g of ['Talking', 'Rooms', 'You', 'Help'])
    assert.match(text, new RegExp(`^ ${g} +/`, 'm'), text);
  for (const u of ['/join <room>', '/list', '/ignore [handle]', '/away [message]', '/bell on|off|page',
    '/telegram <handle> <text>', '/invite <handle>', '/where <handle>'])
    assert.ok(text.includes(u), u);
  assert.ok(!text.includes('/sysop'), 'a sysop command shown to a caller');
  const lines = text.split('Commands (')[1].split('\n').length;
  assert.ok(lines <= 14, `help is ${lines} lines`);
  await run(ann, '/help msg', 'Usage: /msg <handle> <text>');
  await run(ann, '/help /join', 'Usage: /join <room>');
  await run(ann, '/help nothing', 'There is no command /nothing.');
});

test('telegrams: offered for an offline caller, kept across a restart, shown once with a bell', async (t) => {
  const local = await startServer({ config: CONFIG });
  const dir = local.dir;
  let again;
  try {
    const away = await Caller.connect(local.wsUrl, SIZE);
    await away.register('Tina', PASSWORD);
    away.terminate();
    const sender = await Caller.connect(local.wsUrl, SIZE);
    await sender.register('Sam', PASSWORD);
    sender.type('C');
    await sender.waitText(0, '*** Welcome to Lobby ***');
    await run(sender, '/msg Tina see you at eight', 'Send it as a telegram? (Y/N)');
    await run(sender, 'y', 'Telegram left for Tina');
    await run(sender, '/telegram tina and bring \u009b2Jthe\x07 cake', 'Telegram left for Tina');
    await run(sender, '/telegram Nobody hi', 'There is no caller called Nobody.');
    sender.terminate();
    await local.stop({ keepDir: true });

    again = await startServer({ config: CONFIG, dir });
    const tina = await Caller.connect(again.wsUrl, SIZE);
    const bells = tina.bells;
    await tina.login('Tina', PASSWORD);
    await tina.waitFor('You have 2 new telegrams: press T to read them.');
    assert.ok(tina.bells > bells, 'no bell for the telegrams');
    let from = tina.raw.length;
    tina.type('T');
    const shown = await tina.waitText(from, 'Delete the telegrams you have read? (Y/N)');
    assert.match(shown, /From Sam,.*\(new\)\s+see you at eight/s);
    assert.match(shown, /and bring 2Jthe cake/);
    assert.equal(tina.raw.subarray(from).indexOf('\u009b2J'), -1, 'a C1 control in a telegram');
    tina.type('N');
    await tina.waitFor('Command');
    // Read: no longer new; the next login says nothing of them.
    tina.terminate();
    const tina2 = await Caller.connect(again.wsUrl, SIZE);
    await tina2.login('Tina', PASSWORD);
    const menu = await tina2.waitFor('Command');
    assert.doesNotMatch(menu, /new telegram/);
    from = tina2.raw.length;
    tina2.type('T');
    const second = await tina2.waitText(from, 'Delete the telegrams');
    assert.doesNotMatch(second, /\(new\)/);
    tina2.type('Y');
    await tina2.waitText(from, '2 telegrams deleted.');
    tina2.type(' ');
    from = tina2.raw.length;
    tina2.type('T');
    await tina2.waitText(from, 'No telegrams.');
    tina2.terminate();
  } finally {
    if (again) await again.stop();
    else await local.stop();
  }
});

test('the split screen keeps the half-typed line while 50 lines arrive; a resize redraws it', async (t) => {
  const [ann, bob] = await inLobby(t, 'Ann', 'Bob');
  bob.type('half a thought');
  await bob.waitScreen(/^> half a thought$/);
  for (let i = 0; i < 50; i++) ann.say(`line ${i} of many`);
  await bob.waitText(0, 'line 49 of many');
  const s = await bob.waitScreen(/line 49 of many/);
  const rows = s.text.length;
  assert.equal(s.text[rows - 1], '> half a thought', 'the input line moved or was lost');
  assert.match(s.text[rows - 2], / Lobby \| Say hello \| 2 here \| \/help/);
  assert.deepEqual(s.cursor, [rows - 1, '> half a thought'.length]);
  const at = s.text.findIndex((r) => r.includes('line 49 of many'));
  assert.equal(at, rows - 4, 'the newest line is not at the foot of the conversation');
  assert.ok(s.text.some((r) => r.includes('line 10 of many')));
  // Finish the line: said, and the input row is empty again.
  bob.type(' and done\r');
  await ann.waitText(0, `${bob.handle}: half a thought and done`);
  await bob.waitScreen((x) => x.text[x.text.length - 1] === '>');
  // A resize: the layout is redrawn at the new size.
  const from = bob.raw.length;
  bob.resize(90, 30);
  await bob.waitText(from, 'Welcome to Lobby');
  const r = await bob.waitScreen((x) => x.text.length === 30 && /\| 2 here \|/.test(x.text[28]));
  assert.equal(r.text[29], '>');
  // Too small a terminal: line by line.
  const from2 = bob.raw.length;
  bob.resize(60, 16);
  await bob.waitText(from2, 'Welcome to Lobby');
  ann.say('narrow now');
  await bob.waitText(from2, 'narrow now');
  const n2 = await bob.waitScreen(/narrow now/);
  assert.ok(!n2.text.some((x) => /\| 2 here \|/.test(x)), 'a status line on a small screen');
});

test('a telnet caller (no size told) gets the line-by-line chat, and rooms work alike', async (t) => {
  const tel = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', naws: false });
  t.after(() => tel.reset());
  tel.handle = handle('Tel');
  await tel.register(tel.handle, PASSWORD);
  tel.type('C');
  await tel.waitText(0, '*** Welcome to Lobby ***');
  const [ann] = await inLobby(t, 'Ann');
  await tel.waitText(0, `*** ${ann.handle} has joined the chat ***`);
  const from = tel.raw.length;
  ann.say('hello telnet');
  await tel.waitText(from, `${ann.handle}: hello telnet`);
  assert.equal(tel.raw.subarray(from).indexOf('\x1b7'), -1, 'split-screen bytes to a caller without a size');
  await run(tel, '/join Games', '*** Welcome to Games ***');
  await ann.waitText(0, `*** ${tel.handle} has left the chat ***`);
});
