// The page in a real browser against the real server: node --test tests/browser/
//
// Needs build/carrier (or $CARRIER_BIN) and the page built into what the
// server serves (make web). Chromium is Debian's /usr/bin/chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, screen, allText, until, sentControls, status } from './harness.mjs';

let browser;
let srv;
let page;

before(async () => {
	srv = await startServer({});
	browser = await launch();
	page = await browser.newPage();
	await page.goto(srv.url + '/');
});

after(async () => {
	if (browser)
		await browser.close();
	if (srv)
		await srv.stop();
});

test('the page loads and connects', async () => {
	await until(async () => (await status(page)).state === 'connected', 'connected');
	const st = await status(page);
	assert.equal(st.text, 'Connected');
	assert.match(await page.title(), /Carrier/);
	assert.deepEqual(page.consoleErrors, []);
});

test('the terminal shows the welcome screen', async () => {
	const rows = await until(async () => {
		const r = await screen(page);
		return /carrier/i.test(r.join('\n')) ? r : null;
	}, 'CARRIER on the screen');
	assert.ok(rows.some((r) => /CARRIER|Carrier/.test(r)), rows.join('\n'));
	// The server's font is the page's own, not a fallback.
	assert.equal(await page.evaluate(() => document.fonts.check('16px "Carrier Mono"')), true);
});

test('typing is sent in binary frames and echoed', async () => {
	// The server has drawn the prompt.
	await until(async () => (await screen(page)).some((r) => r.includes('Enter your handle (or NEW):')),
		'the handle prompt');
	const before = page.sentFrames.length;
	await page.click('#term');
	await page.keyboard.type('hello world');
	await page.keyboard.press('Enter');
	await until(async () => /hello world/.test(await allText(page)), 'the echo of hello world');
	const sent = page.sentFrames.slice(before);
	assert.ok(sent.length > 0, 'frames were sent');
	// Every byte typed went out as binary; no typed text in a text frame.
	for (const f of sent)
		assert.equal(f.text, false, `typed input in a text frame: ${f.payload}`);
	const bytes = Buffer.concat(sent.map((f) => Buffer.from(f.payload)));
	assert.ok(bytes.toString('utf8').includes('hello world\r'), JSON.stringify(bytes.toString()));
});

// Cells a whole number of device pixels wide: no seams in block art.
async function assertWholePixelCells()
{
	const cell = await page.evaluate(() =>
		document.querySelector('.xterm-screen').getBoundingClientRect().width /
		window.carrier.term.cols * window.devicePixelRatio);
	assert.ok(Math.abs(cell - Math.round(cell)) < 0.02, `cell width ${cell} device px`);
}

test('resizing the window sends resize and keeps at least 80 columns', async () => {
	const wide = await page.evaluate(() => ({
		cols: window.carrier.term.cols,
		rows: window.carrier.term.rows,
		font: window.carrier.term.options.fontSize,
	}));
	assert.ok(wide.cols >= 80, `cols at 1280 px: ${wide.cols}`);
	await assertWholePixelCells();
	const first = sentControls(page).filter((m) => m.type === 'resize');
	assert.ok(first.length >= 1, 'a resize was sent on open');
	assert.deepEqual(first[0], { type: 'resize', cols: wide.cols, rows: wide.rows });

	await page.setViewportSize({ width: 375, height: 667 });
	const narrow = await until(async () => {
		const s = await page.evaluate(() => ({
			cols: window.carrier.term.cols,
			rows: window.carrier.term.rows,
			font: window.carrier.term.options.fontSize,
		}));
		return s.font < wide.font ? s : null;
	}, 'a smaller font at 375 px');
	assert.equal(narrow.cols, 80);
	await assertWholePixelCells();
	// The 80 columns fit in the window: no sideways scrolling.
	const overflow = await page.evaluate(() => {
		const el = document.getElementById('term');
		return el.scrollWidth - el.clientWidth;
	});
	assert.ok(overflow <= 0, `terminal overflows by ${overflow} px`);
	const last = await until(async () => {
		const r = sentControls(page).filter((m) => m.type === 'resize').at(-1);
		return r && r.cols === narrow.cols && r.rows === narrow.rows ? r : null;
	}, 'a resize message for the narrow window');
	assert.deepEqual(last, { type: 'resize', cols: 80, rows: narrow.rows });

	await page.screenshot({ path: '/tmp/carrier-page-375.png' });
	await page.setViewportSize({ width: 1280, height: 800 });
	await until(async () => (await page.evaluate(() => window.carrier.term.options.fontSize)) === wide.font,
		'the font back to its preferred size');
	await page.screenshot({ path: '/tmp/carrier-page-1280.png' });
});

test('BEL rings the bell: an 800 Hz tone and a flash', async () => {
	// A click is the user gesture that lets the page make sound.
	await page.click('#term');
	await until(() => page.evaluate(() => window.carrier.bell.audioState === 'running'), 'audio running');
	// Record the oscillators the bell makes.
	await page.evaluate(() => {
		window.oscillators = [];
		const create = AudioContext.prototype.createOscillator;
		AudioContext.prototype.createOscillator = function () {
			const osc = create.call(this);
			window.oscillators.push(osc);
			return osc;
		};
	});
	const before = await page.evaluate(() => ({ rings: window.carrier.bell.rings, tones: window.carrier.bell.tones }));
	// The flash lasts FLASH_MS: a poll on a loaded machine can miss it, so the page
	// records that the class came (a MutationObserver set up before the BEL).
	await page.evaluate(() => {
		window.flashed = false;
		const el = document.getElementById('term');
		new MutationObserver(() => { if (el.classList.contains('bell')) window.flashed = true; })
			.observe(el, { attributes: true, attributeFilter: ['class'] });
	});
	await page.evaluate(() => window.carrier.term.write('\x07'));
	await until(() => page.evaluate(() => window.flashed), 'the bell class');
	const after = await page.evaluate(() => ({
		rings: window.carrier.bell.rings,
		tones: window.carrier.bell.tones,
		hz: window.oscillators.map((o) => o.frequency.value),
	}));
	assert.equal(after.rings, before.rings + 1);
	assert.equal(after.tones, before.tones + 1);
	assert.deepEqual(after.hz, [800]);
	// The flash ends by itself.
	await until(async () => !(await page.evaluate(() =>
		document.getElementById('term').classList.contains('bell'))), 'the flash to end', 2000);
});

test('the page reconnects when the server goes away and comes back', async () => {
	const port = srv.httpPort;
	await srv.stop();
	srv = null;
	const down = await until(async () => {
		const s = await status(page);
		return s.state === 'reconnecting' ? s : null;
	}, 'the reconnecting status');
	assert.match(down.text, /reconnecting in \d+s/);

	srv = await startServer({ args: ['--http', `127.0.0.1:${port}`] });
	await until(async () => (await status(page)).state === 'connected', 'connected again', 20000);
	assert.equal((await status(page)).text, 'Connected');
	// The new call gets a fresh welcome screen.
	await until(async () => /carrier/i.test((await screen(page)).join('\n')), 'the welcome screen again');
});
