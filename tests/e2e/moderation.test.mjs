// The sysop's hand, end to end: /kick, /mute, /ban, /broadcast from the room (a
// moderator made with `carrier user`, a room's owner, a sysop; a caller who may not
// is refused with one line), their expiry, a banned caller refused at login and
// hung up when online, the sysop's /who and Who's Online, the audit log through
// `carrier audit`, and the same deeds from the shell through `carrier ctl`.
// WebSocket callers (screens through libvterm) and a telnet caller.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startServer, carrierBin, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { TelnetCaller } from '../lib/telnet.mjs';
import { SIZE } from '../lib/chat.mjs';
import { sleep, SLOW } from '../lib/wait.mjs';

const KICK_S = 2, MUTE_S = 2;
const CONFIG = `[bbs]
${FAST}
sysop_handles = ["Opal"]
moderator_level = 50

[chat]
flood_rate = 1000
flood_burst = 1000
coalesce_ms = 0
kick_seconds = ${KICK_S}
mute_seconds = ${MUTE_S}

[[chat.room]]
name = "Lobby"

[[chat.room]]
name = "Games"
`;

let srv;
let n = 0;
const handle = (base) => `${base}${String(++n).padStart(2, '0')}`;

before(async () => { srv = await startServer({ config: CONFIG }); });
after(async () => { await srv?.stop(); });

/** Run `carrier ARGS...` on the test server's settings and database. */
function carrier(args, input) {
  return new Promise((resolve) => {
    const p = execFile(carrierBin, ['--config', join(srv.dir, 'carrier.toml'),
      '--db', srv.db, ...args], { cwd: srv.dir }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
    if (input !== undefined) p.stdin.end(input);
  });
}

/** A registered caller at the main menu; level set through `carrier user` first. */
async function caller(t, base, level) {
  const h = handle(base);
  if (level !== undefined) {
    const r = await carrier(['user', 'add', h, '--level', String(level)], `${PASSWORD}\n`);
    assert.equal(r.code, 0, r.stderr);
  }
  const c = await Caller.connect(srv.wsUrl, SIZE);
  t.after(() => c.terminate());
  c.handle = h;
  if (level !== undefined) await c.login(h);
  else await c.register(h, PASSWORD);
  return c;
}

async function enter(c) {
  const from = c.raw.length;
  c.type('C');
  await c.waitText(from, '*** Welcome to Lobby ***');
}

async function inLobby(t, ...who) {
  const cs = [];
  for (const [base, level] of who) {
    const c = await caller(t, base, level);
    await enter(c);
    cs.push(c);
  }
  return cs;
}

async function run(c, line, answer) {
  const from = c.raw.length;
  c.say(line);
  return c.waitText(from, answer);
}

async function sync(c, all, word) {
  const froms = all.map((x) => x.raw.length);
  c.say(word);
  await Promise.all(all.map((x, i) => x.waitText(froms[i], `: ${word}`)));
}

test('a moderator kicks: the room sees why, the caller is at the menu and kept out until the time is up', async (t) => {
  const [mod, bob, ann] = await inLobby(t, ['Mod', 50], ['Bob'], ['Ann']);
  await run(mod, `/kick ${bob.handle} too loud`, `${bob.handle} was kicked out of Lobby for ${KICK_S} seconds.`);
  await ann.waitText(0, `*** ${bob.handle} was kicked by ${mod.handle} (too loud) ***`);
  await bob.waitText(0, `${mod.handle} kicked you out of Lobby (too loud). You may come back in 1 minute.`);
  await bob.waitScreen(/Command/);
  // Kept out of that room (and told for how long), not out of the others.
  let from = bob.raw.length;
  bob.type('C');
  await bob.waitText(from, 'You were kicked out of Lobby: you may come back in 1 minute.');
  // Lines said meanwhile never reach him.
  from = bob.raw.length;
  await sync(ann, [ann, mod], 'while-bob-is-out');
  assert.equal(bob.raw.subarray(from).indexOf('while-bob-is-out'), -1);
  await sleep(KICK_S * 1000 + 200);
  bob.type('\r');
  await bob.waitScreen(/Command/);
  await enter(bob);
  await sync(bob, [bob, ann], 'back-again');
});

test('who may not kick is told so in one line; nobody kicks upward', async (t) => {
  const [ann, bob, mod, opal] = await inLobby(t, ['Ann'], ['Bob'], ['Mod', 50], ['Ops', 100]);
  await run(ann, `/kick ${bob.handle}`, 'Only moderators, sysops and the room\'s owner may kick.');
  await run(ann, `/mute ${bob.handle}`, 'Only moderators, sysops and the room\'s owner may mute.');
  await run(ann, `/ban ${bob.handle}`, 'Only sysops may ban.');
  await run(ann, '/broadcast hello all', 'Only sysops may broadcast.');
  await run(mod, `/ban ${bob.handle}`, 'Only sysops may ban.');
  await run(mod, `/kick ${opal.handle}`, `You cannot kick ${opal.handle}.`);
  await run(mod, `/kick ${mod.handle}`, 'You cannot kick yourself.');
  await run(mod, '/kick Nobody', 'There is no caller called Nobody.');
  await sync(bob, [bob, ann, mod, opal], 'nobody-moved');
});

test('a room\'s owner kicks and mutes in its own room only', async (t) => {
  const [own, pest, other] = await inLobby(t, ['Own'], ['Pst'], ['Oth']);
  const den = `Den${n}`;
  await run(own, `/join ${den}`, `*** Welcome to ${den} ***`);
  await run(pest, `/join ${den}`, `*** Welcome to ${den} ***`);
  await run(own, `/mute ${pest.handle} rude`, `${pest.handle} is muted for ${MUTE_S} seconds in ${den}.`);
  await pest.waitText(0, `You have been muted by ${own.handle} for ${MUTE_S} seconds in ${den} (rude)`);
  await run(pest, 'can anyone hear me', 'You are muted: 1 minute to go.');
  // The owner's mute covers its room, not a private line.
  await run(pest, `/page ${other.handle} hi`, `Page sent to ${other.handle}`);
  await run(own, `/kick ${pest.handle}`, `${pest.handle} was kicked out of ${den}`);
  await pest.waitText(0, `kicked you out of ${den}`);
  // Not in the Lobby, which it does not own.
  await run(own, '/join Lobby', '*** Welcome to Lobby ***');
  await run(own, `/kick ${other.handle}`, 'Only moderators, sysops and the room\'s owner may kick.');
});

test('a mute silences lines, actions, DMs and pages until it ends or is lifted', async (t) => {
  const [mod, bob, ann] = await inLobby(t, ['Mod', 50], ['Bob'], ['Ann']);
  await run(mod, `/mute ${bob.handle} 1 spam`, `${bob.handle} is muted for 1 minute.`);
  await bob.waitText(0, `You have been muted by ${mod.handle} for 1 minute (spam)`);
  const from = ann.raw.length;
  await run(bob, 'muted-public-line', 'You are muted: 1 minute to go.');
  await run(bob, '/me muted-action', 'You are muted');
  await run(bob, `/msg ${ann.handle} muted-dm`, 'You are muted');
  await run(bob, `/page ${ann.handle} muted-page`, 'You are muted');
  await run(bob, `/smile ${ann.handle}`, 'You are muted');
  await sync(mod, [mod, ann], 'after-the-mute');
  const seen = ann.raw.subarray(from).toString();
  for (const w of ['muted-public-line', 'muted-action', 'muted-dm', 'muted-page', 'smiles at'])
    assert.equal(seen.indexOf(w), -1, `${w} got through a mute`);
  // Logging off and on again does not lift it.
  bob.terminate();
  const again = await Caller.connect(srv.wsUrl, SIZE);
  t.after(() => again.terminate());
  await again.login(bob.handle);
  await enter(again);
  await run(again, 'still-muted', 'You are muted');
  await run(mod, `/unmute ${bob.handle}`, `${bob.handle} may speak again.`);
  await again.waitText(0, 'You may speak again.');
  await sync(again, [again, ann], 'unmuted-line');
  await run(mod, `/unmute ${bob.handle}`, `${bob.handle} is not muted.`);
});

test('a mute ends by itself', async (t) => {
  const [mod, bob, ann] = await inLobby(t, ['Mod', 50], ['Bob'], ['Ann']);
  await run(mod, `/mute ${bob.handle}`, `${bob.handle} is muted for ${MUTE_S} seconds.`);
  await run(bob, 'too-soon', 'You are muted');
  await sleep(MUTE_S * 1000 + 200);
  await sync(bob, [bob, ann, mod], 'time-is-up');
});

test('a ban hangs the caller up with the reason, refuses its logins, and /unban lifts it', async (t) => {
  const [opal, bob] = await inLobby(t, ['Ops', 100], ['Bob']);
  await run(opal, `/ban ${bob.handle} 2h trolling`, `${bob.handle} is banned for 2 hours.`);
  const closed = await bob.waitClosed();
  assert.equal(closed.code, 1008);
  await bob.waitScreen(/This account is banned until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(trolling\)\./);
  // The password is right; the account is banned.
  const again = await Caller.connect(srv.wsUrl, SIZE);
  t.after(() => again.terminate());
  await again.waitFor('Enter your handle');
  again.say(bob.handle);
  await again.waitFor('Password');
  again.say(PASSWORD);
  await again.waitText(0, '(trolling).');
  assert.equal((await again.waitClosed()).code, 1008);
  await run(opal, `/unban ${bob.handle}`, `${bob.handle} may call again.`);
  const back = await Caller.connect(srv.wsUrl, SIZE);
  t.after(() => back.terminate());
  await back.login(bob.handle);
  await run(opal, `/ban ${opal.handle}`, 'You cannot ban yourself.');
  await run(opal, `/unban ${bob.handle}`, `${bob.handle} is not banned.`);
});

test('/broadcast reaches every caller, in any room or at a menu, with a bell', async (t) => {
  const [opal, ann] = await inLobby(t, ['Ops', 100], ['Ann']);
  const gil = await caller(t, 'Gil');
  await enter(gil);
  await run(gil, '/join Games', '*** Welcome to Games ***');
  const mel = await caller(t, 'Mel');                       // at the main menu
  const bells = [ann.bells, gil.bells, mel.bells];
  const froms = [ann, gil, mel].map((c) => c.raw.length);
  await run(opal, '/broadcast going down in 5 minutes', 'Broadcast to');
  await Promise.all([ann, gil, mel].map((c, i) =>
    c.waitText(froms[i], `*** Broadcast from ${opal.handle}: going down in 5 minutes ***`)));
  assert.deepEqual([ann.bells, gil.bells, mel.bells].map((b, i) => b - bells[i]), [1, 1, 1]);
});

test('a sysop\'s /who and Who\'s Online show node, address, transport and idle time', async (t) => {
  const [opal, ann] = await inLobby(t, ['Ops', 100], ['Ann']);
  let text = await run(opal, '/who', /In the room \(\d+\):/);
  text = await opal.waitText(0, new RegExp(`node \\d+  127\\.0\\.0\\.1:\\d+ websocket idle \\d+s`));
  text = await run(ann, '/who', /In the room \(\d+\):/);
  await sync(ann, [ann], 'who-done');
  assert.doesNotMatch(ann.plain(0), /127\.0\.0\.1:\d+ websocket/, 'a caller saw addresses');
  await run(opal, '/quit', 'Command');
  const from = opal.raw.length;
  opal.type('W');
  text = await opal.waitText(from, 'nodes in use');
  assert.match(text, new RegExp(`${ann.handle}\\s.*Chat: Lobby`));
  assert.match(text, /127\.0\.0\.1:\d+ websocket idle \d+s/);
});

test('a telnet caller is kicked and muted like anyone', async (t) => {
  const [mod] = await inLobby(t, ['Mod', 50]);
  const tel = await TelnetCaller.connect(srv.telnetPort, { ttype: 'xterm', naws: false });
  t.after(() => tel.reset());
  tel.handle = handle('Tel');
  await tel.register(tel.handle, PASSWORD);
  let from = tel.raw.length;
  tel.type('C');
  await tel.waitText(from, '*** Welcome to Lobby ***');
  await run(mod, `/mute ${tel.handle}`, `${tel.handle} is muted`);
  await run(tel, 'from-telnet', 'You are muted');
  await run(mod, `/kick ${tel.handle} bye`, `${tel.handle} was kicked out of Lobby`);
  await tel.waitText(0, `kicked you out of Lobby (bye)`);
});

test('carrier ctl: who, stats, kick, mute, ban, unban, broadcast against the running server', async (t) => {
  const [ann, bob] = await inLobby(t, ['Ann'], ['Bob']);
  let r = await carrier(['ctl', 'who']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${ann.handle}\\s+Chat: Lobby\\s+\\d+m\\s+127\\.0\\.0\\.1:\\d+ websocket idle`));
  r = await carrier(['ctl', 'stats']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^callers \d+$/m);
  assert.match(r.stdout, /^rooms 2$/m);
  for (const name of ['missed', 'flood_refused', 'shared_dropped', 'output_limit_closed',
    'db_jobs', 'db_jobs_waiting', 'db_jobs_refused', 'logins_unavailable'])
    assert.match(r.stdout, new RegExp(`^${name} \\d+$`, 'm'));
  assert.match(r.stdout, /^db_engine (sqlite|postgresql)$/m);
  assert.ok(Number(/^db_jobs (\d+)$/m.exec(r.stdout)[1]) > 0, r.stdout);    // the logins
  // A line said in a room of two is two deliveries (the speaker sees it too).
  const deliveries = (out) => Number(/^deliveries (\d+)$/m.exec(out)[1]);
  const before = deliveries(r.stdout);
  await run(ann, 'counted once each', 'counted once each');
  await bob.waitText(0, 'counted once each');
  r = await carrier(['ctl', 'stats']);
  assert.ok(deliveries(r.stdout) >= before + 2, r.stdout);
  r = await carrier(['ctl', 'broadcast', 'from', 'the', 'shell']);
  assert.equal(r.code, 0, r.stderr);
  await ann.waitText(0, '*** Broadcast from SysOp: from the shell ***');
  r = await carrier(['ctl', 'mute', bob.handle, '10m', 'cool', 'off']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${bob.handle} is muted for 10 minutes.`);
  await bob.waitText(0, 'You have been muted by SysOp for 10 minutes (cool off)');
  r = await carrier(['ctl', 'unmute', bob.handle]);
  assert.equal(r.code, 0, r.stderr);
  r = await carrier(['ctl', 'kick', bob.handle, 'shell', 'says', 'so']);
  assert.equal(r.code, 0, r.stderr);
  await ann.waitText(0, `*** ${bob.handle} was kicked by SysOp (shell says so) ***`);
  r = await carrier(['ctl', 'ban', bob.handle, 'forever', 'enough']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${bob.handle} is banned for good.`);
  assert.equal((await bob.waitClosed()).code, 1008);
  await bob.waitScreen(/This account is banned for good \(enough\)\./);
  r = await carrier(['ctl', 'unban', bob.handle]);
  assert.equal(r.code, 0, r.stderr);
  // Errors: exit 1, one line on stderr.
  r = await carrier(['ctl', 'kick', 'Nobody']);
  assert.deepEqual([r.code, r.stderr], [1, 'carrier ctl: There is no caller called Nobody.\n']);
  r = await carrier(['ctl', 'frobnicate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^carrier ctl: unknown command "frobnicate": try "help"\n$/);
  r = await carrier(['ctl', 'kick']);
  assert.deepEqual([r.code, r.stderr], [1, 'carrier ctl: usage: kick HANDLE [reason]\n']);
});

test('the audit log keeps every deed, from the room and the shell; carrier audit prints it', async (t) => {
  const [opal, bob] = await inLobby(t, ['Ops', 100], ['Bob']);
  await run(opal, `/mute ${bob.handle} 5 noisy`, 'is muted');
  await run(opal, `/kick ${bob.handle} out`, 'was kicked');
  let r = await carrier(['user', 'level', bob.handle, '50']);
  assert.equal(r.code, 0, r.stderr);
  r = await carrier(['audit', '--handle', bob.handle]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n');
  assert.match(rows[0], /when \(UTC\)\s+who\s+what\s+whom\s+details\s+reason/);
  assert.match(rows[1], new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  ${opal.handle}\\s+mute\\s+${bob.handle}\\s+5 minutes  noisy$`));
  assert.match(rows[2], new RegExp(`${opal.handle}\\s+kick\\s+${bob.handle}\\s+Lobby, ${KICK_S} seconds  out$`));
  assert.match(rows[3], new RegExp(`shell:\\S+\\s+level\\s+${bob.handle}\\s+10 -> 50  -$`));
  assert.equal(rows[4], '3 rows');
  r = await carrier(['audit', '--since', '1h']);
  assert.match(r.stdout, new RegExp(`kick\\s+${bob.handle}`));
  r = await carrier(['audit', '--since', '2099-01-01']);
  assert.equal(r.stdout.trim().split('\n').pop(), '0 rows');
  r = await carrier(['audit', '--since', 'yesterday']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--since: not a date, time or length of time: 'yesterday'/);
  r = await carrier(['user', 'delete', bob.handle]);
  r = await carrier(['audit', '--handle', bob.handle]);
  assert.match(r.stdout, /delete/);
});
