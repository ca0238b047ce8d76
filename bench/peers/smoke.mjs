// smoke.mjs -- check that each benchmark peer really fans out, on loopback.
//
//   node bench/peers/smoke.mjs [--clients 50] [--messages 100] [--size 64]
//                              [--peers ngircd,inspircd,ws,uws]
//
// For each peer: start it fresh (its start script or `node *.mjs PORT`) in a
// new temporary directory on a free port, wait for its "ready" line, connect
// N clients, a few handshakes at a time (IRC: NICK/USER, wait for 376/422, JOIN #bench, wait for 366;
// WebSocket: open), let client 0 send M messages of S bytes as fast as it
// can, and check that every other client receives all M, in order and intact
// (and, for the WebSocket peers, that the sender gets its own back; for IRC,
// that it gets none).  Then stop the peer with SIGTERM and check that it
// exits.  Prints one line per peer and exits 1 if any peer failed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv)
{
	const o = { clients: 50, messages: 100, size: 64, peers: 'ngircd,inspircd,ws,uws', keep: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--keep') { o.keep = true; continue; }
		const v = argv[++i];
		if (v === undefined) throw new Error(`missing value for ${a}`);
		switch (a) {
		case '--clients': o.clients = Number(v); break;
		case '--messages': o.messages = Number(v); break;
		case '--size': o.size = Number(v); break;
		case '--peers': o.peers = v; break;
		default: throw new Error(`unknown option ${a}`);
		}
	}
	if (!(o.clients >= 2) || !(o.messages >= 1) || !(o.size >= 24 && o.size <= 65536))
		throw new Error('need --clients >= 2, --messages >= 1, 24 <= --size <= 65536');
	return o;
}

function freePort()
{
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

// Open n clients with at most `window` handshakes in flight: ngircd's listen
// backlog is hard-wired to 10, and a SYN dropped from a full queue costs a
// 1 s, 3 s, 7 s... retransmission, which is not what this smoke test is about;
// the others listen with a backlog of 511.  InspIRCd completes a login only in
// its once-a-second housekeeping, so it needs many logins in flight at once.
const WINDOW = { ngircd: 8, inspircd: 400, ws: 400, uws: 400 };
async function openPaced(n, window, open, ready)
{
	const clients = [];
	const inflight = new Set();
	for (let i = 0; i < n; i++) {
		const c = open(i);
		clients.push(c);
		const p = ready(c).finally(() => inflight.delete(p));
		inflight.add(p);
		if (inflight.size >= window)
			await Promise.race(inflight);
	}
	await Promise.all(clients.map(ready));
	return clients;
}

function withTimeout(promise, ms, what)
{
	let t;
	const timer = new Promise((_, reject) => {
		t = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
	});
	return Promise.race([promise, timer]).finally(() => clearTimeout(t));
}

// Start a peer; resolve with { child, pid } once it printed its ready line.
function startPeer(peer, port, dir)
{
	let cmd, args;
	switch (peer) {
	case 'ngircd': cmd = path.join(here, 'ngircd.sh'); args = [String(port), dir]; break;
	case 'inspircd': cmd = path.join(here, 'inspircd.sh'); args = [String(port), dir]; break;
	case 'ws': cmd = process.execPath; args = [path.join(here, 'ws-broadcast.mjs'), String(port)]; break;
	case 'uws': cmd = process.execPath; args = [path.join(here, 'uws-broadcast.mjs'), String(port)]; break;
	default: throw new Error(`unknown peer ${peer}`);
	}
	const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
	let stderr = '';
	child.stderr.on('data', (d) => { stderr += d; });
	const ready = new Promise((resolve, reject) => {
		let out = '';
		child.stdout.on('data', (d) => {
			out += d;
			const m = /^ready \S+ port=(\d+) pid=(\d+)( nodelay=1)?$/m.exec(out);
			if (m) resolve({ pid: Number(m[2]) });
		});
		exited.then(({ code, sig }) => reject(new Error(`${peer} exited (${code ?? sig}) before ready: ${stderr.trim()}`)));
	});
	return withTimeout(ready, 15000, `${peer} ready`).then((r) => ({ child, exited, pid: r.pid, stderr: () => stderr }));
}

// Payload: "<seq> <sendtime-ms> " padded with 'x' to exactly `size` bytes.
function payload(seq, size)
{
	const head = `${seq} ${Date.now()} `;
	return head + 'x'.repeat(size - head.length);
}

// Receiver bookkeeping shared by both protocols.
function makeTally(expect)
{
	return { next: 0, got: 0, bad: 0, lat: [], done: null, expect };
}

function account(t, text)
{
	const sp = text.indexOf(' ');
	const seq = Number(text.slice(0, sp));
	const sent = Number(text.slice(sp + 1, text.indexOf(' ', sp + 1)));
	if (seq !== t.next)
		t.bad++;
	t.next = seq + 1;
	t.got++;
	t.lat.push(Date.now() - sent);
	if (t.got === t.expect && t.done)
		t.done();
}

// ---- IRC -------------------------------------------------------------------

function ircClient(port, nick, size)
{
	const sock = net.connect({ host: '127.0.0.1', port });
	sock.setNoDelay(true);
	const c = { sock, nick, tally: null, joined: null, error: null, closed: false };
	let buf = '';
	let onWelcome, onJoined;
	c.welcomed = new Promise((r) => { onWelcome = r; });
	c.joined = new Promise((r) => { onJoined = r; });
	sock.on('error', (e) => { c.error = e; });
	sock.on('close', () => { c.closed = true; });
	sock.on('connect', () => {
		sock.write(`NICK ${nick}\r\nUSER ${nick} 0 * :smoke ${nick}\r\n`);
	});
	sock.setEncoding('latin1');
	sock.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\r\n')) >= 0) {
			const line = buf.slice(0, i);
			buf = buf.slice(i + 2);
			// [:prefix] COMMAND params... [:trailing]
			let rest = line, prefix = '';
			if (rest[0] === ':') {
				const sp = rest.indexOf(' ');
				prefix = rest.slice(1, sp);
				rest = rest.slice(sp + 1);
			}
			const sp = rest.indexOf(' ');
			const cmd = sp < 0 ? rest : rest.slice(0, sp);
			const params = sp < 0 ? '' : rest.slice(sp + 1);
			if (cmd === 'PING') {
				sock.write(`PONG ${params}\r\n`);
			} else if (cmd === '376' || cmd === '422') {
				onWelcome();
			} else if (cmd === '366') {
				onJoined();
			} else if (cmd === 'PRIVMSG' && c.tally) {
				const colon = params.indexOf(' :');
				const text = params.slice(colon + 2);
				if (text.length !== size)
					c.tally.bad++;
				account(c.tally, text);
			} else if (cmd === 'ERROR' || cmd === 'KILL') {
				c.error = new Error(`${nick}: ${line}`);
			}
			void prefix;
		}
	});
	return c;
}

async function runIrc(peer, port, o)
{
	const clients = await withTimeout(openPaced(o.clients, WINDOW[peer],
		(i) => ircClient(port, `smoke${i}`, o.size), (c) => c.welcomed),
		60000, 'IRC registration (376/422)');
	for (const c of clients)
		c.sock.write('JOIN #bench\r\n');
	await withTimeout(Promise.all(clients.map((c) => c.joined)), 20000, 'JOIN #bench (366)');
	for (const c of clients)
		c.tally = makeTally(o.messages);
	const receivers = clients.slice(1);
	const all = Promise.all(receivers.map((c) => new Promise((r) => { c.tally.done = r; })));
	const t0 = process.hrtime.bigint();
	let lines = '';
	for (let s = 0; s < o.messages; s++)
		lines += `PRIVMSG #bench :${payload(s, o.size)}\r\n`;
	clients[0].sock.write(lines);	// one burst: any flood control would show
	let timedOut = false;
	await withTimeout(all, 20000, 'deliveries').catch(() => { timedOut = true; });
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	// Give a stray self-echo (there must be none in IRC) a moment to arrive.
	await new Promise((r) => setTimeout(r, 200));
	const res = summarise(receivers, clients[0], 0, o, ms, timedOut);
	for (const c of clients) {
		if (c.error && !res.errors.length) res.errors.push(String(c.error.message || c.error));
		if (c.closed) res.errors.push(`${c.nick} was disconnected`);
	}
	for (const c of clients) {
		c.sock.end('QUIT :done\r\n');
		c.sock.destroy();
	}
	return res;
}

// ---- WebSocket -------------------------------------------------------------

async function runWs(peer, port, o)
{
	const open = (i) => {
		const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
		const c = { ws, nick: `ws${i}`, tally: null, error: null, closed: false, kindBad: 0 };
		c.open = new Promise((resolve, reject) => {
			ws.on('open', resolve);
			ws.on('error', (e) => { c.error = e; reject(e); });
		});
		ws.on('close', () => { c.closed = true; });
		ws.on('message', (data, isBinary) => {
			if (!c.tally) return;
			if (!isBinary) c.kindBad++;	// we send binary; it must stay binary
			const text = data.toString('latin1');
			if (text.length !== o.size) c.tally.bad++;
			account(c.tally, text);
		});
		return c;
	};
	const clients = await withTimeout(openPaced(o.clients, WINDOW[peer], open, (c) => c.open), 60000, 'WebSocket open');
	for (const c of clients)
		c.tally = makeTally(o.messages);
	// Every client, the sender included, must get every message.
	const all = Promise.all(clients.map((c) => new Promise((r) => { c.tally.done = r; })));
	const t0 = process.hrtime.bigint();
	for (let s = 0; s < o.messages; s++)
		clients[0].ws.send(Buffer.from(payload(s, o.size), 'latin1'), { binary: true });
	let timedOut = false;
	await withTimeout(all, 20000, 'deliveries').catch(() => { timedOut = true; });
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	const res = summarise(clients.slice(1), clients[0], o.messages, o, ms, timedOut);
	const kindBad = clients.reduce((n, c) => n + c.kindBad, 0);
	if (kindBad) res.errors.push(`${kindBad} messages came back as text, sent as binary`);
	for (const c of clients) {
		if (c.error) res.errors.push(String(c.error.message || c.error));
		if (c.closed) res.errors.push(`${c.nick} was disconnected`);
	}
	for (const c of clients)
		c.ws.terminate();
	return res;
}

function summarise(receivers, sender, senderExpect, o, ms, timedOut)
{
	const got = receivers.reduce((n, c) => n + c.tally.got, 0);
	const bad = receivers.reduce((n, c) => n + c.tally.bad, 0) + sender.tally.bad;
	const lat = receivers.flatMap((c) => c.tally.lat).sort((a, b) => a - b);
	const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
	const expect = receivers.length * o.messages;
	const errors = [];
	if (timedOut) errors.push('timed out waiting for deliveries');
	if (got !== expect) errors.push(`receivers got ${got} of ${expect}`);
	if (bad) errors.push(`${bad} out of order or damaged`);
	if (sender.tally.got !== senderExpect)
		errors.push(`sender got ${sender.tally.got} of its own messages, expected ${senderExpect}`);
	return { got, expect, self: sender.tally.got, ms, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1], errors };
}

async function smoke(peer, o)
{
	const dir = mkdtempSync(path.join(os.tmpdir(), `carrier-peer-${peer}-`));
	const port = await freePort();
	let p;
	try {
		p = await startPeer(peer, port, dir);
	} catch (e) {
		return { peer, ok: false, line: `${peer}: FAIL start: ${e.message}` };
	}
	let res;
	try {
		res = (peer === 'ngircd' || peer === 'inspircd') ? await runIrc(peer, port, o) : await runWs(peer, port, o);
	} catch (e) {
		res = { errors: [e.message] };
	}
	p.child.kill('SIGTERM');
	const ex = await withTimeout(p.exited, 10000, `${peer} exit`).catch(() => null);
	if (!ex) {
		res.errors.push('did not exit within 10 s of SIGTERM');
		p.child.kill('SIGKILL');
	}
	try { process.kill(p.pid, 0); res.errors.push(`server pid ${p.pid} still alive`); } catch { /* gone: good */ }
	if (!o.keep) rmSync(dir, { recursive: true, force: true });
	const ok = res.errors.length === 0;
	const line = `${peer}: ${ok ? 'ok' : 'FAIL'} clients=${o.clients} messages=${o.messages} size=${o.size}` +
		(res.expect !== undefined
			? ` delivered=${res.got}/${res.expect} self=${res.self} all_in=${res.ms.toFixed(1)}ms` +
			  ` latency_ms p50=${res.p50} p99=${res.p99} max=${res.max}`
			: '') +
		(ok ? '' : ` -- ${res.errors.join('; ')}`);
	return { peer, ok, line };
}

const o = parseArgs(process.argv.slice(2));
let failed = 0;
for (const peer of o.peers.split(',')) {
	const r = await smoke(peer, o);
	console.log(r.line);
	if (!r.ok) failed++;
}
process.exit(failed ? 1 : 0);
