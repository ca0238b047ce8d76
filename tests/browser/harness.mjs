// Shared by the browser tests (not a test itself: node --test only runs
// *.test.mjs here). Drives Debian's chromium through playwright-core, which is
// installed in web/node_modules.
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

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
			const page = await context.newPage();
			// Record every WebSocket frame the page sends, for protocol checks.
			page.sentFrames = [];
			page.on('websocket', (ws) => {
				ws.on('framesent', (f) => page.sentFrames.push({
					url: ws.url(),
					text: typeof f.payload === 'string',
					payload: f.payload,
				}));
			});
			page.consoleErrors = [];
			page.on('pageerror', (err) => page.consoleErrors.push(String(err)));
			return page;
		},
		async close()
		{
			await context.close();
			await rm(profile, { recursive: true, force: true });
		},
	};
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

// Poll `fn` (async, returns truthy when done) until it passes or time runs out.
export async function until(fn, what, timeoutMs = 10000, stepMs = 50)
{
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		last = await fn();
		if (last)
			return last;
		if (Date.now() > deadline)
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, stepMs));
	}
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
