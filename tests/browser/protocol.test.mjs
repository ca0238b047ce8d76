// The page's side of docs/protocol.md, checked in a real browser against a
// scripted peer (Node http + ws) instead of the C server, so that each rule can
// be provoked on demand: session tokens, logout, unknown messages, 1013, 1000.
// The page is built from web/ into a temporary directory first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, screen, until, status, pageSleep } from './harness.mjs';

const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
const require = createRequire(join(webDir, 'package.json'));
const { WebSocketServer } = require('ws');

const MIME = {
	'.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
	'.woff2': 'font/woff2', '.map': 'application/json',
};

// A peer that serves the built page and records every WebSocket it accepts.
async function startPeer(root)
{
	const server = http.createServer(async (req, res) => {
		const path = req.url === '/' ? '/index.html' : req.url.split('?')[0];
		try {
			const body = await readFile(join(root, path.replace(/\.\.+/g, '')));
			res.writeHead(200, { 'content-type': MIME[extname(path)] || 'application/octet-stream' });
			res.end(body);
		} catch {
			res.writeHead(404);
			res.end();
		}
	});
	const wss = new WebSocketServer({ server, path: '/ws' });
	const peer = { conns: [], onConnection: null };
	wss.on('connection', (ws) => {
		const c = { ws, frames: [] };
		ws.on('message', (data, isBinary) => c.frames.push(isBinary
			? { binary: true, bytes: Buffer.from(data) }
			: { binary: false, msg: JSON.parse(data.toString()) }));
		peer.conns.push(c);
		if (peer.onConnection)
			peer.onConnection(c);
	});
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	peer.url = `http://127.0.0.1:${server.address().port}/`;
	peer.latest = () => peer.conns.at(-1);
	peer.close = async () => {
		for (const ws of wss.clients)
			ws.terminate();
		wss.close();
		await new Promise((r) => server.close(r));
	};
	return peer;
}

let outDir, peer, browser, page;

before(async () => {
	outDir = await mkdtemp(join(tmpdir(), 'carrier-web-'));
	await promisify(execFile)(process.execPath, ['build.mjs', outDir], { cwd: webDir });
	peer = await startPeer(outDir);
	// A phone: touch, a narrow screen, three device pixels to the CSS pixel.
	browser = await launch({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true });
	page = await browser.newPage();
});

after(async () => {
	if (browser)
		await browser.close();
	if (peer)
		await peer.close();
	if (outDir)
		await rm(outDir, { recursive: true, force: true });
});

const controls = (c) => c.frames.filter((f) => !f.binary).map((f) => f.msg);
const storedToken = () => page.evaluate(() => localStorage.getItem('carrier.session'));

// The first connection accepted after the first n; wait for its opening
// control message. Take n before doing what makes the page call.
async function callAfter(n)
{
	await until(() => peer.conns.length > n && controls(peer.latest()).length > 0,
		'a new connection that has sent its first control message', 15000);
	return peer.conns[n];
}

test('a first call sends only resize, and bytes both ways are binary UTF-8', async () => {
	const n = peer.conns.length;
	await page.goto(peer.url);
	const c = await callAfter(n);
	const term = await page.evaluate(() => ({ cols: window.carrier.term.cols, rows: window.carrier.term.rows }));
	assert.deepEqual(controls(c)[0], { type: 'resize', cols: term.cols, rows: term.rows });
	assert.equal(controls(c).some((m) => m.type === 'resume'), false);

	// A UTF-8 character split across two frames is still one character.
	const block = Buffer.from('CARRIER \u2588\u2592 caf\u00e9');
	c.ws.send(block.subarray(0, 10));
	c.ws.send(block.subarray(10));
	await until(async () => (await screen(page))[0] === 'CARRIER \u2588\u2592 caf\u00e9', 'the text on row 1');

	await page.click('#term');
	await page.keyboard.type('h\u00e9');
	await page.keyboard.press('Enter');
	await until(() => c.frames.filter((f) => f.binary).length >= 3, 'three input frames');
	const typed = Buffer.concat(c.frames.filter((f) => f.binary).map((f) => f.bytes));
	assert.deepEqual([...typed], [0x68, 0xc3, 0xa9, 0x0d]);
});

test('session tokens are stored, resumed before resize, and deleted on logout', async () => {
	let c = peer.latest();
	c.ws.send(JSON.stringify({ type: 'session', token: 'tok-1', expires: Math.floor(Date.now() / 1000) + 3600 }));
	await until(async () => (await storedToken()) === 'tok-1', 'the stored token');

	// Unknown types and junk are ignored; the call goes on.
	c.ws.send(JSON.stringify({ type: 'no-such-type', token: 'evil' }));
	c.ws.send('not json');
	c.ws.send(Buffer.from('still here'));
	await until(async () => (await screen(page)).some((r) => r.includes('still here')), 'bytes after junk');
	assert.equal(await storedToken(), 'tok-1');
	assert.equal((await status(page)).state, 'connected');

	// A drop: the page calls back and resumes the session before sizing it.
	const n = peer.conns.length;
	c.ws.terminate();
	c = await callAfter(n);
	await until(() => controls(c).length >= 2, 'resume and resize');
	assert.deepEqual(controls(c)[0], { type: 'resume', token: 'tok-1' });
	assert.equal(controls(c)[1].type, 'resize');

	c.ws.send(JSON.stringify({ type: 'logout' }));
	await until(async () => (await storedToken()) === null, 'the token to be deleted');
});

test('an expired token is neither sent nor kept', async () => {
	await page.evaluate(() => {
		localStorage.setItem('carrier.session', 'old');
		localStorage.setItem('carrier.session.expires', String(Math.floor(Date.now() / 1000) - 10));
	});
	const n = peer.conns.length;
	await page.reload();
	const c = await callAfter(n);
	assert.equal(controls(c)[0].type, 'resize');
	assert.equal(await storedToken(), null);
});

test('1013 shows the lines are busy, then the page backs off and retries', async () => {
	peer.onConnection = (c) => c.ws.close(1013, 'all lines busy');
	peer.latest().ws.terminate();
	const busy = await until(async () => {
		const s = await status(page);
		return /busy/i.test(s.text) ? s : null;
	}, 'the busy status', 15000);
	assert.equal(busy.state, 'reconnecting');
	assert.match(busy.text, /All lines are busy \u2014 reconnecting in \d+s/);
	// Back off: the retries grow apart (1 s, then 2 s, each up to 20 % less).
	const n = peer.conns.length;
	await until(() => peer.conns.length >= n + 1, 'another attempt', 10000);
	const t1 = Date.now();
	await until(() => peer.conns.length >= n + 2, 'a further attempt', 15000);
	assert.ok(Date.now() - t1 >= 1200, `second retry came after ${Date.now() - t1} ms`);
	peer.onConnection = null;
	await page.click('#status'); // skips the rest of the backoff
	await until(async () => (await status(page)).state === 'connected', 'connected once a line is free', 15000);
});

test('a normal close (log-off) waits for a key before calling again', async () => {
	const c = peer.latest();
	c.ws.close(1000, 'goodbye');
	await until(async () => (await status(page)).state === 'closed', 'the closed state');
	const n = peer.conns.length;
	// A retry would be due 1 s (less jitter) after the close: before a timer of the
	// page's own set now.
	await pageSleep(page, 2500);
	assert.equal((await status(page)).state, 'closed');
	assert.equal(peer.conns.length, n, 'no automatic reconnection after a log-off');
	await page.evaluate(() => window.carrier.term.focus());
	await page.keyboard.press('Enter');
	await until(async () => (await status(page)).state === 'connected', 'connected after a key');
	assert.equal(peer.conns.length, n + 1);
});

test('nothing typed ever travels in a text frame', async () => {
	for (const c of peer.conns)
		for (const f of c.frames.filter((x) => !x.binary))
			assert.ok(['resize', 'resume'].includes(f.msg.type), JSON.stringify(f.msg));
	assert.deepEqual(page.consoleErrors, []);
});

test('on a phone, a tap focuses the terminal and 80 columns fill the width', async () => {
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
	assert.equal(await page.evaluate(() => document.activeElement.classList.contains('xterm-helper-textarea')), false);
	await page.tap('#term');
	// xterm's hidden textarea has focus: that is what raises the touch keyboard.
	assert.equal(await page.evaluate(() => document.activeElement.classList.contains('xterm-helper-textarea')), true);
	const m = await page.evaluate(() => ({
		cols: window.carrier.term.cols,
		used: document.querySelector('.xterm-screen').getBoundingClientRect().width,
		width: document.getElementById('term').clientWidth,
	}));
	assert.equal(m.cols, 80);
	assert.ok(m.used <= m.width, `the terminal (${m.used} px) overflows ${m.width} px`);
	assert.ok(m.used >= 0.9 * m.width, `the terminal uses only ${m.used} of ${m.width} px`);
	await page.screenshot({ path: '/tmp/carrier-page-phone.png' });
});
