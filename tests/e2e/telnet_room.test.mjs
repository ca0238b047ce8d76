// Telnet callers in the same BBS and the same room as WebSocket callers (issue 5),
// end to end: a UTF-8 telnet caller (TTYPE xterm) and a CP437 one (TTYPE SyncTERM)
// register and log in over telnet, walk to the chat, and talk with a browser-side
// caller: public lines and /me both ways, /msg and /page across transports with the
// BEL counted on the recipient only, non-ASCII text and the welcome art arriving as
// CP437 bytes to the CP437 caller and as UTF-8 to everyone else, NAWS changes
// redrawing the menu, and a telnet caller who drops announced as gone once.
//
// What a person sees is asserted on the screen (libvterm); encodings and what must
// never arrive are asserted on the connection's raw bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { TelnetCaller, cp437Decode, cp437Encode } from '../lib/telnet.mjs';
import { renderScreen, screenRow, count, isUtf8 } from '../lib/screen.mjs';
import { SIZE, enterChat, sync, settle, announced } from '../lib/chat.mjs';

const CONFIG = `[bbs]
password_ops = "min"
password_mem = "min"

[chat]
flood_rate = 1000
flood_burst = 1000
`;
const BOX_UTF8 = Buffer.from('╔', 'utf8');            // E2 95 94
const DOUBLE_UTF8 = Buffer.from('═', 'utf8');         // E2 95 90

const high = (buf) => [...buf].filter((b) => b >= 0x80);
// Where a caller's received bytes stand now (terminal bytes for a telnet caller).
const offset = (c) => c.raw.length;

let srv;
let tess;          // telnet, TTYPE xterm -> UTF-8
let cora;          // telnet, TTYPE SyncTERM -> CP437
let wendy;         // WebSocket
let tessWelcome, coraWelcome;   // their bytes up to the handle prompt
const room = () => [tess, cora, wendy];

before(async () => {
  srv = await startServer({ config: CONFIG });
  tess = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm-256color', ...SIZE });
  cora = await TelnetCaller.connect(srv.telnetPort, { ttype: 'SyncTERM', ...SIZE });
  wendy = await Caller.connect(srv.wsUrl, SIZE);
  await tess.waitFor('Enter your handle');
  await cora.waitFor('Enter your handle');
  tessWelcome = Buffer.from(tess.raw);
  coraWelcome = Buffer.from(cora.raw);
  await Promise.all([
    tess.register('Tess', PASSWORD, 'Telnetville'),
    cora.register('Cora', PASSWORD, 'Codepage'),
    wendy.register('Wendy', PASSWORD, 'Webton'),
  ]);
  await enterChat(wendy);
  await enterChat(tess);
  await wendy.waitText(0, '*** Tess has joined the chat ***');
  await enterChat(cora);
  await wendy.waitText(0, '*** Cora has joined the chat ***');
  await tess.waitText(0, '*** Cora has joined the chat ***');
});

after(async () => {
  for (const c of [tess, cora]) c?.destroy();
  wendy?.ws.terminate();
  if (srv) {
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
});

test('the welcome art is UTF-8 for the xterm caller and CP437 bytes for the SyncTERM one', async () => {
  assert.ok(tessWelcome.includes(BOX_UTF8), 'xterm: ╔ as E2 95 94');
  assert.ok(tessWelcome.includes(DOUBLE_UTF8), 'xterm: ═ as E2 95 90');
  assert.ok(isUtf8(tessWelcome), 'xterm: the welcome is valid UTF-8');
  assert.ok(coraWelcome.includes(Buffer.from([0xc9, 0xcd])), 'SyncTERM: ╔═ as C9 CD');
  assert.ok(coraWelcome.includes(Buffer.from([0xcd, 0xcd, 0xcd])), 'SyncTERM: ═══ as CD CD CD');
  assert.ok(!coraWelcome.includes(BOX_UTF8) && !coraWelcome.includes(DOUBLE_UTF8), 'SyncTERM: UTF-8 box drawing');
  assert.ok(!isUtf8(coraWelcome), 'SyncTERM: the welcome should not be valid UTF-8');
  // Neither was asked which box looks right.
  for (const w of [tessWelcome, coraWelcome]) assert.equal(w.indexOf('Which box'), -1);
  // Decoded as CP437, the SyncTERM caller's screen shows the same art as the xterm's.
  const sc = (await renderScreen(Buffer.from(cp437Decode(coraWelcome), 'utf8'), SIZE)).text.join('\n');
  const st = (await renderScreen(tessWelcome, SIZE)).text.join('\n');
  assert.match(sc, /╔═/);
  assert.match(sc, /Enter your handle/);
  const nodeless = (t) => t.replace(/node \d+ of/, 'node N of');
  assert.equal(nodeless(sc), nodeless(st), 'the two screens differ');
});

test('public lines both ways: the WebSocket caller and the telnet callers see each other', async () => {
  let froms = room().map(offset);
  tess.type('hello from telnet\r\n');
  await Promise.all(room().map((c, i) => c.waitText(froms[i], 'Tess: hello from telnet')));
  froms = room().map(offset);
  wendy.type('hello from the browser\r');
  await Promise.all(room().map((c, i) => c.waitText(froms[i], 'Wendy: hello from the browser')));
  froms = room().map(offset);
  cora.type('hello from syncterm\r\n');
  await Promise.all(room().map((c, i) => c.waitText(froms[i], 'Cora: hello from syncterm')));
  for (const c of room()) {
    const s = await c.text();
    for (const line of [/\[\d\d:\d\d\] Tess: hello from telnet$/m, /\[\d\d:\d\d\] Wendy: hello from the browser$/m,
      /\[\d\d:\d\d\] Cora: hello from syncterm$/m]) {
      assert.match(s, line, `${c === wendy ? 'Wendy' : c === tess ? 'Tess' : 'Cora'}'s screen:\n${s}`);
    }
    // Each line once: the speaker's own typed echo is replaced, not doubled.
    assert.equal(count(s, 'hello from telnet'), 1, s);
    assert.equal(count(s, 'hello from syncterm'), 1, s);
  }
  // The colours a telnet caller sees are the ones the browser sees.
  const s = await renderScreen(tess.decoded(), SIZE);
  const row = screenRow(s, /Wendy: hello from the browser/);
  const x = s.text[row].indexOf('Wendy');
  assert.equal(s.fg[row][x], '2', 'handle in green');
  assert.equal(s.bold[row][s.text[row].indexOf('hello')], 'B', 'text bright');
});

test('/me both ways: "* Handle action" for everyone', async () => {
  let froms = room().map(offset);
  tess.type('/me waves from a terminal\r\n');
  await Promise.all(room().map((c, i) => c.waitText(froms[i], '* Tess waves from a terminal')));
  froms = room().map(offset);
  wendy.type('/me waves back from a browser\r');
  await Promise.all(room().map((c, i) => c.waitText(froms[i], '* Wendy waves back from a browser')));
  for (const c of room()) {
    const s = await c.text();
    assert.match(s, /^\* Tess waves from a terminal$/m, s);
    assert.match(s, /^\* Wendy waves back from a browser$/m, s);
    assert.doesNotMatch(s, /: \/me/, s);
  }
});

test('/msg across transports both ways: two ends only, one BEL for the recipient', async () => {
  // Telnet -> WebSocket.
  let froms = room().map(offset);
  let rang = room().map((c) => c.bells);
  tess.type('/msg Wendy secret-telnet-to-web\r\n');
  await wendy.waitText(froms[2], '*Tess* (private): secret-telnet-to-web');
  await tess.waitText(froms[0], '-> Wendy (private): secret-telnet-to-web');
  await sync(wendy, room(), 'after-dm-1');
  assert.deepEqual(room().map((c, i) => c.bells - rang[i]), [0, 0, 1], 'BELs (Tess, Cora, Wendy)');
  assert.equal(cora.raw.indexOf('secret-telnet-to-web'), -1, 'the third caller got the DM');
  assert.equal(cora.raw.indexOf('(private)'), -1);
  assert.match(await wendy.text(), /\[\d\d:\d\d\] \*Tess\* \(private\): secret-telnet-to-web/);

  // WebSocket -> telnet, handles case-insensitive.
  froms = room().map(offset);
  rang = room().map((c) => c.bells);
  wendy.type('/msg tess secret-web-to-telnet\r');
  await tess.waitText(froms[0], '*Wendy* (private): secret-web-to-telnet');
  await wendy.waitText(froms[2], '-> Tess (private): secret-web-to-telnet');
  await sync(tess, room(), 'after-dm-2');
  assert.deepEqual(room().map((c, i) => c.bells - rang[i]), [1, 0, 0], 'BELs (Tess, Cora, Wendy)');
  assert.equal(cora.raw.indexOf('secret-web-to-telnet'), -1, 'the third caller got the DM');
  assert.match(await tess.text(), /\[\d\d:\d\d\] \*Wendy\* \(private\): secret-web-to-telnet/);

  // The CP437 telnet caller replies with /r to the UTF-8 telnet one: the two ends only.
  froms = room().map(offset);
  rang = room().map((c) => c.bells);
  tess.type('/msg Cora ping-cora\r\n');
  await cora.waitText(froms[1], '*Tess* (private): ping-cora');
  cora.type('/r pong-tess\r\n');
  await tess.waitText(froms[0], '*Cora* (private): pong-tess');
  await sync(wendy, room(), 'after-dm-3');
  assert.deepEqual(room().map((c, i) => c.bells - rang[i]), [1, 1, 0], 'BELs (Tess, Cora, Wendy)');
  assert.equal(wendy.raw.indexOf('ping-cora'), -1);
  assert.equal(wendy.raw.indexOf('pong-tess'), -1);
});

test('/page across transports both ways rings the recipient only', async () => {
  let froms = room().map(offset);
  let rang = room().map((c) => c.bells);
  wendy.type('/page Tess wake-up-telnet\r');
  await tess.waitText(froms[0], '*** Page from Wendy: wake-up-telnet ***');
  await wendy.waitText(froms[2], '*** Page sent to Tess ***');
  await sync(wendy, room(), 'after-page-1');
  assert.deepEqual(room().map((c, i) => c.bells - rang[i]), [1, 0, 0], 'BELs (Tess, Cora, Wendy)');
  assert.equal(cora.raw.indexOf('wake-up-telnet'), -1, 'a third party received the page');

  froms = room().map(offset);
  rang = room().map((c) => c.bells);
  tess.type('/page wendy wake-up-web\r\n');
  await wendy.waitText(froms[2], '*** Page from Tess: wake-up-web ***');
  await tess.waitText(froms[0], '*** Page sent to Wendy ***');
  await sync(tess, room(), 'after-page-2');
  assert.deepEqual(room().map((c, i) => c.bells - rang[i]), [0, 0, 1], 'BELs (Tess, Cora, Wendy)');
  assert.equal(cora.raw.indexOf('wake-up-web'), -1, 'a third party received the page');
  assert.match(await wendy.text(), /Page from Tess: wake-up-web/);

  // A telnet caller at the main menu is paged too, and its bell rings there.
  const mel = await TelnetCaller.connect(srv.telnetPort, { ttype: 'ANSI', ...SIZE });
  try {
    await mel.register('Mel', PASSWORD);
    const fm = offset(mel);
    const bm = mel.bells;
    rang = room().map((c) => c.bells);
    wendy.type('/page Mel come-chat\r');
    await mel.waitText(fm, '*** Page from Wendy: come-chat ***');
    await sync(wendy, room(), 'after-page-3');
    assert.equal(mel.bells - bm, 1, 'the paged caller at the menu');
    assert.deepEqual(room().map((c, i) => c.bells - rang[i]), [0, 0, 0], 'BELs in the room');
  } finally {
    mel.destroy();
  }
});

test('CP437 and UTF-8 callers in one room each get correctly encoded bytes', async () => {
  const text = 'café ─ ╔';
  // From the browser.
  tess.mark();
  cora.mark();
  let fw = offset(wendy);
  wendy.type(`${text}\r`);
  await cora.waitText(cora.marked, `Wendy: ${text}`);
  await tess.waitText(tess.marked, `Wendy: ${text}`);
  await wendy.waitText(fw, `Wendy: ${text}`);
  await sync(wendy, room(), 'after-cp437-1');
  let c437 = cora.sinceMark();
  assert.deepEqual(high(c437), [0x82, 0xc4, 0xc9], `CP437 caller's non-ASCII bytes: ${c437.toString('hex')}`);
  assert.ok(c437.includes(Buffer.from([0x63, 0x61, 0x66, 0x82, 0x20, 0xc4, 0x20, 0xc9])), 'caf\\x82 \\xc4 \\xc9');
  assert.equal(c437.indexOf(Buffer.from('é', 'utf8')), -1, 'a UTF-8 é reached the CP437 caller');
  let u8 = tess.sinceMark();
  assert.ok(u8.includes(Buffer.from(text, 'utf8')), 'UTF-8 text for the xterm caller');
  assert.ok(isUtf8(u8), 'the xterm caller got invalid UTF-8');
  assert.ok(!u8.includes(Buffer.from([0x82])), 'a CP437 byte reached the xterm caller');
  assert.ok(wendy.raw.subarray(fw).includes(Buffer.from(text, 'utf8')));
  // The screens agree.
  for (const c of room()) assert.match(await c.text(), /Wendy: café ─ ╔$/m);

  // From the CP437 caller: typed as CP437 bytes, everyone else gets UTF-8.
  const t2 = 'naïve ░▒▓ ½ ╚═╝';
  const typed = cp437Encode(t2);
  assert.ok(typed.includes(0x8b) && typed.includes(0xb0), 'the test types real CP437 bytes');
  tess.mark();
  cora.mark();
  fw = offset(wendy);
  cora.type(`${t2}\r\n`);
  await wendy.waitText(fw, `Cora: ${t2}`);
  await tess.waitText(tess.marked, `Cora: ${t2}`);
  await cora.waitText(cora.marked, `Cora: ${t2}`);
  await sync(wendy, room(), 'after-cp437-2');
  assert.ok(wendy.raw.subarray(fw).includes(Buffer.from(t2, 'utf8')), 'the browser got UTF-8');
  assert.ok(tess.sinceMark().includes(Buffer.from(t2, 'utf8')), 'the xterm caller got UTF-8');
  assert.ok(isUtf8(tess.sinceMark()));
  // Cora's own line comes back in CP437 (the room line, after her typed echo).
  c437 = cora.sinceMark();
  const line = c437.subarray(c437.indexOf(Buffer.from('Cora: ')));
  assert.ok(line.includes(typed), `the CP437 caller's own line: ${line.toString('hex')}`);
  assert.equal(c437.indexOf(Buffer.from('▒', 'utf8')), -1);

  // From the UTF-8 telnet caller to the CP437 one.
  cora.mark();
  tess.type('über ╬ ü\r\n');
  await cora.waitText(cora.marked, 'Tess: über ╬ ü');
  await sync(wendy, room(), 'after-cp437-3');
  u8 = cora.sinceMark();
  assert.deepEqual(high(u8), [0x81, 0xce, 0x81], `CP437 caller's non-ASCII bytes: ${u8.toString('hex')}`);
  assert.match(await wendy.text(), /Tess: über ╬ ü$/m);
});

test('NAWS changes are honoured: the menu is redrawn to fit, its box min(cols - 1, 79) wide', async () => {
  const nina = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', cols: 80, rows: 24 });
  try {
    await nina.register('Nina', PASSWORD);
    const box = (inner) => new RegExp(`^╔═{${inner}}╗$`, 'm');
    let s = await nina.waitFor(box(77));
    assert.match(s, /^║ Carrier BBS .* Main Menu ║$/m);
    // Narrow: 40 columns (the box is 39 wide, one column of items).
    nina.mark();
    nina.resize(40, 20);
    s = await nina.waitFor(box(37));
    assert.match(s, /^╚═{37}╝$/m);
    for (const row of s.split('\n')) assert.ok([...row].length <= 40, `wider than 40: ${row}`);
    assert.match(s, /^║ {2}\[C\] Chat \(Teleconference\) +║$/m, `one column of items at 40:\n${s}`);
    assert.ok(nina.sinceMark().includes(Buffer.from('\x1b[2J')), 'redrawn from a clear screen');
    // 60 columns: 59 wide.
    nina.resize(60, 25);
    s = await nina.waitFor(box(57));
    // Wide: 100 columns, the box stops at 79, two columns of items.
    nina.resize(100, 30);
    s = await nina.waitFor(box(77));
    assert.match(s, /^║ {2}\[C\] Chat \(Teleconference\) +\[U\] User Lookup +║$/m, s);
  } finally {
    nina.destroy();
  }
});

test('a telnet caller who drops is announced as gone once and is absent from /who', async () => {
  const dora = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', ...SIZE });
  await dora.register('Dora', PASSWORD);
  let froms = room().map(offset);
  await enterChat(dora);
  await Promise.all(room().map((c, i) => c.waitText(froms[i], '*** Dora has joined the chat ***')));
  froms = room().map(offset);
  await dora.reset();                      // no /quit, no goodbye, a TCP reset
  await Promise.all(room().map((c, i) => c.waitText(froms[i], '*** Dora has left the chat ***')));
  // Any second announcement would be out before a newcomer's arrival is.
  const texts = await settle(srv, room(), froms);
  for (const text of texts) {
    assert.equal(announced(text, 'left').filter((names) => names.includes('Dora')).length, 1,
      `announced more than once:\n${text}`);
  }
  for (const c of [wendy, tess]) {
    const f = offset(c);
    c.say('/who');
    await c.waitText(f, 'In the room (3):');
    await c.waitText(f, /Wendy\s+(<1m|\d+m)/);
    const who = c.plain(f);
    for (const h of ['Tess', 'Cora', 'Wendy']) assert.match(who, new RegExp(`^\\s*${h}\\s+(<1m|\\d+m)`, 'm'), who);
    assert.doesNotMatch(who, /Dora/, 'a ghost in /who');
  }
  const g = offset(wendy);
  wendy.type('/page Dora hello\r');
  await wendy.waitText(g, 'Dora is not online.');
});
