// Several servers, one BBS (issue 12), end to end: three carrier nodes (A, B, C) on
// one real redis-server of the test's own, sharing one data directory.  Callers
// over WebSocket and telnet, screens through libvterm:
//   - register on A, log in on C; handle already online on another node
//   - a room with callers on every node: each line once, in order, everywhere
//   - a DM between nodes seen by its two ends only (bytes of every other caller)
//   - /who, /where and Who's Online show every node; node numbers unique
//   - garbage published on the channels: dropped and counted, nothing reaches a
//     terminal, the nodes go on
//   - Redis killed during a conversation: local chat goes on, callers told once,
//     the rooms join up again when it is back
//   - kill -9 of node B: its callers "lost carrier" on A and C within the bound,
//     their node numbers free
//   - max_nodes counts every node's lines; a dead node's are free again
//   - the metrics page counts the bus (peers, remote lines, messages by fate); a
//     reload keeps [cluster] as it is until a restart
//   - AUTH: a node with the password joins, a wrong one does not
//   - PostgreSQL stopped: logins and registrations refused clearly ("try again
//     later"), callers already on keep chatting; back, logins work again
//
// The database is a PostgreSQL of the test's own (tests/lib/pg.mjs: initdb and
// pg_ctl in a temporary directory, as the postgres user), which the three nodes
// share; where PostgreSQL is not installed they share one SQLite file instead and
// the PostgreSQL test skips.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { TelnetCaller } from '../lib/telnet.mjs';
import { SIZE, enterChat } from '../lib/chat.mjs';
import { count, plain } from '../lib/screen.mjs';
import { haveRedis, startRedis, startNodes, startNode, nodeConfig } from '../lib/cluster.mjs';
import { havePostgres, startPostgres } from '../lib/pg.mjs';
import { scrape, waitMetric } from '../lib/metrics.mjs';
import { SLOW, T, poll } from '../lib/wait.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOST_AFTER = 4;               // seconds, [cluster] lost_after in these nodes
const BBS = 'sysop_handles = ["Warden"]\n';
const present = await haveRedis();
const skip = present ? false : 'redis-server is not installed (scripts/deps.sh check installs it)';
const pgPresent = present && await havePostgres();
const skipPg = skip || (pgPresent ? false : 'PostgreSQL is not installed (scripts/deps.sh check installs postgresql-15)');

let redis;
let pg;                             // the nodes' database, or null (SQLite)
let nodes;
const open = [];

before(async () => {
  if (!present) return;
  redis = await startRedis();
  if (pgPresent) pg = await startPostgres();
  nodes = await startNodes(redis, ['a', 'b', 'c'], { lostAfter: LOST_AFTER, bbs: BBS, db: pg?.url });
  // Every node has heard every other (a heartbeat a second).
  for (const n of ['a', 'b', 'c'])
    for (const m of ['a', 'b', 'c'])
      if (n !== m) await nodes[n].waitLog(new RegExp(`cluster_peer_seen node=node-${n} peer=node-${m}`));
});

after(async () => {
  for (const c of open) { try { c.terminate ? c.terminate() : c.destroy(); } catch { /* gone */ } }
  if (nodes) {
    const res = await nodes.stopAll();
    for (const [name, r] of Object.entries(res)) {
      if (name === 'b') continue;        // killed with -9 in a test
      assert.equal(r.code, 0, `node ${name} exit ${r.code ?? r.signal}:\n${r.output.slice(-3000)}`);
      assert.doesNotMatch(r.output, /AddressSanitizer|runtime error/);
    }
  }
  if (redis) await redis.stop();
  if (pg) await pg.stop();
});

async function ws(node, size = SIZE) {
  const c = await Caller.connect(nodes[node].wsUrl, size);
  open.push(c);
  return c;
}

async function telnet(node) {
  const c = await TelnetCaller.connect(nodes[node].telnetPort, { cols: SIZE.cols, rows: SIZE.rows });
  open.push(c);
  return c;
}

async function registered(kind, node, handle) {
  const c = kind === 'ws' ? await ws(node) : await telnet(node);
  await c.register(handle, PASSWORD);
  c.handle = handle;
  return c;
}

/** Say a line in c and wait until every one of all has it. */
async function said(c, all, word) {
  const froms = all.map((x) => x.raw.length);
  c.say(word);
  await Promise.all(all.map((x, i) => x.waitText(froms[i], `: ${word}`)));
}

let alice, bob, carol, dave, erin;

test('register on node A, log in on node C', { skip }, async () => {
  const a = await registered('ws', 'a', 'Alice');
  await a.close();
  alice = await ws('c');
  await alice.login('Alice', PASSWORD);
  alice.handle = 'Alice';
  assert.match(await alice.text(), /Welcome, Alice! This is call number 2\./);
  // One database for the three: PostgreSQL where it is installed.
  if (pg) for (const n of ['a', 'c']) assert.match(nodes[n].output(), / event=db_open engine=postgresql /);
});

test('a room across three nodes, WebSocket and telnet: each line once, in order, everywhere', { skip }, async () => {
  bob = await registered('telnet', 'b', 'Bob');
  carol = await registered('ws', 'a', 'Carol');
  dave = await registered('telnet', 'a', 'Dave');
  const room = [alice, bob, carol, dave];
  for (const [i, c] of room.entries()) {
    const before_ = room.slice(0, i);
    const froms = before_.map((x) => x.raw.length);
    await enterChat(c);
    await Promise.all(before_.map((x, j) => x.waitText(froms[j], `${c.handle} has joined the chat`)));
  }
  // The newcomer sees who is here, wherever they are.
  assert.match(plain(dave.raw), /Here now: .*Alice/);
  assert.match(plain(dave.raw), /Here now: .*Bob/);

  const froms = room.map((c) => c.raw.length);
  const lines = [];
  for (let k = 1; k <= 5; k++) {
    for (const c of room) {
      const word = `${c.handle.toLowerCase()}-line-${k}`;
      lines.push([c.handle, word]);
      c.say(word);
    }
  }
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `: dave-line-5`)));
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `: alice-line-5`)));
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `: bob-line-5`)));
  await Promise.all(room.map((c, i) => c.waitText(froms[i], `: carol-line-5`)));
  for (const [i, c] of room.entries()) {
    const got = plain(c.raw.subarray(froms[i]));
    for (const [who, word] of lines) {
      assert.equal(count(got, `${who}: ${word}`), 1, `${c.handle} got "${who}: ${word}" once:\n${got}`);
    }
    // Each speaker's lines in the order said.
    for (const who of ['Alice', 'Bob', 'Carol', 'Dave']) {
      const at = [1, 2, 3, 4, 5].map((k) => got.indexOf(`${who}: ${who.toLowerCase()}-line-${k}`));
      assert.deepEqual([...at].sort((x, y) => x - y), at, `${c.handle}: ${who}'s lines out of order`);
    }
  }
});

test('a DM between nodes is seen by its two ends only', { skip }, async () => {
  const room = [alice, bob, carol, dave];
  const secret = 'secret-across-nodes-77';
  const fb = bob.raw.length, fa = alice.raw.length;
  alice.say(`/msg Bob ${secret}`);         // Alice on C, Bob on B
  await bob.waitText(fb, `*Alice* (private): ${secret}`);
  await alice.waitText(fa, `-> Bob (private): ${secret}`);
  await said(bob, room, 'after-the-dm');
  assert.equal(carol.raw.indexOf(secret), -1, 'a caller on node A received the DM');
  assert.equal(dave.raw.indexOf(secret), -1, 'a telnet caller on node A received the DM');
  // /r answers across nodes too.
  const fa2 = alice.raw.length;
  bob.say('/r got it');
  await alice.waitText(fa2, '*Bob* (private): got it');
  // A page reaches a caller at the menu on another node.
  erin = await registered('ws', 'b', 'Erin');
  const fe = erin.raw.length;
  carol.say('/page Erin come chat');
  await erin.waitText(fe, 'Page from Carol: come chat');
});

test('/who, /where and Who\'s Online show every node', { skip }, async () => {
  const f = carol.raw.length;
  carol.say('/who');
  await carol.waitText(f, 'Dave');
  const who = plain(carol.raw.subarray(f));
  for (const h of ['Alice', 'Bob', 'Carol', 'Dave']) assert.match(who, new RegExp(h), who);
  const f2 = carol.raw.length;
  carol.say('/where Bob');
  await carol.waitText(f2, 'Bob is in Teleconference.');
  const f3 = carol.raw.length;
  carol.say('/where Erin');
  await carol.waitText(f3, 'Erin is online, not in a chat room.');

  erin.type('W');
  const text = await erin.waitFor('Press any key');
  const rows = text.split('\n').filter((r) => /^ +\d+ +\S/.test(r));
  const nodeOf = {};
  for (const h of ['Alice', 'Bob', 'Carol', 'Dave', 'Erin']) {
    const row = rows.find((r) => new RegExp(`^ +\\d+ +${h} `).test(r));
    assert.ok(row, `${h} missing from Who's Online:\n${text}`);
    nodeOf[h] = Number(/^ +(\d+)/.exec(row)[1]);
  }
  assert.equal(new Set(Object.values(nodeOf)).size, 5, `node numbers not unique: ${JSON.stringify(nodeOf)}`);
  assert.match(text, / 5 of 32 nodes in use\./);
  erin.type(' ');
  await erin.waitFor('Command');
});

test('handle already online on another node: asked, and the other node hangs up', { skip }, async () => {
  const f = await registered('ws', 'a', 'Frank');
  const again = await ws('c');
  await again.waitFor('Enter your handle');
  again.say('Frank');
  await again.waitFor('Password');
  again.say(PASSWORD);
  await again.waitFor('You are already online on node');
  again.type('Y');
  await again.waitFor('Command');
  await f.waitFor('You logged in on another node');
  await f.waitClosed();
});

test('moderation across nodes: a mute, a kick and a ban reach a caller on another node', { skip }, async () => {
  const sysop = await registered('ws', 'a', 'Warden');
  const ivan = await registered('telnet', 'b', 'Ivan');
  await enterChat(sysop);
  await enterChat(ivan);
  await sysop.waitFor('Ivan has joined the chat');
  let f = ivan.raw.length;
  sysop.say('/mute Ivan 5 noisy');
  await ivan.waitText(f, 'You have been muted by Warden');
  await sysop.waitFor('Ivan is muted for');
  f = ivan.raw.length;
  const fc = carol.raw.length;
  ivan.say('muted-words-99');
  await ivan.waitText(f, 'You are muted:');
  sysop.say('/unmute Ivan');
  await ivan.waitText(f, 'You may speak again.');
  await said(ivan, [ivan, sysop, carol], 'unmuted-words');
  assert.equal(carol.raw.subarray(fc).indexOf('muted-words-99'), -1, 'a muted line crossed nodes');
  f = ivan.raw.length;
  sysop.say('/kick Ivan out you go');
  await ivan.waitText(f, 'Warden kicked you out of Teleconference');
  await carol.waitText(fc, 'Ivan was kicked by Warden');
  // Kept out on his own node too.
  f = ivan.raw.length;
  ivan.type('C');
  await ivan.waitText(f, 'You were kicked out of Teleconference: you may come back in');
  f = ivan.raw.length;
  sysop.say('/ban Ivan 1h enough');
  await ivan.waitText(f, 'banned');
  await ivan.waitClosed();
  const back = await telnet('c');
  await back.waitFor('Enter your handle');
  back.say('Ivan');
  await back.waitFor('Password');
  back.say(PASSWORD);
  await back.waitFor('banned');
  await back.waitClosed();
  sysop.say('/quit');
  await sysop.close();
});

/** `stats` on a node's control socket. */
/** psql -c SQL on url; resolves its output, unaligned and without headers. */
function psql(url, sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-qAtX', '-c', sql], (err, stdout, stderr) => {
      if (err) reject(new Error(`psql: ${stderr}`)); else resolve(stdout.trim());
    });
  });
}

/** One request on a control socket, our end closed after it (as `carrier ctl`
 * does); resolves everything the server answers. */
function ctlSend(path, line) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path }, () => s.end(`${line}\n`));
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

function ctlStats(path) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path }, () => s.write('stats\n'));
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

/** A raw RESP PUBLISH of any bytes, through a socket of our own. */
function publishRaw(channel, payload) {
  const ch = Buffer.from(channel);
  const msg = Buffer.concat([
    Buffer.from(`*3\r\n$7\r\nPUBLISH\r\n$${ch.length}\r\n`), ch,
    Buffer.from(`\r\n$${payload.length}\r\n`), payload, Buffer.from('\r\n'),
  ]);
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: redis.port, host: '127.0.0.1' }, () => s.write(msg));
    let got = '';
    s.on('data', (d) => { got += d; if (got.includes('\r\n')) { s.end(); resolve(got); } });
    s.on('error', reject);
  });
}

test('garbage on the channels is dropped and counted; nothing of it reaches a terminal', { skip }, async () => {
  const room = [alice, bob, carol, dave];
  const mark = 'GARBAGE-MARK';
  const evil = `\x1b[2J\x1b]0;pwned\x07${mark}`;
  const ev = (fields) => Buffer.from(`carrier/1 event\n${fields}`);
  const bad = [
    ['carrier:room:teleconference', ev(`o=node-x\nk=public\nr=Teleconference\nf=Mallory\nx=${evil}`)],
    ['carrier:room:teleconference', ev(`o=node-x\nk=public\nr=Teleconference\nf=Mal\x1blory\nx=${mark}`)],
    ['carrier:room:teleconference', ev(`o=node-x\nk=nonsense\nr=Teleconference\nf=M\nx=${mark}`)],
    ['carrier:room:teleconference', ev(`o=node-x\nk=public\nk=public\nr=Teleconference\nf=M\nx=${mark}`)],
    ['carrier:room:teleconference', Buffer.from(`carrier/1 event\no=node-x\nk=public\nr=Teleconference\nf=M\nx=${mark}${'x'.repeat(9000)}`)],
    ['carrier:room:teleconference', Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x5b])],
    ['carrier:room:teleconference', Buffer.from(`carrier/1 event\no=node-x\nk=public\nr=Teleconference\nf=M\nx=${mark}\xc0\xaf`, 'latin1')],
    ['carrier:room:teleconference', ev(`o=node-x\nk=dm\nf=Mallory\nt=Carol\nx=${mark}`)],   // misplaced
    ['carrier:room:teleconference', ev(`o=node-x\nk=public\nr=Elsewhere\nf=M\nx=${mark}`)],  // wrong room
    ['carrier:all', Buffer.from(`carrier/1 up\no=node-x\ni=0\nh=${mark}`)],
    ['carrier:all', Buffer.from('carrier/2 beat\no=node-x\ne=1')],
    ['carrier:all', Buffer.from(`carrier/1 up\no=bad node\ni=3\nh=${mark}`)],
    ['carrier:node:node-a', Buffer.from(`carrier/1 hangup\no=node-x\nh=Car,ol\nx=${mark}`)],
    ['carrier:node:node-a', ev(`o=node-x\nk=broadcast\nf=M\nx=${mark}`)],   // misplaced
  ];
  for (const [ch, payload] of bad) await publishRaw(ch, payload);
  // Something well formed after the garbage: the nodes go on, and it is shown
  // with its control characters taken out by the renderer.
  await publishRaw('carrier:room:teleconference',
    ev('o=node-x\nk=public\nr=Teleconference\nf=Visitor\nx=well formed from outside'));
  await Promise.all(room.map((c) => c.waitFor('Visitor: well formed from outside')));
  await said(alice, room, 'after-the-garbage');
  for (const c of room) {
    assert.equal(c.raw.indexOf(mark), -1, `${c.handle} received garbage from the bus`);
    assert.equal(c.raw.indexOf('pwned'), -1);
  }
  for (const n of ['a', 'b', 'c']) await nodes[n].waitLog(/event=cluster_dropped node=node-\w channel=carrier:room:teleconference reason=invalid/);
  await nodes.a.waitLog(/event=cluster_dropped node=node-a channel=carrier:room:teleconference reason=oversized/);
  await nodes.a.waitLog(/event=cluster_dropped node=node-a channel=carrier:room:teleconference reason=malformed/);
  await nodes.a.waitLog(/event=cluster_dropped node=node-a channel=carrier:room:teleconference reason=unknown/);
  await nodes.a.waitLog(/event=cluster_dropped node=node-a channel=carrier:room:teleconference reason=misplaced/);
  await nodes.a.waitLog(/event=cluster_dropped node=node-a channel=carrier:node:node-a reason=misplaced/);
  await nodes.a.waitLog(/event=cluster_dropped node=node-a channel=carrier:all reason=/);
  // Carol (the hangup's target) is still here.
  await said(carol, room, 'carol-still-here');
});

test('Redis killed mid-conversation: local chat goes on, callers told once, the rooms join up again', { skip }, async () => {
  const room = [alice, bob, carol, dave];
  const froms = room.map((c) => c.raw.length);
  const logs = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, nodes[n].output().length]));
  await redis.kill();
  const down = 'The other servers cannot be reached';
  await Promise.all(room.map((c, i) => c.waitText(froms[i], down)));
  // Carol and Dave share node A: they still hear each other.
  await said(carol, [carol, dave], 'local-while-down');
  await said(carol, [carol, dave], 'local-while-down-2');
  await redis.start();
  const up = 'The other servers can be reached again';
  await Promise.all(room.map((c, i) => c.waitText(froms[i], up, 20000 * SLOW)));
  for (const [i, c] of room.entries()) {
    assert.equal(count(plain(c.raw.subarray(froms[i])), down), 1, `${c.handle} told more than once`);
  }
  // Presence is back (after each node's heartbeat) and the room spans the nodes again.
  for (const n of ['a', 'b', 'c'])
    for (const m of ['a', 'b', 'c'])
      if (n !== m) await nodes[n].waitLog(new RegExp(`cluster_peer_seen node=node-${n} peer=node-${m}`), 20000 * SLOW, logs[n]);
  await said(carol, room, 'whole-again');
  // What was said on A while the bus was away stayed on A.
  assert.equal(alice.raw.indexOf('local-while-down'), -1);
  assert.equal(bob.raw.indexOf('local-while-down'), -1);
});

test('kill -9 of node B: its callers lost carrier on A and C within the bound, node numbers free', { skip }, async () => {
  const f = [alice, carol].map((c) => c.raw.length);
  const t0 = Date.now();
  nodes.b.proc.kill('SIGKILL');
  await Promise.all([alice, carol].map((c, i) => c.waitText(f[i], 'Bob lost carrier.', (LOST_AFTER + 3) * 1000 * SLOW)));
  const took = Date.now() - t0;
  assert.ok(took <= (LOST_AFTER + 2) * 1000 * SLOW, `took ${took} ms`);
  // Who's Online on C: Bob and Erin (both on B) are gone.
  const g = await registered('ws', 'c', 'Gina');
  g.type('W');
  const text = await g.waitFor('Press any key');
  assert.doesNotMatch(text, / Bob /);
  assert.doesNotMatch(text, / Erin /);
  assert.match(text, / Alice /);
  assert.match(text, / Dave /);
  // B comes back with the same name: it joins again.
  nodes.b = await startNode(redis, nodes.dir, 'b', { lostAfter: LOST_AFTER, bbs: BBS, db: pg?.url });
  await nodes.a.waitLog(/cluster_peer_seen node=node-a peer=node-b/);
  const h = await registered('ws', 'b', 'Hugo');
  await enterChat(h);
  await said(h, [alice, carol, dave, h], 'hugo-on-the-new-b');
});

test('max_nodes counts every node; a dead node\'s lines are free again', { skip }, async () => {
  const r = await startRedis();
  const two = await startNodes(r, ['m', 'n'], { lostAfter: 3, bbs: 'max_nodes = 2\n' });
  try {
    await two.m.waitLog(/event=cluster_peer_seen node=node-m peer=node-n/);
    await two.n.waitLog(/event=cluster_peer_seen node=node-n peer=node-m/);
    const c1 = await Caller.connect(two.m.wsUrl, SIZE);
    open.push(c1);
    await c1.waitFor('You are on node 1 of 2.');
    // Node n has heard of line 1 (its control line says so) before the next caller.
    await poll(async () => /cluster_remote_lines 1\n/.test(await ctlStats(join(two.dir, 'node-n.ctl'))),
      { what: 'node n counting node m\'s line' });
    const c2 = await Caller.connect(two.n.wsUrl, SIZE);
    open.push(c2);
    await c2.waitFor('You are on node 2 of 2.');
    // Both lines taken, one on each node: a third caller on either is turned away.
    const c3 = await Caller.connect(two.m.wsUrl, SIZE);
    open.push(c3);
    await c3.waitFor('All lines are busy');
    // Node n dies: after lost_after its line is free on m.
    two.n.proc.kill('SIGKILL');
    await two.m.waitLog(/event=cluster_peer_lost node=node-m peer=node-n/, (3 + 3) * 1000 * SLOW);
    const c4 = await Caller.connect(two.m.wsUrl, SIZE);
    open.push(c4);
    await c4.waitFor('You are on node 2 of 2.');
  } finally {
    const res = await two.stopAll();
    assert.equal(res.m.code, 0, res.m.output.slice(-2000));
    await r.stop();
  }
});

test('the metrics page counts the bus; a reload keeps [cluster] for a restart', { skip }, async () => {
  const r = await startRedis();
  const opts = { lostAfter: 3, server: 'metrics = "127.0.0.1:0"\n' };
  const two = await startNodes(r, ['p', 'q'], opts);
  try {
    await two.p.waitLog(/event=cluster_peer_seen node=node-p peer=node-q/);
    await two.q.waitLog(/event=cluster_peer_seen node=node-q peer=node-p/);
    const port = two.p.metricsPort;
    let m = await scrape(port);
    assert.equal(m.get('carrier_cluster_connected'), 1);
    assert.equal(m.get('carrier_cluster_peers'), 1);
    // A caller on q: p hears of its line.
    const c = await Caller.connect(two.q.wsUrl, SIZE);
    open.push(c);
    await c.waitFor('You are on node');
    m = await waitMetric(port, 'carrier_cluster_remote_lines', undefined, (v) => v === 1);
    assert.ok(m.get('carrier_cluster_received_total') > 0);
    assert.ok(m.get('carrier_cluster_published_total') > 0);    // its heartbeats
    // Garbage on carrier:all: dropped and counted by reason.
    await r.publish('carrier:all', 'not a carrier message');
    await waitMetric(port, 'carrier_cluster_dropped_total', { reason: 'malformed' }, (v) => v === 1);
    // A reload with another bus and another name: both kept for a restart, the
    // node stays on the bus under its name.
    writeFileSync(join(two.dir, 'carrier.toml'),
      nodeConfig(r, two.dir, 'p', { ...opts, node: 'node-renamed', redisUrl: '127.0.0.1:1', lostAfter: 9 }));
    const from = two.p.output().length;
    two.p.proc.kill('SIGHUP');
    await two.p.waitLog(/ event=reload path=\S+ changed=0 menus=same needs_restart=3/, T, from);
    const log = two.p.output().slice(from);
    for (const key of ['redis', 'node', 'lost_after'])
      assert.match(log, new RegExp(` WARN event=needs_restart setting=cluster\\.${key}\n`));
    assert.doesNotMatch(log, /event=cluster_(stop|down|start)/);
    const stats = await ctlStats(join(two.dir, 'node-p.ctl'));
    assert.match(stats, /^cluster_node node-p$/m);
    assert.match(stats, /^cluster_connected 1$/m);
    m = await scrape(port);
    assert.equal(m.get('carrier_cluster_connected'), 1);
    assert.equal(m.get('carrier_cluster_peers'), 1);
  } finally {
    const res = await two.stopAll();
    for (const n of ['p', 'q']) assert.equal(res[n].code, 0, res[n].output.slice(-2000));
    await r.stop();
  }
});

test('AUTH: a node with the password joins the bus, one with a wrong password does not', { skip }, async () => {
  const r = await startRedis({ password: 'bus-secret' });
  try {
    const good = await startNodes(r, ['p'], { password: 'bus-secret' });
    await good.p.waitLog(/event=cluster_up node=node-p/);
    const res = await good.stopAll();
    assert.equal(res.p.code, 0);
    const { startServer } = await import('../lib/server.mjs');
    const { nodeConfig } = await import('../lib/cluster.mjs');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'carrier-cluster-'));
    const bad = await startServer({ config: nodeConfig(r, dir, 'q', { password: 'wrong' }), dir });
    await bad.waitLog(/event=cluster_auth_failed node=node-q/);
    // Alone, it still serves its own callers.
    const c = await Caller.connect(bad.wsUrl, SIZE);
    await c.register('Quinn', PASSWORD);
    await c.close();
    const out = await bad.stop({ keepDir: true });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(out.code, 0, out.output.slice(-2000));
  } finally {
    await r.stop();
  }
});

void T;

test('PostgreSQL stopped: logins and registrations refused clearly, chat goes on; back, logins work', { skip: skipPg }, async () => {
  const w = await registered('ws', 'a', 'Wren');
  await w.close();
  const x = await registered('ws', 'a', 'Xena');
  const y = await registered('telnet', 'c', 'Yuri');
  const fx = x.raw.length;
  await enterChat(x);
  await enterChat(y);
  await x.waitText(fx, 'Yuri has joined the chat');
  // A deed from the control line reads its target from PostgreSQL (off the loop)
  // and is answered, though the client closed its end after asking.
  assert.equal(await ctlSend(join(nodes.dir, 'node-c.ctl'), 'unmute Wren'), 'error: Wren is not muted.\n');
  assert.equal(await ctlSend(join(nodes.dir, 'node-c.ctl'), 'unmute Nobody'),
    'error: There is no caller called Nobody.\n');
  // A ban is said only once it is stored: PostgreSQL refusing it (a trigger of the
  // test's), the sysop is told, and the caller stays on.
  await psql(pg.url, `CREATE FUNCTION no_ban() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no'; END $$
    LANGUAGE plpgsql; CREATE TRIGGER no_ban BEFORE UPDATE OF banned_until ON users FOR EACH ROW
    WHEN (NEW.handle = 'Xena') EXECUTE FUNCTION no_ban()`);
  assert.equal(await ctlSend(join(nodes.dir, 'node-c.ctl'), 'ban Xena 1h spam'),
    'error: The ban could not be saved. Try again later.\n');
  await psql(pg.url, 'DROP TRIGGER no_ban ON users');
  await said(y, [x, y], 'xena-still-here');
  assert.equal(await psql(pg.url, "SELECT count(*) FROM audit WHERE action = 'ban' AND target = 'Xena'"), '0');
  await pg.kill();
  // A login now is told to come back later (and nothing counts against the handle).
  const z = await ws('c');
  await z.waitFor('Enter your handle');
  z.say('Wren');
  await z.waitFor('Password');
  z.say(PASSWORD);
  await z.waitFor('The user database is not answering. Please try again later.');
  // A registration too, at its first look at the database.
  const n = await ws('a');
  await n.waitFor('Enter your handle');
  n.say('NEW');
  await n.waitFor('Choose a handle');
  n.say('Newt');
  await n.waitFor('The user database is not answering. Please try again later.');
  const st = await ctlStats(join(nodes.dir, 'node-c.ctl'));
  assert.match(st, /^db_engine postgresql$/m);
  assert.match(st, /^logins_unavailable [1-9]\d*$/m);
  // Callers already on go on chatting, across the nodes.
  await said(x, [x, y], 'while-the-database-is-down');
  await said(y, [x, y], 'still-here');
  await pg.restart();
  // Back: each node's connection comes back at its next statement (a node tries
  // at most once a second while the database is away), and the login works.
  const back = Date.now();
  let again;
  for (;;) {
    again = await ws('c');
    await again.waitFor('Enter your handle');
    again.say('Wren');
    await again.waitFor('Password');
    again.say(PASSWORD);
    const seen = await again.waitFor(/Command|not answering/);
    if (/Command/.test(seen)) break;
    assert.ok(Date.now() - back < 5000 * SLOW, 'logins still refused 5 s after PostgreSQL came back');
  }
  assert.match(await again.text(), /Welcome, Wren! This is call number 2\./);
  for (const name of ['a', 'c']) assert.match(nodes[name].output(), / event=login_unavailable /);
  assert.match(nodes.c.output(), / event=db_reconnected engine=postgresql/);
});
