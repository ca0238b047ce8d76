// SSH end to end with OpenSSH's own client (issue 13): `ssh -tt` inside tmux, with
// a throwaway known_hosts, gets the BBS with any user name and no password,
// registers at the BBS's prompt, walks to the chat and talks with a browser-side
// (WebSocket) caller both ways; tmux resizing its window reaches the session as a
// window-change (the menu is redrawn to the new width); the host keys were made on
// first start (mode 0600) and are the same after a restart; with ssh_login the
// SSH user name and password are the BBS's, and the caller lands at the menu.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { enterChat, SIZE } from '../lib/chat.mjs';
import { poll, SLOW } from '../lib/wait.mjs';

const CONFIG = `[server]
ssh = "127.0.0.1:0"
[bbs]
${FAST}
[chat]
flood_rate = 1000
flood_burst = 1000
`;

let srv, home;

function haveClients() {
  try {
    execFileSync('tmux', ['-V']);
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
    return true;
  } catch { return false; }
}
const skip = !haveClients() && 'no tmux/ssh';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'carrier-ssh-'));
  srv = await startServer({ config: CONFIG });
});

after(async () => {
  if (srv) {
    const res = await srv.stop();
    assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
  }
  rmSync(home, { recursive: true, force: true });
});

/** OpenSSH's ssh in a tmux pane of cols x rows. */
function sshInTmux(name, port, user, { cols = 100, rows = 30, term = 'xterm-256color', extra = [] } = {}) {
  const sock = join(home, `tmux-${name}`);
  const tmux = (...args) => execFileSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
  const cmd = ['ssh', '-tt', '-p', String(port), '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${join(home, 'known_hosts')}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'PubkeyAuthentication=no', '-o', 'IdentityAgent=none', '-o', 'LogLevel=ERROR',
    ...extra, `${user}@127.0.0.1`].join(' ');
  // The pane outlives ssh, to show how it ended.
  tmux('new-session', '-d', '-x', String(cols), '-y', String(rows), '-e', `TERM=${term}`,
    `${cmd}; echo "[ssh exited $?]"; sleep 600`);
  const pane = () => { try { return tmux('capture-pane', '-p'); } catch { return ''; } };
  return {
    tmux,
    pane,
    // tmux tells nobody when its pane changes: ask it again and again.
    wait: (re, timeout = 10000 * SLOW) => poll(() => { const p = pane(); return re.test(p) && p; },
      { timeout, every: 100, what: () => `${re} in the tmux pane:\n${pane()}` }),
    type: (text) => { tmux('send-keys', '-l', text); },
    enter: () => tmux('send-keys', 'Enter'),
    kill: () => { try { tmux('kill-server'); } catch { /* already gone */ } },
  };
}

const box = (inner) => new RegExp(`╔═{${inner}}╗`);

test('ssh -tt in tmux: registers, chats with a browser-side caller, resizes', { skip }, async () => {
  const t = sshInTmux('a', srv.sshPort, 'anybody');
  const wendy = await Caller.connect(srv.wsUrl, SIZE);
  try {
    const first = await t.wait(/Enter your handle/);
    assert.match(first, /╔|═/, 'box drawing as such: UTF-8 from TERM=xterm-256color');
    for (const [line, next] of [['NEW', /Choose a handle/], ['Sheila', /Choose a password/],
      [PASSWORD, /Type the password again/], [PASSWORD, /Where are you calling from/],
      ['Secure Shell', /Command/]]) {
      t.type(line);
      t.enter();
      await t.wait(next);
    }
    assert.doesNotMatch(t.pane(), new RegExp(PASSWORD), 'the password was echoed');
    // The menu is drawn for the pty's 100 columns: its box 77 inside.
    await t.wait(box(77));
    // tmux narrows the window: ssh sends window-change, the menu is redrawn.
    t.tmux('resize-window', '-x', '40', '-y', '20');
    const narrow = await t.wait(box(37));
    for (const row of narrow.split('\n')) assert.ok([...row].length <= 40, `wider than 40: ${row}`);
    t.tmux('resize-window', '-x', '100', '-y', '30');
    await t.wait(box(77));

    await wendy.register('Wendy', PASSWORD);
    await enterChat(wendy);
    t.type('C');
    await t.wait(/Welcome to Teleconference/);
    await wendy.waitFor(/Sheila has joined the chat/);
    t.type('hello from openssh');
    t.enter();
    await wendy.waitFor('Sheila: hello from openssh');
    wendy.say('hello from the browser');
    await t.wait(/Wendy: hello from the browser/);
    // A page from the browser reaches the SSH caller (and the BEL with it).
    wendy.say('/page Sheila are you there?');
    await t.wait(/Wendy.*are you there\?/);
    // /quit to the menu, G to hang up: ssh itself ends.
    t.type('/quit');
    t.enter();
    await t.wait(/Command/);
    t.type('G');
    await t.wait(/\[ssh exited 0\]/);
    await wendy.waitFor(/Sheila ha(s|ve) left the chat/);
  } finally {
    t.kill();
    wendy.terminate();
  }
  await srv.waitLog(/ event=ssh_terminal term=xterm-256color cols=100 rows=30 charset=utf-8 | event=login conn=\d+ node=\d+ handle=Sheila /);
});

test('the host keys were made on first start, mode 0600, and are kept', { skip }, () => {
  const dir = srv.dir;
  for (const k of ['ssh_host_ed25519_key', 'ssh_host_rsa_key']) {
    const path = join(dir, k);
    assert.ok(existsSync(path), `${path} is missing`);
    assert.equal(statSync(path).mode & 0o777, 0o600, `${k} mode`);
  }
  assert.match(srv.output(), / event=ssh_host_key_made path=\S*ssh_host_ed25519_key/);
  assert.match(srv.output(), / event=ssh_host_key key="ssh-ed25519 SHA256:/);
  // The client pinned the Ed25519 key; ssh-keyscan sees the same one.
  const pinned = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${srv.sshPort}`, '-f',
    join(home, 'known_hosts')], { encoding: 'utf8' });
  assert.match(pinned, /ssh-ed25519/);
});

test('a restart keeps the host keys', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-ssh-keys-'));
  const fingerprints = (out) => [...out.matchAll(/ event=ssh_host_key key="(\S+ SHA256:[^"\s]+)"/g)].map((m) => m[1]);
  try {
    let s = await startServer({ config: CONFIG, dir });
    const first = fingerprints(s.output());
    assert.equal((await s.stop()).code, 0);
    s = await startServer({ config: CONFIG, dir });
    assert.doesNotMatch(s.output(), /event=ssh_host_key_made/);
    assert.deepEqual(fingerprints(s.output()), first);
    assert.equal(first.length, 2);
    assert.equal((await s.stop()).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ssh_login: the SSH user and password are the BBS handle and password', { skip }, async () => {
  const s = await startServer({ config: `[server]\nssh = "127.0.0.1:0"\nssh_login = true\n[bbs]\n${FAST}` });
  try {
    const reg = await Caller.connect(s.wsUrl, SIZE);
    await reg.register('Paula', PASSWORD);
    reg.terminate();
    const t = sshInTmux('login', s.sshPort, 'paula', { extra: ['-o', 'NumberOfPasswordPrompts=1'] });
    try {
      await t.wait(/password:/);
      t.type(PASSWORD);
      t.enter();
      // Straight to the menu: no handle prompt, the BBS knows who this is.
      const menu = await t.wait(/Command/);
      assert.match(menu, /Welcome, Paula!/);
      assert.doesNotMatch(menu, /Enter your handle/);
      await s.waitLog(/ event=ssh_login user=paula /);
    } finally {
      t.kill();
    }
    // A wrong password is refused by SSH itself, with the BBS's rules.
    const bad = sshInTmux('bad', s.sshPort, 'Paula', { extra: ['-o', 'NumberOfPasswordPrompts=1'] });
    try {
      await bad.wait(/password:/);
      bad.type('not the password');
      bad.enter();
      await bad.wait(/Permission denied[\s\S]*\[ssh exited 255\]/);
      await s.waitLog(/ event=ssh_login_failed user=Paula /);
    } finally {
      bad.kill();
    }
    // "new" gets the BBS's own prompt, to register.
    const nu = sshInTmux('new', s.sshPort, 'new');
    try {
      await nu.wait(/Enter your handle/);
    } finally {
      nu.kill();
    }
  } finally {
    assert.equal((await s.stop()).code, 0);
  }
});
