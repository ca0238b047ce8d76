// Shared by the browser tests (not a test itself: node --test only runs
// *.test.mjs here). Drives Debian's chromium through playwright-core, which is
// installed in web/node_modules.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startServer, webRequire } from '../lib/server.mjs';
import { poll } from '../lib/wait.mjs';

const { chromium } = webRequire('playwright-core');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
	// Let the bell's AudioContext start without a real user gesture.
	'--autoplay-policy=no-user-gesture-required',
];

// A fresh browser with its own temporary profile. close() removes both.
// `options` go to the browser context (viewport, deviceScaleFactor, hasTouch…).
export async function launch(options = {})
{
	const profile = await mkdtemp(join(tmpdir(), 'carrier-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ARGS,
		viewport: { width: 1280, height: 800 },
		...options,
	});
	return {
		context,
		async newPage()
		{
			return instrument(await context.newPage());
		},
		async close()
		{
			await context.close();
			await rm(profile, { recursive: true, force: true });
		},
	};
}

// Record every WebSocket frame the page sends (page.sentFrames) and receives
// (page.receivedFrames), for protocol checks, and uncaught page errors
// (page.consoleErrors). A binary payload is a Buffer, a text one a string.
function instrument(page)
{
	page.sentFrames = [];
	page.receivedFrames = [];
	page.on('websocket', (ws) => {
		ws.on('framesent', (f) => page.sentFrames.push({
			url: ws.url(),
			text: typeof f.payload === 'string',
			payload: f.payload,
		}));
		ws.on('framereceived', (f) => page.receivedFrames.push({
			url: ws.url(),
			text: typeof f.payload === 'string',
			payload: f.payload,
		}));
	});
	page.consoleErrors = [];
	page.on('pageerror', (err) => page.consoleErrors.push(String(err)));
	return page;
}

// One browser process holding several independent callers: each context has
// its own localStorage (its own session token), like two people on two
// machines. close() ends the browser and every context.
export async function launchBrowser()
{
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ARGS,
	});
	return {
		browser,
		// A fresh context with one page, instrumented as newPage() above.
		// `options` go to the context (viewport defaults to 1280x800).
		async newPage(options = {})
		{
			const context = await browser.newContext({
				viewport: { width: 1280, height: 800 },
				...options,
			});
			return instrument(await context.newPage());
		},
		async close()
		{
			await browser.close();
		},
	};
}

// Call before the page loads: window.__sockets records every WebSocket the
// page opens, with when it was made (performance.now() ms), when it opened
// and its close code (null while open). The page's own onopen/onclose are
// untouched.
export function recordSockets(page)
{
	return page.addInitScript(() => {
		const Native = window.WebSocket;
		const sockets = [];
		window.__sockets = sockets;
		window.WebSocket = class extends Native {
			constructor(...args)
			{
				super(...args);
				const rec = { made: performance.now(), opened: null, closed: null, code: null };
				sockets.push(rec);
				this.addEventListener('open', () => { rec.opened = performance.now(); });
				this.addEventListener('close', (ev) => {
					rec.closed = performance.now();
					rec.code = ev.code;
				});
			}
		};
	});
}

// The terminal's visible screen as text, one string per row.
export function screen(page)
{
	return page.evaluate(() => {
		const buf = window.carrier.term.buffer.active;
		const rows = [];
		for (let y = 0; y < window.carrier.term.rows; y++) {
			const line = buf.getLine(buf.viewportY + y);
			rows.push(line ? line.translateToString(true) : '');
		}
		return rows;
	});
}

// Every line of the buffer, scrollback included.
export function allText(page)
{
	return page.evaluate(() => {
		const buf = window.carrier.term.buffer.active;
		const rows = [];
		for (let y = 0; y < buf.length; y++)
			rows.push(buf.getLine(y).translateToString(true));
		return rows.join('\n');
	});
}

// Poll `fn` (async, returns truthy when done) until it passes or time runs out:
// a page tells Node nothing by itself.
export function until(fn, what, timeoutMs = 10000, stepMs = 50)
{
	return poll(fn, { timeout: timeoutMs, every: stepMs, what });
}

// Let ms pass on the page's own clock: a timer of the page, set now, fires. Its
// timers run in the order they are due, so whatever the page had due before
// then (a retry, a reconnection) has run by the time this resolves, however
// loaded the machine. For tests of what a page must not do by itself.
export function pageSleep(page, ms)
{
	return page.evaluate((t) => new Promise((r) => setTimeout(r, t)), ms);
}

// The control messages (parsed JSON text frames) a page has sent so far.
export function sentControls(page)
{
	return page.sentFrames.filter((f) => f.text).map((f) => JSON.parse(f.payload));
}

export function status(page)
{
	return page.evaluate(() => ({
		state: window.carrier.status,
		text: document.getElementById('status').textContent,
	}));
}

// A server (startServer(opts)) and a browser, started at once.  If either fails,
// whichever did start is closed before the failure is thrown, so a test's after()
// has only what this returned to close (stopServerAndBrowser).
export async function startServerAndBrowser(opts)
{
	const [s, b] = await Promise.allSettled([startServer(opts), launchBrowser()]);
	if (s.status === 'fulfilled' && b.status === 'fulfilled')
		return { srv: s.value, browser: b.value };
	if (b.status === 'fulfilled')
		await b.value.close();
	if (s.status === 'fulfilled')
		await s.value.stop();
	throw s.status === 'rejected' ? s.reason : b.reason;
}

// Close the browser, then stop the server, which must exit 0.  Either may be
// undefined (a before() that failed).
export async function stopServerAndBrowser(srv, browser)
{
	if (browser)
		await browser.close();
	if (srv) {
		const res = await srv.stop();
		assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
	}
}

// Wait until the visible screen shows `needle` (string or RegExp); returns the rows.
export async function waitScreen(page, needle, what = String(needle), timeout = 10000)
{
	try {
		return await until(async () => {
			const rows = await screen(page);
			const text = rows.join('\n');
			return (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) ? rows : null;
		}, what, timeout);
	} catch (err) {
		err.message += `; the screen:\n${(await screen(page)).join('\n')}`;
		throw err;
	}
}
