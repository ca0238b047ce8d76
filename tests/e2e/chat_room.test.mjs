// The teleconference end to end: real WebSocket callers (Node `ws`) whose screens
// are libvterm's.  Three callers in the room (Alice, Bob, Carol) and one at the main
// menu (Dave): public lines and their colours, /me, /msg seen by its two ends only,
// /r, /page ringing only its recipient (also at the menu), offline and unknown
// handles, /who, /help, unknown commands, usage lines, joins and leaves, the input
// line surviving incoming lines, hostile control characters, a caller dropped
// without a close frame, and "In Chat" in who's online.
//
// What a person sees is asserted on the screen; what must never arrive is asserted
// on the connection's raw bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { renderScreen, screenRow, plain, count, bellsIn } from '../lib/screen.mjs';
import { SIZE, newCaller, enterChat, sync } from '../lib/chat.mjs';
import { SLOW, sleep } from '../lib/wait.mjs';

const CONFIG = `[bbs]
password_ops = "min"
password_mem = "min"

[chat]
flood_rate = 1000
flood_burst = 1000
`;

let srv, alice, bob, carol, dave;
const everyone = () => [alice, bob, carol];

before(async () => {
  srv = await startServer({ config: CONFIG });
  alice = await newCaller(srv, 'Alice');
  bob = await newCaller(srv, 'Bob');
  carol = await newCaller(srv, 'Carol');
  dave = await newCaller(srv, 'Dave');           // stays at the main menu
  // An account that exists but is not online.
  const eve = await newCaller(srv, 'Eve');
  await eve.close();
  await enterChat(alice);
  await enterChat(bob);
  await alice.waitText(0, '*** Bob has joined the chat ***');
  await enterChat(carol);
});

after(async () => {
  for (const c of [alice, bob, carol, dave]) c?.ws.terminate();
  if (srv) {
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
});

test('joins: the others are told, the newcomer is not told of itself and sees who is here', async () => {
  await alice.waitText(0, '*** Carol has joined the chat ***');
  await bob.waitText(0, '*** Carol has joined the chat ***');
  await carol.waitText(0, 'Here now: ');
  const welcome = await carol.text();
  assert.match(welcome, /Here now: .*Alice/);
  assert.match(welcome, /Here now: .*Bob/);
  assert.match(welcome, /Type \/help for commands/);
  await sync(alice, everyone(), 'joins-sync');
  assert.equal(count(plain(carol.raw), 'Carol has joined'), 0, 'Carol was told of her own arrival');
  assert.equal(count(plain(bob.raw), 'Bob has joined'), 0, 'Bob was told of his own arrival');
  assert.equal(count(plain(alice.raw), 'Bob has joined the chat'), 1);
  assert.equal(count(plain(alice.raw), 'Carol has joined the chat'), 1);
  assert.equal(count(plain(dave.raw), 'has joined the chat'), 0, 'a caller at the menu heard chat traffic');
});

test('a public line reaches all three, "[HH:MM] Handle: text", handle green, text bright green', async () => {
  const froms = everyone().map((c) => c.raw.length);
  alice.type('hello from alice\r');
  await Promise.all(everyone().map((c, i) => c.waitText(froms[i], 'Alice: hello from alice')));
  for (const c of everyone()) {
    const s = await renderScreen(c.raw, SIZE);
    const row = screenRow(s, /\[\d\d:\d\d\] Alice: hello from alice/);
    assert.ok(row >= 0, `no public line on the screen:\n${s.text.join('\n')}`);
    const line = s.text[row];
    const h = line.indexOf('Alice: ');
    const t = line.indexOf('hello from alice');
    for (let x = h; x < h + 'Alice'.length; x++) {
      assert.equal(s.fg[row][x], '2', `handle colour at column ${x}: ${s.fg[row]}`);
      assert.equal(s.bold[row][x], '.', `handle should not be bold: ${s.bold[row]}`);
    }
    for (let x = t; x < t + 'hello from alice'.length; x++) {
      if (line[x] === ' ') continue;
      assert.equal(s.fg[row][x], '2', `text colour at column ${x}: ${s.fg[row]}`);
      assert.equal(s.bold[row][x], 'B', `text should be bold (bright): ${s.bold[row]}`);
    }
  }
  // The speaker's own line appears once (the typed echo is replaced, not doubled).
  const aliceScreen = await alice.text();
  assert.equal(count(aliceScreen, 'hello from alice'), 1, aliceScreen);
});

test('/me acts it out: "* Bob waves" for everyone, no timestamp, no colon', async () => {
  const froms = everyone().map((c) => c.raw.length);
  bob.type('/me waves\r');
  await Promise.all(everyone().map((c, i) => c.waitText(froms[i], '* Bob waves')));
  for (const c of everyone()) {
    const s = await c.text();
    assert.match(s, /^\* Bob waves$/m);
    assert.doesNotMatch(s, /Bob: \/me/);
    assert.doesNotMatch(s, /\] \* Bob waves/);
  }
});

test('/msg is seen by its two ends and not one byte of it reaches the third', async () => {
  const secret = 'secret-pineapple-42';
  const [fa, fb, fc] = everyone().map((c) => c.raw.length);
  const [ba, bb, bc] = everyone().map((c) => c.bells);
  alice.type(`/msg Bob ${secret}\r`);
  await bob.waitText(fb, `*Alice* (private): ${secret}`);
  await alice.waitText(fa, `-> Bob (private): ${secret}`);
  // Everything the server wrote before this public line has reached Carol.
  await sync(bob, everyone(), 'after-the-secret');
  assert.equal(carol.raw.indexOf(secret), -1, 'the third connection received the private text');
  assert.equal(carol.raw.indexOf('(private)'), -1, 'the third connection received a private line');
  assert.equal(plain(carol.raw.subarray(fc)).includes('Alice'), false, 'the third saw something of Alice');
  // The recipient's bell rang once; nobody else's did.
  assert.equal(bob.bells - bb, 1, 'recipient bell');
  assert.equal(alice.bells - ba, 0, 'sender bell');
  assert.equal(carol.bells - bc, 0, 'third bell');
  // On screen, with the timestamp.
  assert.match(await bob.text(), /\[\d\d:\d\d\] \*Alice\* \(private\): secret-pineapple-42/);
  assert.match(await alice.text(), /\[\d\d:\d\d\] -> Bob \(private\): secret-pineapple-42/);
});

test('/r replies to whoever last sent a private message', async () => {
  // Bob last heard from Alice.
  let [fa, fb, fc] = everyone().map((c) => c.raw.length);
  bob.type('/r reply-mango-7\r');
  await alice.waitText(fa, '*Bob* (private): reply-mango-7');
  await bob.waitText(fb, '-> Alice (private): reply-mango-7');
  // Now Carol writes to Bob; Bob's /r goes to Carol, not Alice.
  [fa, fb, fc] = everyone().map((c) => c.raw.length);
  carol.type('/msg bob from-carol-fig\r');              // handles are case-insensitive
  await bob.waitText(fb, '*Carol* (private): from-carol-fig');
  bob.type('/R reply-kiwi-9\r');                          // commands too
  await carol.waitText(fc, '*Bob* (private): reply-kiwi-9');
  await bob.waitText(fb, '-> Carol (private): reply-kiwi-9');
  await sync(bob, everyone(), 'after-the-replies');
  assert.equal(alice.raw.indexOf('reply-kiwi-9'), -1, '/r went to the wrong person too');
  assert.equal(alice.raw.indexOf('from-carol-fig'), -1);
  assert.equal(carol.raw.indexOf('reply-mango-7'), -1);
  // Nobody has written to Dave's... and someone who got no DM cannot /r.
  const d = await newCaller(srv, 'Frank');
  try {
    await enterChat(d);
    const f = d.raw.length;
    d.type('/r anyone\r');
    await d.waitText(f, 'Nobody has sent you a private message yet.');
  } finally {
    await d.close();
  }
});

test('/page rings only the recipient, in the room and at the main menu', async () => {
  const all = [alice, bob, carol, dave];
  let froms = all.map((c) => c.raw.length);
  let rang = all.map((c) => c.bells);
  alice.type('/page Carol wake-up-call\r');
  await carol.waitText(froms[2], '*** Page from Alice: wake-up-call ***');
  await alice.waitText(froms[0], '*** Page sent to Carol ***');
  await sync(alice, everyone(), 'after-page-1');
  assert.deepEqual(all.map((c, i) => c.bells - rang[i]), [0, 0, 1, 0], 'BELs per connection (Alice, Bob, Carol, Dave)');
  assert.equal(bob.raw.indexOf('wake-up-call'), -1, 'a third party received the page');
  assert.equal(dave.raw.indexOf('wake-up-call'), -1);

  // Dave is at the main menu, not in the room: the page reaches him there.
  froms = all.map((c) => c.raw.length);
  rang = all.map((c) => c.bells);
  bob.type('/page dave come-to-chat\r');
  await dave.waitText(froms[3], '*** Page from Bob: come-to-chat ***');
  await bob.waitText(froms[1], '*** Page sent to Dave ***');
  await sync(bob, everyone(), 'after-page-2');
  assert.deepEqual(all.map((c, i) => c.bells - rang[i]), [0, 0, 0, 1], 'BELs per connection (Alice, Bob, Carol, Dave)');
  assert.ok(await dave.waitFor('Page from Bob: come-to-chat'));
  assert.equal(alice.raw.indexOf('come-to-chat'), -1);
  assert.equal(carol.raw.indexOf('come-to-chat'), -1);

  // A page without text.
  froms = all.map((c) => c.raw.length);
  rang = all.map((c) => c.bells);
  carol.type('/page Bob\r');
  await bob.waitText(froms[1], '*** Carol is paging you! ***');
  await sync(carol, everyone(), 'after-page-3');
  assert.deepEqual(all.map((c, i) => c.bells - rang[i]), [0, 1, 0, 0]);
});

test('paging or messaging someone offline or unknown says so, and rings nobody', async () => {
  const rang = [alice, bob, carol, dave].map((c) => c.bells);
  let f = alice.raw.length;
  alice.type('/page Eve are you there\r');                 // registered, not online
  await alice.waitText(f, 'Eve is not online.');
  f = alice.raw.length;
  alice.type('/page Nobodyatall hello\r');                 // no such account
  await alice.waitText(f, 'Nobodyatall is not online.');
  f = alice.raw.length;
  alice.type('/msg Eve psst\r');
  await alice.waitText(f, 'Eve is not online.');
  await sync(alice, everyone(), 'after-offline');
  assert.deepEqual([alice, bob, carol, dave].map((c, i) => c.bells - rang[i]), [0, 0, 0, 0]);
  assert.equal(bob.raw.indexOf('not online'), -1, 'the notice went to others too');
});

test('/who lists the room, and only the room', async () => {
  const f = bob.raw.length;
  bob.type('/who\r');
  const text = await bob.waitText(f, 'In the room (3):');
  await bob.waitText(f, /Carol\s+(<1m|\d+m)/);
  const after = plain(bob.raw.subarray(f));
  for (const h of ['Alice', 'Bob', 'Carol']) assert.match(after, new RegExp(`^\\s*${h}\\s+(<1m|\\d+m)`, 'm'));
  assert.doesNotMatch(after, /Dave/, 'a caller at the menu listed in the room');
  void text;
  // Only the asker sees it.
  await sync(bob, everyone(), 'after-who');
  assert.equal(plain(alice.raw).includes('In the room ('), false);
});

test('/help and /? list the commands', async () => {
  for (const cmd of ['/help', '/?', '/HELP']) {
    const f = carol.raw.length;
    carol.type(`${cmd}\r`);
    await carol.waitText(f, '/quit');
    const got = plain(carol.raw.subarray(f));
    for (const usage of ['/me <action>', '/msg <handle> <text>', '/r <text>', '/page <handle> [text]', '/who', '/help']) {
      assert.ok(got.includes(usage), `${cmd}: "${usage}" missing from\n${got}`);
    }
    // A plain user is not shown the sysop's command.
    assert.ok(!got.includes('/sysop'), `${cmd} shows /sysop to a plain user`);
  }
  await sync(carol, everyone(), 'after-help');
  assert.equal(plain(alice.raw).includes('/page <handle>'), false, 'help went to others');
});

test('an unknown command is refused and said to no one', async () => {
  const froms = everyone().map((c) => c.raw.length);
  alice.type('/frobnicate the thing\r');
  await alice.waitText(froms[0], 'Unknown command. Type /help for available commands.');
  await sync(alice, everyone(), 'after-unknown');
  assert.equal(bob.raw.indexOf('frobnicate'), -1);
  assert.equal(carol.raw.indexOf('frobnicate'), -1);
  assert.equal(bob.raw.indexOf('Unknown command'), -1);
});

test('a command missing its arguments gets its usage line', async () => {
  const cases = [
    ['/msg', 'Usage: /msg <handle> <text>'],
    ['/msg Bob', 'Usage: /msg <handle> <text>'],
    ['/page', 'Usage: /page <handle> [text]'],
    ['/me', 'Usage: /me <action>'],
    ['/r', 'Usage: /r <text>'],
  ];
  const froms = everyone().map((c) => c.raw.length);
  const rang = everyone().map((c) => c.bells);
  for (const [line, usage] of cases) {
    const f = alice.raw.length;
    alice.type(`${line}\r`);
    await alice.waitText(f, usage);
  }
  await sync(alice, everyone(), 'after-usage');
  assert.equal(plain(bob.raw.subarray(froms[1])).includes('Usage'), false);
  assert.deepEqual(everyone().map((c, i) => c.bells - rang[i]), [0, 0, 0], 'a refused /msg rang a bell');
});

test('the input line survives: a half-typed line is redrawn under an incoming one and sent intact', async () => {
  const fc = carol.raw.length;
  carol.type('half typed');
  await carol.waitText(fc, 'half typed');
  const fb = bob.raw.length;
  alice.type('interrupting-line\r');
  await carol.waitText(fc, 'Alice: interrupting-line');
  await bob.waitText(fb, 'Alice: interrupting-line');
  await sleep(100);
  let s = await renderScreen(carol.raw, SIZE);
  const said = screenRow(s, /\[\d\d:\d\d\] Alice: interrupting-line/);
  const prompt = s.text.findLastIndex((r) => r.trim() !== '');
  assert.ok(said >= 0, s.text.join('\n'));
  assert.equal(s.text[prompt], '> half typed', `the prompt row:\n${s.text.join('\n')}`);
  assert.ok(said < prompt, 'the new line is above the prompt');
  assert.deepEqual(s.cursor, [prompt, '> half typed'.length], 'the cursor is at the end of the typed text');
  assert.equal(count(s.text.join('\n'), 'half typed'), 1, `the typed text is shown once:\n${s.text.join('\n')}`);
  // Finish the line: it goes out whole.
  const froms = everyone().map((c) => c.raw.length);
  carol.type(' and done\r');
  await Promise.all(everyone().map((c, i) => c.waitText(froms[i], 'Carol: half typed and done')));
  s = await renderScreen(carol.raw, SIZE);
  assert.equal(s.text[s.text.findLastIndex((r) => r.trim() !== '')], '>', 'the prompt is empty again');
});

test('control characters typed by a caller reach nobody: no ESC, no BEL but the server\'s own', async () => {
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
  await sync(carol, everyone(), 'after-hostile');
  for (const [i, c] of others.entries()) {
    const got = c.raw.subarray(froms[i]);
    assert.equal(bellsIn(got), 0, 'a BEL reached another caller');
    const stripped = got.toString('utf8')
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/\x1b\[K/g, '')
      .replace(/\x1b\[A/g, '')
      .replace(/\x1b\[2J/g, '')
      .replace(/\x1b\[H/g, '');
    assert.ok(!stripped.includes('\x1b'), `an ESC reached another caller: ${JSON.stringify(stripped)}`);
    assert.ok(!/[\u0080-\u009f]/.test(stripped), `a C1 control reached another caller: ${JSON.stringify(stripped)}`);
    assert.ok(!/[\x00\x08\x7f]/.test(stripped), `NUL/BS/DEL reached another caller`);
    // Every CR the others got is the server's own: CR LF, or CR ESC[K (over the prompt).
    const sgrless = got.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
    assert.ok(!/\r(?!\n|\x1b\[K)/.test(sgrless), `a bare CR reached another caller: ${JSON.stringify(sgrless)}`);
    // The words arrive, as Carol's.
    assert.ok(stripped.includes('Carol: ringring') || stripped.includes('Carol: ring'), stripped);
    assert.ok(stripped.includes('* Carol '), stripped);
  }
  // On the screen: nobody else is clearing screens or putting "FAKE:" at a line start.
  const s = await renderScreen(bob.raw, SIZE);
  for (const row of s.text) {
    if (row.includes('FAKE')) assert.match(row, /(Carol: |\* Carol ).*FAKE|^\s*FAKE.*$/, row);
    assert.doesNotMatch(row, /^FAKE: /, `a forged line: ${row}`);
  }
  assert.ok(screenRow(s, 'Carol: clearscreen') >= 0 || screenRow(s, 'Carol: clear') >= 0,
    `the screen was cleared or the line lost:\n${s.text.join('\n')}`);
  assert.deepEqual(others.map((c, i) => c.bells - rang[i]), [0, 0]);
  // In a private message, the recipient hears exactly the one BEL the server sends.
  const f = bob.raw.length;
  const b0 = bob.bells;
  carol.type('/msg Bob bell\x07in\x1b[2Jdm\r');
  await bob.waitText(f, '*Carol* (private): bell');
  await sync(carol, everyone(), 'after-hostile-dm');
  assert.equal(bob.bells - b0, 1, 'a DM carried a BEL of the caller\'s');
  const dm = bob.raw.subarray(f).toString('utf8').replace(/\x1b\[[0-9;]*[mKAHJ]/g, '');
  assert.ok(!dm.includes('\x1b'), JSON.stringify(dm));
  // A page to a caller at the main menu: one BEL (the server's), no ESC of Carol's.
  const fd = dave.raw.length;
  const d0 = dave.bells;
  carol.type('/page Dave page\x07bell\x1b]0;t\x07\x1b[2Jhere\u009b2J\r');
  await dave.waitText(fd, '*** Page from Carol: page');
  await sleep(300 * SLOW);
  assert.equal(dave.bells - d0, 1, 'a page carried a BEL of the caller\'s');
  const pg = dave.raw.subarray(fd).toString('utf8').replace(/\x1b\[[0-9;]*[mKAHJ]/g, '');
  assert.ok(!pg.includes('\x1b') && !/[\u0080-\u009f]/.test(pg), JSON.stringify(pg));
  assert.match(plain(dave.raw.subarray(fd)), /\*\*\* Page from Carol: page[^\r\n]*here[^\r\n]* \*\*\*/);
});

test('"In Chat" shows in who\'s online from the main menu', async () => {
  // Dave is at the menu (a page printed above it); press W.
  const f = dave.raw.length;
  dave.type('W');
  await dave.waitText(f, 'nodes in use');
  const s = await dave.text();
  for (const h of ['Alice', 'Bob', 'Carol']) assert.match(s, new RegExp(`${h}\\s.*In Chat`), s);
  assert.doesNotMatch(s, /Dave\s.*In Chat/, s);
  dave.type('\r');
  await dave.waitFor('Command');
});

test('a caller dropped without a close frame leaves exactly once and is gone from /who', async () => {
  const zed = await newCaller(srv, 'Zed');
  await enterChat(zed);
  await alice.waitText(0, '*** Zed has joined the chat ***');
  const froms = everyone().map((c) => c.raw.length);
  await zed.reset();
  await Promise.all(everyone().map((c, i) => c.waitText(froms[i], '*** Zed has left the chat ***')));
  await sleep(1500 * SLOW);                 // time for a second announcement, if any
  await sync(alice, everyone(), 'after-the-drop');
  for (const [i, c] of everyone().entries()) {
    assert.equal(count(plain(c.raw.subarray(froms[i])), 'Zed has left'), 1, 'announced more than once');
  }
  const f = bob.raw.length;
  bob.type('/who\r');
  await bob.waitText(f, 'In the room (3):');
  await bob.waitText(f, /Carol\s+(<1m|\d+m)/);
  assert.doesNotMatch(plain(bob.raw.subarray(f)), /Zed/, 'a ghost in /who');
  // Nor can anyone page the ghost.
  const g = bob.raw.length;
  bob.type('/page Zed hello\r');
  await bob.waitText(g, 'Zed is not online.');
});

test('/quit returns to the menu; the others see the leave; the leaver hears no more', async () => {
  const froms = everyone().map((c) => c.raw.length);
  carol.type('/quit\r');
  await carol.waitText(froms[2], 'Command');
  await Promise.all([alice, bob].map((c, i) => c.waitText(froms[i], '*** Carol has left the chat ***')));
  assert.equal(plain(carol.raw.subarray(froms[2])).includes('Carol has left'), false, 'told of her own leaving');
  const f = carol.raw.length;
  await sync(alice, [alice, bob], 'after-carol-left');
  await sleep(200);
  assert.equal(carol.raw.indexOf('after-carol-left', f), -1, 'a caller at the menu still gets room traffic');
  // /q works too, and a caller can come back.
  const fb = bob.raw.length;
  bob.type('/Q\r');
  await bob.waitText(fb, 'Command');
  await alice.waitText(froms[0], '*** Bob has left the chat ***');
  await enterChat(carol);
  const s = await carol.text();
  assert.match(s, /Here now: Alice/);
  assert.doesNotMatch(s, /Here now:.*Bob/);
});
