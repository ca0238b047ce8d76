// The teleconference end to end: real WebSocket callers (Node `ws`) whose screens
// are libvterm's.  Callers in the room (Alice, Bob, Carol) and one at the main menu
// (Dave): public lines and their colours, /me, /msg seen by its two ends only, /r,
// /page ringing only its recipient (also at the menu), offline and unknown handles,
// /who, /help, unknown commands, usage lines, joins and leaves, the input line
// surviving incoming lines, hostile control characters, a caller dropped without a
// close frame, and the room in who's online.
//
// One server for the file; every test has callers of its own, with handles of its
// own (Alice01, Alice02...), who hang up when it ends.
//
// What a person sees is asserted on the screen; what must never arrive is asserted
// on the connection's raw bytes, once a line said after it has arrived (sync).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { renderScreen, screenRow, plain, count, bellsIn } from '../lib/screen.mjs';
import { SIZE, newCaller, enterChat, sync, settle, announced } from '../lib/chat.mjs';

const CONFIG = `[bbs]
password_ops = "min"
password_mem = "min"

[chat]
flood_rate = 1000
flood_burst = 1000
`;

let srv;
before(async () => { srv = await startServer({ config: CONFIG }); });
after(async () => {
  if (srv) {
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
});

let serial = 0;

/**
 * Callers for test t, one per name, each registered with a handle of its own (the
 * name and the number of the call: Alice01...).  They walk into the room one
 * after another, each arrival heard by those already in, except those named in
 * atMenu, who stay at the main menu.  When t ends they hang up, and are out of the
 * room before the next test starts.
 */
async function callers(t, names, atMenu = []) {
  const n = String(++serial).padStart(2, '0');
  const cs = await Promise.all(names.map((name) => newCaller(srv, `${name}${n}`)));
  t.after(async () => {
    await Promise.all(cs.map((c) => c.close().catch(() => {})));
    for (const c of cs) c.terminate();
  });
  const inside = [];
  for (const [i, c] of cs.entries()) {
    if (atMenu.includes(names[i])) continue;
    const froms = inside.map((x) => x.raw.length);
    await enterChat(c);
    await Promise.all(inside.map((x, j) => x.waitText(froms[j], `*** ${c.handle} has joined the chat ***`)));
    inside.push(c);
  }
  return cs;
}

/**
 * A page to c (at the main menu) from sender, said now, arrives after anything the
 * room sent c before; returns c's bytes from `from` up to that page (up to its BEL).
 */
async function fence(sender, c, from, word) {
  const text = `*** Page from ${sender.handle}: ${word} ***`;
  sender.say(`/page ${c.handle} ${word}`);
  await c.waitText(from, text);
  const got = c.raw.subarray(from);
  return got.subarray(0, got.lastIndexOf(7, got.indexOf(text)));
}

test('joins: the others are told, the newcomer is not told of itself and sees who is here', async (t) => {
  const [alice, bob, carol, dave] = await callers(t, ['Alice', 'Bob', 'Carol', 'Dave'], ['Dave']);
  const [A, B, C] = [alice.handle, bob.handle, carol.handle];
  const room = [alice, bob, carol];
  await alice.waitText(0, `*** ${C} has joined the chat ***`);
  await bob.waitText(0, `*** ${C} has joined the chat ***`);
  await carol.waitText(0, 'Here now: ');
  const welcome = await carol.text();
  assert.match(welcome, new RegExp(`Here now: .*${A}`));
  assert.match(welcome, new RegExp(`Here now: .*${B}`));
  assert.match(welcome, /Type \/help for commands/);
  await sync(alice, room, 'joins-sync');
  assert.equal(count(plain(carol.raw), `${C} has joined`), 0, 'Carol was told of her own arrival');
  assert.equal(count(plain(bob.raw), `${B} has joined`), 0, 'Bob was told of his own arrival');
  assert.equal(count(plain(alice.raw), `${B} has joined the chat`), 1);
  assert.equal(count(plain(alice.raw), `${C} has joined the chat`), 1);
  const heard = await fence(alice, dave, 0, 'joins-fence');
  assert.equal(count(plain(heard), 'has joined the chat'), 0, 'a caller at the menu heard chat traffic');
});

test('a public line reaches all three, "[HH:MM] Handle: text", handle green, text bright green', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const [alice] = room;
  const A = alice.handle;
  const froms = room.map((c) => c.raw.length);
  alice.say('hello from alice');
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `${A}: hello from alice`)));
  for (const c of room) {
    const s = await renderScreen(c.raw, SIZE);
    const row = screenRow(s, new RegExp(`\\[\\d\\d:\\d\\d\\] ${A}: hello from alice`));
    assert.ok(row >= 0, `no public line on the screen:\n${s.text.join('\n')}`);
    const line = s.text[row];
    const h = line.indexOf(`${A}: `);
    const x0 = line.indexOf('hello from alice');
    for (let x = h; x < h + A.length; x++) {
      assert.equal(s.fg[row][x], '2', `handle colour at column ${x}: ${s.fg[row]}`);
      assert.equal(s.bold[row][x], '.', `handle should not be bold: ${s.bold[row]}`);
    }
    for (let x = x0; x < x0 + 'hello from alice'.length; x++) {
      if (line[x] === ' ') continue;
      assert.equal(s.fg[row][x], '2', `text colour at column ${x}: ${s.fg[row]}`);
      assert.equal(s.bold[row][x], 'B', `text should be bold (bright): ${s.bold[row]}`);
    }
  }
  // The speaker's own line appears once (the typed echo is replaced, not doubled).
  const aliceScreen = await alice.text();
  assert.equal(count(aliceScreen, 'hello from alice'), 1, aliceScreen);
});

test('/me acts it out: "* Bob waves" for everyone, no timestamp, no colon', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const bob = room[1];
  const B = bob.handle;
  const froms = room.map((c) => c.raw.length);
  bob.say('/me waves');
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `* ${B} waves`)));
  for (const c of room) {
    const s = await c.text();
    assert.match(s, new RegExp(`^\\* ${B} waves$`, 'm'));
    assert.doesNotMatch(s, new RegExp(`${B}: /me`));
    assert.doesNotMatch(s, new RegExp(`\\] \\* ${B} waves`));
  }
});

test('/msg is seen by its two ends and not one byte of it reaches the third', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const [alice, bob, carol] = room;
  const [A, B] = [alice.handle, bob.handle];
  const secret = 'secret-pineapple-42';
  const [fa, fb, fc] = room.map((c) => c.raw.length);
  const [ba, bb, bc] = room.map((c) => c.bells);
  alice.say(`/msg ${B} ${secret}`);
  await bob.waitText(fb, `*${A}* (private): ${secret}`);
  await alice.waitText(fa, `-> ${B} (private): ${secret}`);
  // Everything the server wrote before this public line has reached Carol.
  await sync(bob, room, 'after-the-secret');
  assert.equal(carol.raw.indexOf(secret), -1, 'the third connection received the private text');
  assert.equal(carol.raw.indexOf('(private)'), -1, 'the third connection received a private line');
  assert.equal(plain(carol.raw.subarray(fc)).includes(A), false, 'the third saw something of Alice');
  // The recipient's bell rang once; nobody else's did.
  assert.equal(bob.bells - bb, 1, 'recipient bell');
  assert.equal(alice.bells - ba, 0, 'sender bell');
  assert.equal(carol.bells - bc, 0, 'third bell');
  // On screen, with the timestamp.
  assert.match(await bob.text(), new RegExp(`\\[\\d\\d:\\d\\d\\] \\*${A}\\* \\(private\\): ${secret}`));
  assert.match(await alice.text(), new RegExp(`\\[\\d\\d:\\d\\d\\] -> ${B} \\(private\\): ${secret}`));
});

test('/r replies to whoever last sent a private message', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol', 'Frank'], ['Frank']);
  const [alice, bob, carol, frank] = room;
  const [A, B, C] = [alice.handle, bob.handle, carol.handle];
  const three = [alice, bob, carol];
  let [fa, fb, fc] = three.map((c) => c.raw.length);
  alice.say(`/msg ${B} first-from-alice`);
  await bob.waitText(fb, `*${A}* (private): first-from-alice`);
  // Bob last heard from Alice.
  [fa, fb, fc] = three.map((c) => c.raw.length);
  bob.say('/r reply-mango-7');
  await alice.waitText(fa, `*${B}* (private): reply-mango-7`);
  await bob.waitText(fb, `-> ${A} (private): reply-mango-7`);
  // Now Carol writes to Bob; Bob's /r goes to Carol, not Alice.
  [fa, fb, fc] = three.map((c) => c.raw.length);
  carol.say(`/msg ${B.toLowerCase()} from-carol-fig`);    // handles are case-insensitive
  await bob.waitText(fb, `*${C}* (private): from-carol-fig`);
  bob.say('/R reply-kiwi-9');                              // commands too
  await carol.waitText(fc, `*${B}* (private): reply-kiwi-9`);
  await bob.waitText(fb, `-> ${C} (private): reply-kiwi-9`);
  await sync(bob, three, 'after-the-replies');
  assert.equal(alice.raw.indexOf('reply-kiwi-9'), -1, '/r went to the wrong person too');
  assert.equal(alice.raw.indexOf('from-carol-fig'), -1);
  assert.equal(carol.raw.indexOf('reply-mango-7'), -1);
  // Someone who got no private message cannot /r.
  await enterChat(frank);
  const f = frank.raw.length;
  frank.say('/r anyone');
  await frank.waitText(f, 'Nobody has sent you a private message yet.');
});

test('/page rings only the recipient, in the room and at the main menu', async (t) => {
  const all = await callers(t, ['Alice', 'Bob', 'Carol', 'Dave'], ['Dave']);
  const [alice, bob, carol, dave] = all;
  const [A, B, C, D] = all.map((c) => c.handle);
  const room = [alice, bob, carol];
  let froms = all.map((c) => c.raw.length);
  let rang = all.map((c) => c.bells);
  alice.say(`/page ${C} wake-up-call`);
  await carol.waitText(froms[2], `*** Page from ${A}: wake-up-call ***`);
  await alice.waitText(froms[0], `*** Page sent to ${C} ***`);
  await sync(alice, room, 'after-page-1');
  const daveGot = await fence(alice, dave, froms[3], 'fence-1');
  assert.deepEqual(room.map((c, i) => c.bells - rang[i]), [0, 0, 1], 'BELs per connection (Alice, Bob, Carol)');
  assert.equal(bellsIn(daveGot), 0, 'BEL at the menu (Dave)');
  assert.equal(bob.raw.indexOf('wake-up-call'), -1, 'a third party received the page');
  assert.equal(daveGot.indexOf('wake-up-call'), -1);

  // Dave is at the main menu, not in the room: the page reaches him there.
  froms = all.map((c) => c.raw.length);
  rang = all.map((c) => c.bells);
  bob.say(`/page ${D.toLowerCase()} come-to-chat`);
  await dave.waitText(froms[3], `*** Page from ${B}: come-to-chat ***`);
  await bob.waitText(froms[1], `*** Page sent to ${D} ***`);
  await sync(bob, room, 'after-page-2');
  assert.deepEqual(all.map((c, i) => c.bells - rang[i]), [0, 0, 0, 1], 'BELs per connection (Alice, Bob, Carol, Dave)');
  assert.ok(await dave.waitFor(`Page from ${B}: come-to-chat`));
  assert.equal(alice.raw.indexOf('come-to-chat'), -1);
  assert.equal(carol.raw.indexOf('come-to-chat'), -1);

  // A page without text.
  froms = all.map((c) => c.raw.length);
  rang = all.map((c) => c.bells);
  carol.say(`/page ${B}`);
  await bob.waitText(froms[1], `*** ${C} is paging you! ***`);
  await sync(carol, room, 'after-page-3');
  assert.deepEqual(room.map((c, i) => c.bells - rang[i]), [0, 1, 0]);
  assert.equal(bellsIn(await fence(carol, dave, froms[3], 'fence-3')), 0, 'BEL at the menu (Dave)');
});

test('paging or messaging someone offline or unknown says so, and rings nobody', async (t) => {
  const [alice, bob, carol, dave, eve] = await callers(t, ['Alice', 'Bob', 'Carol', 'Dave', 'Eve'], ['Dave', 'Eve']);
  const room = [alice, bob, carol];
  // An account that exists but is not online.
  await eve.close();
  const E = eve.handle;
  const rang = room.map((c) => c.bells);
  const fd = dave.raw.length;
  let f = alice.raw.length;
  alice.say(`/page ${E} are you there`);                  // registered, not online
  await alice.waitText(f, `${E} is not online.`);
  await alice.waitText(f, 'Send it as a telegram? (Y/N)'); // offered, declined
  alice.say('n');
  await alice.waitText(f, 'Not sent.');
  f = alice.raw.length;
  alice.say('/page Nobodyatall hello');                   // no such account
  await alice.waitText(f, 'There is no caller called Nobodyatall.');
  f = alice.raw.length;
  alice.say(`/msg ${E} psst`);
  await alice.waitText(f, `${E} is not online.`);
  await alice.waitText(f, 'Send it as a telegram? (Y/N)');
  alice.say('n');
  await alice.waitText(f, 'Not sent.');
  await sync(alice, room, 'after-offline');
  assert.deepEqual(room.map((c, i) => c.bells - rang[i]), [0, 0, 0]);
  assert.equal(bellsIn(await fence(alice, dave, fd, 'fence')), 0, 'BEL at the menu (Dave)');
  assert.equal(bob.raw.indexOf('not online'), -1, 'the notice went to others too');
});

test('/who lists the room, and only the room', async (t) => {
  const [alice, bob, carol, dave] = await callers(t, ['Alice', 'Bob', 'Carol', 'Dave'], ['Dave']);
  const room = [alice, bob, carol];
  const f = bob.raw.length;
  bob.say('/who');
  await bob.waitText(f, 'In the room (3):');
  await bob.waitText(f, new RegExp(`${carol.handle}\\s+(<1m|\\d+m)`));
  const got = plain(bob.raw.subarray(f));
  for (const c of room) assert.match(got, new RegExp(`^\\s*${c.handle}\\s+(<1m|\\d+m)`, 'm'));
  assert.doesNotMatch(got, new RegExp(dave.handle), 'a caller at the menu listed in the room');
  // Only the asker sees it.
  await sync(bob, room, 'after-who');
  assert.equal(plain(alice.raw).includes('In the room ('), false);
});

test('/help and /? list the commands', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const [alice, , carol] = room;
  for (const cmd of ['/help', '/?', '/HELP']) {
    const f = carol.raw.length;
    carol.say(cmd);
    await carol.waitText(f, '/quit');
    const got = plain(carol.raw.subarray(f));
    for (const usage of ['/me <action>', '/msg <handle> <text>', '/r <text>', '/page <handle> [text]', '/who', '/help']) {
      assert.ok(got.includes(usage), `${cmd}: "${usage}" missing from\n${got}`);
    }
    // A plain user is not shown the sysop's command.
    assert.ok(!got.includes('/sysop'), `${cmd} shows /sysop to a plain user`);
  }
  await sync(carol, room, 'after-help');
  assert.equal(plain(alice.raw).includes('/page <handle>'), false, 'help went to others');
});

test('an unknown command is refused and said to no one', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const [alice, bob, carol] = room;
  const froms = room.map((c) => c.raw.length);
  alice.say('/frobnicate the thing');
  await alice.waitText(froms[0], 'Unknown command. Type /help for available commands.');
  await sync(alice, room, 'after-unknown');
  assert.equal(bob.raw.indexOf('frobnicate'), -1);
  assert.equal(carol.raw.indexOf('frobnicate'), -1);
  assert.equal(bob.raw.indexOf('Unknown command'), -1);
});

test('a command missing its arguments gets its usage line', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const [alice, bob] = room;
  const cases = [
    ['/msg', 'Usage: /msg <handle> <text>'],
    [`/msg ${bob.handle}`, 'Usage: /msg <handle> <text>'],
    ['/page', 'Usage: /page <handle> [text]'],
    ['/me', 'Usage: /me <action>'],
    ['/r', 'Usage: /r <text>'],
  ];
  const froms = room.map((c) => c.raw.length);
  const rang = room.map((c) => c.bells);
  for (const [line, usage] of cases) {
    const f = alice.raw.length;
    alice.say(line);
    await alice.waitText(f, usage);
  }
  await sync(alice, room, 'after-usage');
  assert.equal(plain(bob.raw.subarray(froms[1])).includes('Usage'), false);
  assert.deepEqual(room.map((c, i) => c.bells - rang[i]), [0, 0, 0], 'a refused /msg rang a bell');
});

test('the input line survives: a half-typed line is redrawn under an incoming one and sent intact', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const [alice, bob, carol] = room;
  const [A, C] = [alice.handle, carol.handle];
  const fc = carol.raw.length;
  carol.type('half typed');
  await carol.waitText(fc, 'half typed');
  const fb = bob.raw.length;
  alice.say('interrupting-line');
  await bob.waitText(fb, `${A}: interrupting-line`);
  // Carol's screen once the line is in and her prompt is drawn again under it.
  const said = new RegExp(`\\[\\d\\d:\\d\\d\\] ${A}: interrupting-line`);
  const lastRow = (s) => s.text.findLastIndex((r) => r.trim() !== '');
  let s = await carol.waitScreen((sc) => screenRow(sc, said) >= 0 && lastRow(sc) > screenRow(sc, said) &&
    sc.text[lastRow(sc)].startsWith('>'));
  const prompt = lastRow(s);
  assert.equal(s.text[prompt], '> half typed', `the prompt row:\n${s.text.join('\n')}`);
  assert.ok(screenRow(s, said) < prompt, 'the new line is above the prompt');
  assert.deepEqual(s.cursor, [prompt, '> half typed'.length], 'the cursor is at the end of the typed text');
  assert.equal(count(s.text.join('\n'), 'half typed'), 1, `the typed text is shown once:\n${s.text.join('\n')}`);
  // Finish the line: it goes out whole.
  const froms = room.map((c) => c.raw.length);
  carol.say(' and done');
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `${C}: half typed and done`)));
  s = await renderScreen(carol.raw, SIZE);
  assert.equal(s.text[lastRow(s)], '>', 'the prompt is empty again');
});

test('control characters typed by a caller reach nobody: no ESC, no BEL but the server\'s own', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol', 'Dave'], ['Dave']);
  const [alice, bob, carol, dave] = room;
  const [C, D] = [carol.handle, dave.handle];
  const inRoom = [alice, bob, carol];
  const hostile = [
    'clear\x1b[2Jscreen',
    'title\x1b]0;pwned\x07here',
    'ring\x07ring\x07',
    'hi\rFAKE: line',
    'csi\u009b31mred',
    'osc\u009d0;x\u009cend',
    'dcs\x1bP1$r\x1b\\end',
    'home\x1b[Hdel\x7fbs\x08nul\x00end',
  ];
  const others = [alice, bob];
  const froms = others.map((c) => c.raw.length);
  const rang = others.map((c) => c.bells);
  // Typed as one paste each, and one byte per frame (as a terminal sends keys).
  for (const h of hostile) carol.type(`${h}\r`);
  for (const h of hostile) {
    for (const ch of `${h}\r`) carol.type(ch);
  }
  for (const h of hostile) carol.type(`/me ${h}\r`);
  await sync(carol, inRoom, 'after-hostile');
  for (const [i, c] of others.entries()) {
    const got = c.raw.subarray(froms[i]);
    assert.equal(bellsIn(got), 0, 'a BEL reached another caller');
    const stripped = got.toString('utf8')
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/\x1b\[K/g, '')
      .replace(/\x1b\[\d*A/g, '')
      .replace(/\x1b[78]/g, '')          // the split screen's save and restore of the cursor
      .replace(/\x1b\[2J/g, '')
      .replace(/\x1b\[H/g, '');
    assert.ok(!stripped.includes('\x1b'), `an ESC reached another caller: ${JSON.stringify(stripped)}`);
    assert.ok(!/[\u0080-\u009f]/.test(stripped), `a C1 control reached another caller: ${JSON.stringify(stripped)}`);
    assert.ok(!/[\x00\x08\x7f]/.test(stripped), `NUL/BS/DEL reached another caller`);
    // Every CR the others got is the server's own: CR LF, CR ESC[K (over the prompt), or
    // the split screen's CR after moving up into the conversation.
    const sgrless = got.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
    assert.ok(!/(?<!\x1b\[2A)\r(?!\n|\x1b\[K)/.test(sgrless), `a bare CR reached another caller: ${JSON.stringify(sgrless)}`);
    // The words arrive, as Carol's.
    assert.ok(stripped.includes(`${C}: ringring`) || stripped.includes(`${C}: ring`), stripped);
    assert.ok(stripped.includes(`* ${C} `), stripped);
  }
  // On the screen: nobody else is clearing screens or putting "FAKE:" at a line start.
  const s = await renderScreen(bob.raw, SIZE);
  for (const row of s.text) {
    if (row.includes('FAKE')) assert.match(row, new RegExp(`(${C}: |\\* ${C} ).*FAKE|^\\s*FAKE.*$`), row);
    assert.doesNotMatch(row, /^FAKE: /, `a forged line: ${row}`);
  }
  assert.ok(screenRow(s, `${C}: clearscreen`) >= 0 || screenRow(s, `${C}: clear`) >= 0,
    `the screen was cleared or the line lost:\n${s.text.join('\n')}`);
  assert.deepEqual(others.map((c, i) => c.bells - rang[i]), [0, 0]);
  // In a private message, the recipient hears exactly the one BEL the server sends.
  const f = bob.raw.length;
  const b0 = bob.bells;
  carol.type(`/msg ${bob.handle} bell\x07in\x1b[2Jdm\r`);
  await bob.waitText(f, `*${C}* (private): bell`);
  await sync(carol, inRoom, 'after-hostile-dm');
  assert.equal(bob.bells - b0, 1, 'a DM carried a BEL of the caller\'s');
  const dm = bob.raw.subarray(f).toString('utf8').replace(/\x1b\[[0-9;]*[mKAHJ]/g, '')
    .replace(/\x1b[78]/g, '');
  assert.ok(!dm.includes('\x1b'), JSON.stringify(dm));
  // A page to a caller at the main menu: one BEL (the server's), no ESC of Carol's.
  // A second page follows it; everything of the first is in before the second's BEL.
  const fd = dave.raw.length;
  carol.type(`/page ${D} page\x07bell\x1b]0;t\x07\x1b[2Jhere\u009b2J\r`);
  await dave.waitText(fd, `*** Page from ${C}: page`);
  const first = await fence(carol, dave, fd, 'fence');
  assert.equal(bellsIn(first), 1, 'a page carried a BEL of the caller\'s');
  const pg = first.toString('utf8').replace(/\x1b\[[0-9;]*[mKAHJ]/g, '');
  assert.ok(!pg.includes('\x1b') && !/[\u0080-\u009f]/.test(pg), JSON.stringify(pg));
  assert.match(plain(first), new RegExp(`\\*\\*\\* Page from ${C}: page[^\\r\\n]*here[^\\r\\n]* \\*\\*\\*`));
});

test('the room shows in who\'s online from the main menu', async (t) => {
  const all = await callers(t, ['Alice', 'Bob', 'Carol', 'Dave'], ['Dave']);
  const dave = all[3];
  const f = dave.raw.length;
  dave.type('W');
  await dave.waitText(f, 'nodes in use');
  const s = await dave.text();
  for (const c of all.slice(0, 3)) assert.match(s, new RegExp(`${c.handle}\\s.*Chat: Teleconference`), s);
  assert.doesNotMatch(s, new RegExp(`${dave.handle}\\s.*Chat`), s);
  dave.type('\r');
  await dave.waitFor('Command');
});

test('a caller dropped without a close frame leaves exactly once and is gone from /who', async (t) => {
  const [alice, bob, carol, zed] = await callers(t, ['Alice', 'Bob', 'Carol', 'Zed']);
  const room = [alice, bob, carol];
  const Z = zed.handle;
  const froms = room.map((c) => c.raw.length);
  await zed.reset();
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `*** ${Z} has left the chat ***`)));
  // Any second announcement would be out before a newcomer's arrival is.
  const texts = await settle(srv, room, froms);
  for (const text of texts) {
    assert.equal(announced(text, 'left').filter((names) => names.includes(Z)).length, 1,
      `announced more than once:\n${text}`);
  }
  const f = bob.raw.length;
  bob.say('/who');
  await bob.waitText(f, 'In the room (3):');
  await bob.waitText(f, new RegExp(`${carol.handle}\\s+(<1m|\\d+m)`));
  assert.doesNotMatch(plain(bob.raw.subarray(f)), new RegExp(Z), 'a ghost in /who');
  // Nor can anyone page the ghost.
  const g = bob.raw.length;
  bob.say(`/page ${Z} hello`);
  await bob.waitText(g, `${Z} is not online.`);
});

test('/quit returns to the menu; the others see the leave; the leaver hears no more', async (t) => {
  const room = await callers(t, ['Alice', 'Bob', 'Carol']);
  const [alice, bob, carol] = room;
  const [A, B, C] = room.map((c) => c.handle);
  const froms = room.map((c) => c.raw.length);
  carol.say('/quit');
  await carol.waitText(froms[2], 'Command');
  await Promise.all([alice, bob].map((c, i) => c.waitText(froms[i], `*** ${C} has left the chat ***`)));
  assert.equal(plain(carol.raw.subarray(froms[2])).includes(`${C} has left`), false, 'told of her own leaving');
  const f = carol.raw.length;
  await sync(alice, [alice, bob], 'after-carol-left');
  // Carol presses Enter (the menu is drawn again): that comes after the line, had
  // it been sent to her.
  const fe = carol.raw.length;
  carol.type('\r');
  await carol.waitText(fe, 'Command');
  assert.equal(carol.raw.indexOf('after-carol-left', f), -1, 'a caller at the menu still gets room traffic');
  // /q works too, and a caller can come back.
  const fb = bob.raw.length;
  bob.say('/Q');
  await bob.waitText(fb, 'Command');
  await alice.waitText(froms[0], `*** ${B} has left the chat ***`);
  await enterChat(carol);
  const s = await carol.text();
  assert.match(s, new RegExp(`Here now: ${A}`));
  assert.doesNotMatch(s, new RegExp(`Here now:.*${B}`));
});
