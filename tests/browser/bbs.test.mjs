// The whole BBS in a real browser against the real server: registering by
// typing, the session token surviving a reload, logging off, two callers in the
// chat room paging each other, the split screen keeping typed input while lines
// arrive, and the line-busy screen with its backoff.
//
// Needs build/carrier (or $CARRIER_BIN) and the page built into what the
// server serves (make web). Screenshots go to /tmp/carrier-bbs-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, FAST } from '../lib/server.mjs';
import { PASSWORD } from '../lib/caller.mjs';
import { recordSockets, screen, allText, until, status, pageSleep, startServerAndBrowser, stopServerAndBrowser,
	waitScreen } from './harness.mjs';

let browser;
let srv;

before(async () => {
	({ srv, browser } = await startServerAndBrowser({ config: `[bbs]\n${FAST}\n[chat]\nflood_rate = 1000\nflood_burst = 1000\n` }));
});

after(() => stopServerAndBrowser(srv, browser));

// Type into the terminal as a person would: key presses into xterm's textarea.
async function typeLine(page, text)
{
	if (text !== '')
		await page.keyboard.type(text);
	await page.keyboard.press('Enter');
}

// Register through the page, from the handle prompt to the main menu.
async function register(page, handle, location = '')
{
	await waitScreen(page, 'Enter your handle (or NEW):');
	await page.click('#term');
	await typeLine(page, 'NEW');
	await waitScreen(page, 'Choose a handle:');
	await typeLine(page, handle);
	await waitScreen(page, 'Choose a password (8 or more characters):');
	await typeLine(page, PASSWORD);
	await waitScreen(page, 'Type the password again:');
	await typeLine(page, PASSWORD);
	await waitScreen(page, 'Where are you calling from? (optional):');
	await typeLine(page, location);
	return waitScreen(page, 'Command »', 'the main menu');
}

// The terminal bytes the page received from frame number `from` on, as text
// with escape sequences removed (what scrolled away or was cleared too).
function receivedText(page, from = 0)
{
	const bytes = Buffer.concat(page.receivedFrames.slice(from)
		.filter((f) => !f.text).map((f) => Buffer.from(f.payload)));
	// eslint-disable-next-line no-control-regex
	return bytes.toString('utf8').replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '');
}

function storedToken(page)
{
	return page.evaluate(() => ({
		token: localStorage.getItem('carrier.session'),
		expires: localStorage.getItem('carrier.session.expires'),
	}));
}

// Count bells from the terminal (xterm's onBell) and flashes (the 'bell'
// class arriving on the container), from now on.
function hookBell(page)
{
	return page.evaluate(() => {
		window.bellsSeen = 0;
		window.flashesSeen = 0;
		window.carrier.term.onBell(() => { window.bellsSeen++; });
		const el = document.getElementById('term');
		new MutationObserver(() => {
			if (el.classList.contains('bell'))
				window.flashesSeen++;
		}).observe(el, { attributes: true, attributeFilter: ['class'] });
	});
}

function bellCounts(page)
{
	return page.evaluate(() => ({
		bells: window.bellsSeen,
		flashes: window.flashesSeen,
		rings: window.carrier.bell.rings,
		tones: window.carrier.bell.tones,
	}));
}

test('register by typing, resume on reload without a password, log off, and the token is gone', async () => {
	const page = await browser.newPage();
	await page.goto(srv.url + '/');
	const menu = await register(page, 'Carla', 'Testville');
	const text = menu.join('\n');
	assert.match(text, /\[C\] Chat/, text);
	assert.match(text, /\[W\] Who's Online/, text);
	assert.match(text, /\[G\] Goodbye/, text);
	// The password was never echoed.
	assert.equal((await allText(page)).includes(PASSWORD), false, 'the password on the screen');
	const stored = await until(async () => {
		const s = await storedToken(page);
		return s.token ? s : null;
	}, 'the session token in localStorage');
	assert.ok(stored.token.length >= 32, `token ${stored.token}`);
	assert.ok(Number(stored.expires) > Date.now() / 1000, `expires ${stored.expires}`);
	await page.screenshot({ path: '/tmp/carrier-bbs-menu.png' });

	// Reload: the page resumes with its token; nothing is typed.
	let mark = page.sentFrames.length;
	const rmark = page.receivedFrames.length;
	await page.reload();
	const back = await waitScreen(page, 'Command »', 'the main menu after the reload');
	// The notice is drawn under the menu's box, so the caller really sees it.
	await until(async () => receivedText(page, rmark).includes('Welcome back! Your session was resumed.'),
		'the "Welcome back" notice');
	assert.match(back.join('\n'), /Welcome back! Your session was resumed\./, 'the notice is on screen');
	const after = page.sentFrames.slice(mark);
	assert.deepEqual(after.filter((f) => !f.text), [], 'keystrokes sent on a resumed call');
	const controls = after.filter((f) => f.text).map((f) => JSON.parse(f.payload));
	assert.deepEqual(controls[0], { type: 'resume', token: stored.token });
	assert.equal(controls[1].type, 'resize');
	assert.doesNotMatch(back.join('\n'), /Enter your handle|Password/);
	assert.equal((await status(page)).state, 'connected');

	// Log off with G: the goodbye screen, the token forgotten, the call ended.
	await page.click('#term');
	await page.keyboard.press('g');
	const bye = await waitScreen(page, 'Thanks for calling');
	assert.match(bye.join('\n'), /Carla!/);
	const st = await until(async () => {
		const s = await status(page);
		return s.state === 'closed' ? s : null;
	}, 'the closed status');
	assert.match(st.text, /Disconnected — press a key or tap to call again/);
	assert.deepEqual(await storedToken(page), { token: null, expires: null });
	// The page does not call again by itself: its first retry would be due 1 s
	// (less jitter) after the close, so before a timer of its own set now.
	await pageSleep(page, 2500);
	assert.equal((await status(page)).state, 'closed');

	// Reload: a fresh call, the login prompt, no resume.
	mark = page.sentFrames.length;
	await page.reload();
	const fresh = await waitScreen(page, 'Enter your handle (or NEW):');
	assert.doesNotMatch(fresh.join('\n'), /Welcome back/);
	const again = page.sentFrames.slice(mark).filter((f) => f.text).map((f) => JSON.parse(f.payload));
	assert.deepEqual(again.map((m) => m.type), ['resize']);
	assert.deepEqual(page.consoleErrors, []);
	await page.context().close();
});

test('two callers in the chat: a line reaches the other, /page rings only the recipient', async () => {
	const [alice, bob] = await Promise.all([browser.newPage(), browser.newPage()]);
	await Promise.all([alice.goto(srv.url + '/'), bob.goto(srv.url + '/')]);
	await Promise.all([register(alice, 'Alice'), register(bob, 'Bob')]);

	await bob.click('#term');
	await bob.keyboard.press('c');
	await alice.click('#term');
	await alice.keyboard.press('c');
	await waitScreen(bob, /\*\*\* Alice ha(s|ve) joined the chat/, 'Alice joining, on Bob\'s screen');
	await Promise.all([hookBell(alice), hookBell(bob)]);

	await typeLine(alice, 'hello from the browser');
	const line = await waitScreen(bob, 'Alice: hello from the browser');
	assert.ok(line.some((r) => /Alice: hello from the browser$/.test(r.trimEnd())), line.join('\n'));
	await waitScreen(alice, 'Alice: hello from the browser', 'Alice\'s own line');

	const bob0 = await bellCounts(bob);
	const alice0 = await bellCounts(alice);
	assert.equal(bob0.bells, 0, 'Bob rang before the page');
	await typeLine(alice, '/page Bob hello');
	await waitScreen(bob, '*** Page from Alice: hello ***');
	await waitScreen(alice, '*** Page sent to Bob ***');
	const bob1 = await until(async () => {
		const c = await bellCounts(bob);
		return c.bells >= 1 && c.flashes >= 1 ? c : null;
	}, 'Bob\'s bell and flash');
	assert.equal(bob1.bells, 1, 'BELs on Bob\'s terminal');
	assert.equal(bob1.flashes, 1, 'flashes on Bob\'s screen');
	assert.equal(bob1.rings, bob0.rings + 1);
	// Bob has typed, so the page may make sound: an actual tone.
	assert.equal(bob1.tones, bob0.tones + 1);
	// The flash ends by itself.
	await until(async () => !(await bob.evaluate(() =>
		document.getElementById('term').classList.contains('bell'))), 'the flash to end', 5000);
	// The wash fades out in the compositor: shoot once two more frames are drawn.
	await bob.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
	await bob.screenshot({ path: '/tmp/carrier-bbs-chat.png' });

	// Alice's page stayed quiet: a line of Bob's, said now, reaches her after any
	// stray BEL would have.
	await typeLine(bob, 'after the page');
	await waitScreen(alice, 'Bob: after the page');
	const alice1 = await bellCounts(alice);
	assert.deepEqual(alice1, alice0, 'Alice\'s page rang');
	assert.equal(await alice.evaluate(() => document.getElementById('term').classList.contains('bell')), false);
	assert.deepEqual(alice.consoleErrors, []);
	assert.deepEqual(bob.consoleErrors, []);
	await Promise.all([alice.context().close(), bob.context().close()]);
});

test('the split screen in Chromium: the typed input stays pinned while lines arrive; a resize redraws it', async () => {
	const [talker, typist] = await Promise.all([browser.newPage(), browser.newPage()]);
	await Promise.all([talker.goto(srv.url + '/'), typist.goto(srv.url + '/')]);
	await Promise.all([register(talker, 'Tala'), register(typist, 'Typo')]);
	await typist.click('#term');
	await typist.keyboard.press('c');
	await talker.click('#term');
	await talker.keyboard.press('c');
	await waitScreen(typist, /\*\*\* Tala has joined the chat/);
	// Half a line typed, then the room talks over it.
	await typist.keyboard.type('not finished yet');
	for (let i = 0; i < 30; i++)
		await typeLine(talker, `chatter ${i}`);
	const rows = await waitScreen(typist, 'Tala: chatter 29');
	for (let i = 0; i < 30; i++)
		assert.ok((await allText(typist)).includes(`Tala: chatter ${i}\n`), `chatter ${i} lost`);
	const last = rows.length - 1;
	assert.equal(rows[last].trimEnd(), '> not finished yet', rows.join('\n'));
	assert.match(rows[last - 1], /^ Teleconference \| 2 here \| \/help/, rows.join('\n'));
	assert.match(rows[0], /^ Carrier BBS · Teleconference/, 'the title row');
	assert.ok(rows.findIndex((r) => r.includes('Tala: chatter 29')) === last - 3, rows.join('\n'));
	const cursor = await typist.evaluate(() => {
		const b = window.carrier.term.buffer.active;
		return [b.cursorY, b.cursorX];
	});
	assert.deepEqual(cursor, [last, '> not finished yet'.length]);
	await typist.screenshot({ path: '/tmp/carrier-bbs-split.png' });
	// Finished: said, and the input row is empty again.
	await typeLine(typist, ' -- now it is');
	await waitScreen(talker, 'Typo: not finished yet -- now it is');
	await until(async () => (await screen(typist)).at(-1).trimEnd() === '>', 'the input row emptied');
	// A smaller window: the layout is drawn again at the new size.
	await typist.setViewportSize({ width: 900, height: 520 });
	const small = await until(async () => {
		const r = await screen(typist);
		return r.length < rows.length && /^ Carrier BBS · Teleconference/.test(r[0]) &&
			/\| 2 here \|/.test(r.at(-2)) && r.at(-1).trimEnd() === '>' ? r : null;
	}, 'the split screen redrawn at the new size');
	// Redrawn from the room's scrollback: the newest lines, the title, the status.
	assert.ok(small.some((r) => r.includes('Typo: not finished yet -- now it is')), small.join('\n'));
	assert.deepEqual(typist.consoleErrors, []);
	await Promise.all([talker.context().close(), typist.context().close()]);
});

test('line busy: the second page shows the busy screen, says so, backs off, and gets in once the line is free', async () => {
	const busySrv = await startServer({ config: `[bbs]\n${FAST}max_nodes = 1\n` });
	try {
		const first = await browser.newPage();
		await first.goto(busySrv.url + '/');
		await waitScreen(first, 'Enter your handle (or NEW):');

		const second = await browser.newPage();
		await recordSockets(second);
		await second.goto(busySrv.url + '/');
		await waitScreen(second, 'All lines are busy. Please call again later.');
		assert.match((await screen(second)).join('\n'), /ALL LINES ARE BUSY/);
		const st = await until(async () => {
			const s = await status(second);
			return s.state === 'reconnecting' ? s : null;
		}, 'the reconnecting status');
		assert.match(st.text, /^All lines are busy — reconnecting in \d+s$/);
		assert.equal(await second.evaluate(() => document.getElementById('status').dataset.state), 'reconnecting');
		await second.screenshot({ path: '/tmp/carrier-bbs-busy.png' });

		// Four calls (the first and three retries), each wait about twice the one
		// before: a backoff, not a hammer.
		const socks = await until(async () => {
			const s = await second.evaluate(() => window.__sockets);
			return s.length >= 4 && s[3].code !== null ? s : null;
		}, 'three retries', 20000);
		for (const s of socks)
			assert.equal(s.code, 1013, `close code: ${JSON.stringify(socks)}`);
		// Lower bounds exact (1, 2 and 4 s less 20 % jitter, less timer
		// granularity); upper bounds allow for a loaded machine.
		for (let i = 1; i <= 3; i++) {
			const wait = socks[i].made - socks[i - 1].closed;
			const base = 1000 * 2 ** (i - 1);
			assert.ok(wait >= 0.8 * base - 50 && wait <= base + 1500, `wait ${i}: ${wait} ms`);
		}
		assert.match((await status(second)).text, /^All lines are busy — reconnecting in \d+s$/);
		// The first caller was never disturbed.
		assert.match((await screen(first)).join('\n'), /Enter your handle/);
		assert.equal((await status(first)).state, 'connected');

		// The first caller hangs up; a click on the status bar calls at once.
		await first.context().close();
		await until(async () => {
			if ((await status(second)).state === 'reconnecting')
				await second.click('#status');
			const rows = await screen(second);
			return (await status(second)).state === 'connected' &&
				rows.join('\n').includes('Enter your handle (or NEW):');
		}, 'the second page getting the line', 10000, 300);
		assert.equal((await status(second)).text, 'Connected');
		assert.match((await screen(second)).join('\n'), /You are on node 1 of 1/);
		assert.deepEqual(second.consoleErrors, []);
		await second.context().close();
	} finally {
		const res = await busySrv.stop();
		assert.equal(res.code, 0, `server exit ${res.code ?? res.signal}:\n${res.output.slice(-3000)}`);
	}
});
