// Live reload end to end: SIGHUP reads carrier.toml again.  A changed menu is what
// a caller sees on coming back to it (and at once if sitting at one), while a chat
// in progress goes on untouched; a broken file changes nothing and its error is
// logged as file:line:col; settings that cannot change live (listeners, database)
// are reported and kept, the others apply to what callers do next; declared rooms
// open (or stay, taken out) and the actions file is read again with the settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, FAST, carrierBin, dbOf } from '../lib/server.mjs';
import { Caller } from '../lib/caller.mjs';
import { newCaller, enterChat } from '../lib/chat.mjs';
import { scrape } from '../lib/metrics.mjs';

/** A carrier.toml: [server] metrics on, [bbs] with `name`, then menus. */
function config({ name = 'Carrier BBS', title = 'Main Menu', extra = '', chat = '', server = '',
  metrics = '127.0.0.1:0', rooms = '' } = {}) {
  return `[server]
metrics = "${metrics}"
${server}
[bbs]
${FAST}
name = "${name}"

[chat]
${chat}
${rooms}
[menu_titles]
main = "${title}"

[[menu.main]]
hotkey = "C"
name = "Chat"
type = "command"
command = "chat"

[[menu.main]]
hotkey = "W"
name = "Who's Online"
type = "command"
command = "who"
${extra}
[[menu.main]]
hotkey = "G"
name = "Goodbye"
type = "command"
command = "logoff"
`;
}

const XTRA = `
[[menu.main]]
hotkey = "X"
name = "Xtra Lookup"
type = "command"
command = "user_lookup"
`;

async function withServer(text, fn) {
  const srv = await startServer({ config: text });
  const callers = [];
  const path = join(srv.dir, 'carrier.toml');
  let logFrom = 0;
  /** Rewrite carrier.toml, send SIGHUP, wait for the outcome (re) in the log. */
  srv.reload = async (newText, re = / event=reload path=/) => {
    if (newText !== undefined) writeFileSync(path, newText);
    const from = srv.output().length;
    srv.proc.kill('SIGHUP');
    const m = await srv.waitLog(re, undefined, from);
    logFrom = from;
    return m;
  };
  srv.lastReloadLog = () => srv.output().slice(logFrom);
  try {
    await fn(srv, callers, path);
  } finally {
    for (const c of callers) c.ws.terminate();
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
}

test('a changed menu: seen on coming back to it, at once at a menu; the chat goes on', async () => {
  await withServer(config(), async (srv, callers) => {
    const [ann, bob, cat] = await Promise.all(['Ann', 'Bob', 'Cat'].map((h) => newCaller(srv, h)));
    callers.push(ann, bob, cat);
    await enterChat(ann);
    await enterChat(bob);
    await ann.waitText(0, 'Bob has joined the chat');
    ann.say('before the reload');
    await bob.waitText(0, 'Ann: before the reload');
    const fa = ann.raw.length, fb = bob.raw.length, fc = cat.raw.length;

    await srv.reload(config({ title: 'Reloaded Menu', extra: XTRA }));
    assert.match(srv.lastReloadLog(), / event=reload path=\S+ changed=0 menus=changed needs_restart=0/);

    // Cat, sitting at the main menu, is shown the new one at once.
    await cat.waitText(fc, 'The menus have been changed');
    await cat.waitFor('Reloaded Menu');
    await cat.waitFor('Xtra Lookup');
    // The chat goes on: nobody was dropped, nothing of the menus reached the room.
    bob.say('after the reload');
    await ann.waitText(fa, 'Bob: after the reload');
    ann.say('still here');
    await bob.waitText(fb, 'Ann: still here');
    assert.equal(ann.closed, null);
    assert.equal(bob.closed, null);
    for (const [c, f] of [[ann, fa], [bob, fb]]) {
      const seen = c.plain(f);
      assert.ok(!seen.includes('Reloaded Menu') && !seen.includes('menus have been changed'),
        `a caller in the chat was shown the menu:\n${seen}`);
    }
    // Ann comes back to the menu: the new one, and its new item works.
    ann.say('/quit');
    await ann.waitText(fa, 'Reloaded Menu');
    await ann.waitFor('Xtra Lookup');
    const fx = ann.raw.length;
    ann.type('X');
    await ann.waitText(fx, /handle/i);
  });
});

test('a broken file changes nothing: the error as file:line:col, the running settings kept', async () => {
  await withServer(config({ name: 'First Name' }), async (srv, callers, path) => {
    const bad = config({ name: 'Second Name', title: 'Broken' }).replace('[chat]\n', '[chat]\nflood_burst = "many"\n');
    const line = bad.split('\n').findIndex((l) => l.startsWith('flood_burst')) + 1;
    await srv.reload(bad, / event=reload_failed /);
    const log = srv.lastReloadLog();
    const at = `${path}:${line}:1`;
    assert.ok(log.includes(` event=config_error error="${at}: \\"flood_burst\\" must be an integer`),
      `no error at ${at} in:\n${log}`);
    assert.match(log, / ERROR event=reload_failed path=\S+ errors=1 kept=running/);
    // A TOML syntax error is refused the same way.
    await srv.reload('[bbs\nname = "x"\n', / event=reload_failed /);
    assert.match(srv.lastReloadLog(), new RegExp(` event=config_error error="${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:5: `));
    // The old settings are still the ones in effect.
    const c = await Caller.connect(srv.wsUrl, { cols: 100, rows: 40 });
    callers.push(c);
    await c.waitFor('First Name');
    await c.register('Dee', undefined);
    await c.waitFor('Main Menu');
    const m = await scrape(srv.metricsPort);
    assert.equal(m.get('carrier_config_reloads_total', { result: 'failed' }), 2);
    assert.equal(m.get('carrier_config_last_reload_successful'), 0);
    // A good file again: taken.
    await srv.reload(config({ name: 'Third Name' }));
    const m2 = await scrape(srv.metricsPort);
    assert.equal(m2.get('carrier_config_reloads_total', { result: 'ok' }), 1);
    assert.equal(m2.get('carrier_config_last_reload_successful'), 1);
    const d = await Caller.connect(srv.wsUrl);
    callers.push(d);
    await d.waitFor('Third Name');
  });
});

test('listeners and the database need a restart: reported and kept; the rest applies live', async () => {
  await withServer(config(), async (srv, callers) => {
    const [ann, bob] = await Promise.all(['Ann', 'Bob'].map((h) => newCaller(srv, h)));
    callers.push(ann, bob);
    await enterChat(ann);
    const next = config({
      name: 'Renamed Board',
      metrics: '127.0.0.1:1',
      // (--http, --telnet and --db on the command line win over the file: the
      // metrics listener is the one address this test's file decides.)
      server: 'log_level = "warn"',
      chat: 'capacity = 1\nroom_name = "Parlour"',
    });
    await srv.reload(next);
    const log = srv.lastReloadLog();
    assert.match(log, / WARN event=needs_restart setting=server\.metrics/);
    assert.doesNotMatch(log, /needs_restart setting=server\.(http|telnet|database)/);
    assert.match(log, / event=setting_changed setting=bbs\.name/);
    assert.match(log, / event=setting_changed setting=chat\.capacity/);
    assert.match(log, / event=reload path=\S+ changed=\d+ menus=same needs_restart=1/);
    // The running listeners stay: the same ports serve, under the new name.
    const again = await Caller.connect(srv.wsUrl);
    callers.push(again);
    await again.waitFor('Renamed Board');
    await again.register('Cid');
    // The room's new settings: its capacity (Ann is in: Bob is turned away) and name.
    const fb = bob.raw.length;
    bob.type('C');
    await bob.waitText(fb, 'The chat room is full');
    // ... still served where it was.
    const m = await scrape(srv.metricsPort);
    assert.equal(m.get('carrier_chat_members', { room: 'Parlour' }), 1);
    assert.equal(m.get('carrier_chat_room_full_total'), 1);
    // The log level: info lines are gone (a login logs at info).
    const from = srv.output().length;
    const late = await Caller.connect(srv.wsUrl);
    callers.push(late);
    await late.register('Eve');
    assert.doesNotMatch(srv.output().slice(from), / INFO event=login /);
  });
});

test('rooms and actions: a new [[chat.room]] opens, new actions work, a broken actions file refuses it all', async () => {
  const acts = (verb) => `[[action]]\nverb = "${verb}"\nalone = "${verb}s."\naimed = "${verb}s at {target}."\n`;
  const base = { chat: 'actions = "acts.toml"' };
  await withServer(config(base), async (srv, callers) => {
    writeFileSync(join(srv.dir, 'acts.toml'), acts('wave'));
    await srv.reload();                           // the actions file now exists
    const [ann, bob] = await Promise.all(['Ann', 'Bob'].map((h) => newCaller(srv, h)));
    callers.push(ann, bob);
    await enterChat(ann);
    await enterChat(bob);
    await ann.waitText(0, 'Bob has joined the chat');
    let fa = ann.raw.length;
    bob.say('/wave');
    await ann.waitText(fa, '* Bob waves.');

    // New rooms and new actions, at once.
    writeFileSync(join(srv.dir, 'acts.toml'), acts('bow'));
    await srv.reload(config({ ...base, rooms: '[[chat.room]]\nname = "Lobby"\n[[chat.room]]\nname = "Back"\ntopic = "the back room"\n' }));
    await srv.waitLog(/ event=room_opened room=Back/);    // its history read first
    fa = ann.raw.length;
    bob.say('/bow');
    await ann.waitText(fa, '* Bob bows.');
    const fb = bob.raw.length;
    bob.say('/list');
    await bob.waitText(fb, /Lobby\s+2 here/);
    await bob.waitText(fb, /Back\s+0 here\s+the back room/);
    bob.say('/join Back');
    await ann.waitText(fa, 'Bob has left the chat');
    const m = await scrape(srv.metricsPort);
    assert.equal(m.get('carrier_chat_members', { room: 'Back' }), 1);
    assert.equal(m.get('carrier_chat_members', { room: 'Lobby' }), 1);

    // A mistake in the actions file: the whole reload is refused, file:line:col.
    writeFileSync(join(srv.dir, 'acts.toml'), '[[action]]\nverb = 7\n');
    await srv.reload(config({ ...base, title: 'Never Seen' }), / event=reload_failed /);
    assert.match(srv.lastReloadLog(), /event=config_error error="?\S*acts\.toml:2:\d+: /);
    fa = ann.raw.length;
    bob.say('/join Lobby');
    await ann.waitText(fa, 'Bob has joined the chat');
    bob.say('/bow');
    await ann.waitText(fa, '* Bob bows.');        // the running actions stay
    // Taken out of the file, a room stays until a restart.
    writeFileSync(join(srv.dir, 'acts.toml'), acts('bow'));
    await srv.reload(config({ ...base, rooms: '[[chat.room]]\nname = "Lobby"\n' }));
    assert.match(srv.lastReloadLog(), / WARN event=needs_restart setting=chat\.room room=Back/);
  });
});

/** carrier ctl ARGS against the server whose database is in dir. */
function ctl(dir, args) {
  return new Promise((resolve) => {
    execFile(carrierBin, ['--db', dbOf(dir), 'ctl', ...args], (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

test('carrier ctl reload: the same reload, what happened told back', async () => {
  await withServer(config({ name: 'First Name' }), async (srv, callers, path) => {
    writeFileSync(path, config({ name: 'Second Name', metrics: '127.0.0.1:1' }));
    let from = srv.output().length;
    let r = await ctl(srv.dir, ['reload']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'server.metrics needs a restart: the running value is kept\nsettings reloaded\n');
    await srv.waitLog(/ event=reload path=/, undefined, from);
    const c = await Caller.connect(srv.wsUrl);
    callers.push(c);
    await c.waitFor('Second Name');
    // A broken file: refused, the error told as file:line:col, the running settings kept.
    writeFileSync(path, config({ name: 'Third Name' }).replace('[bbs]\n', '[bbs]\nmax_nodes = 0\n'));
    from = srv.output().length;
    r = await ctl(srv.dir, ['reload']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^carrier ctl: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:1: "max_nodes" must be an integer`));
    await srv.waitLog(/ event=reload_failed /, undefined, from);
    const d = await Caller.connect(srv.wsUrl);
    callers.push(d);
    await d.waitFor('Second Name');
    r = await ctl(srv.dir, ['help']);
    assert.match(r.stdout, /^reload$/m);
  });
});
