// The page over HTTPS in a real browser (issue 13): Chromium, told to ignore the
// test's self-signed certificate (made with `openssl req`), loads the page over
// https, the page opens wss:// by itself, registers and talks in the chat with a
// caller on plain ws; every frame the page exchanged went over wss.  With
// redirect_http, http:// lands on https://, the page works there and carries HSTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, FAST } from '../lib/server.mjs';
import { Caller, PASSWORD } from '../lib/caller.mjs';
import { makeCert, tempDir, rmDir, tlsConfig } from '../lib/tls.mjs';
import { enterChat } from '../lib/chat.mjs';
import { startServerAndBrowser, stopServerAndBrowser, waitScreen } from './harness.mjs';

let browser, srv, dir, cert;

before(async () => {
	dir = tempDir();
	cert = makeCert(dir, 'c');
	({ srv, browser } = await startServerAndBrowser({ config: `${tlsConfig(cert)}[bbs]\n${FAST}` }));
});

after(async () => {
	await stopServerAndBrowser(srv, browser);
	rmDir(dir);
});

async function typeLine(page, text)
{
	if (text !== '')
		await page.keyboard.type(text);
	await page.keyboard.press('Enter');
}

test('https page, wss terminal: registers and chats with a plain ws caller', async () => {
	const page = await browser.newPage({ ignoreHTTPSErrors: true });
	const res = await page.goto(srv.httpsUrl + '/');
	assert.equal(res.status(), 200);
	assert.equal((await res.securityDetails()).protocol, 'TLS 1.3');

	await waitScreen(page, 'Enter your handle (or NEW):');
	await page.click('#term');
	for (const [line, next] of [['NEW', 'Choose a handle:'], ['Tessa', 'Choose a password'],
		[PASSWORD, 'Type the password again:'], [PASSWORD, 'Where are you calling from?'], ['', 'Command »']]) {
		await typeLine(page, line);
		await waitScreen(page, next);
	}
	await page.keyboard.press('c');
	await waitScreen(page, '*** Welcome to Teleconference ***');

	// A plain WebSocket caller in the same room.
	const other = await Caller.connect(srv.wsUrl, { cols: 100, rows: 40 });
	try {
		await other.register('Wanda', PASSWORD);
		await enterChat(other);
		await waitScreen(page, /Wanda ha(s|ve) joined the chat/);
		await typeLine(page, 'hello from chromium over wss');
		await other.waitFor('Tessa: hello from chromium over wss');
		other.say('hello back');
		await waitScreen(page, 'Wanda: hello back');
	} finally {
		other.terminate();
	}
	// Every frame of the page went over wss://.
	const urls = new Set([...page.sentFrames, ...page.receivedFrames].map((f) => f.url));
	assert.deepEqual([...urls], [`wss://127.0.0.1:${srv.httpsPort}/ws`]);
	assert.deepEqual(page.consoleErrors, []);
	await page.context().close();
});

test('redirect_http: http:// lands on https://, with HSTS, and the page works there', async () => {
	const s2 = await startServer({ config: tlsConfig(cert, 'redirect_http = true\n') });
	try {
		const page = await browser.newPage({ ignoreHTTPSErrors: true });
		const res = await page.goto(s2.url + '/');
		assert.equal(page.url(), `https://127.0.0.1:${s2.httpsPort}/`);
		assert.match((await res.allHeaders())['strict-transport-security'], /max-age=31536000/);
		await waitScreen(page, 'Enter your handle (or NEW):');
		const urls = new Set(page.receivedFrames.map((f) => f.url));
		assert.deepEqual([...urls], [`wss://127.0.0.1:${s2.httpsPort}/ws`]);
		await page.context().close();
	} finally {
		assert.equal((await s2.stop()).code, 0);
	}
});
