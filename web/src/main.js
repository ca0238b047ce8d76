// Carrier's page: a full-window xterm.js terminal on the server's WebSocket.
// Wiring only; the protocol lives in connection.js, the bell in bell.js, the
// 80-column fit in fit.js.
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { Connection, wsUrl } from './connection.js';
import { createBell } from './bell.js';
import { fitTerminal, cellSizer, MIN_CELL_DEVICE_PX } from './fit.js';

const FONT_FAMILY = '"Carrier Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace';
const PREFERRED_FONT_PX = 16;
const RESIZE_DEBOUNCE_MS = 100;

// The sixteen colours of a VGA text screen, the palette ANSI art is drawn for.
const VGA = {
	foreground: '#aaaaaa', background: '#000000',
	cursor: '#aaaaaa', cursorAccent: '#000000',
	selectionBackground: '#5555ff80',
	black: '#000000', red: '#aa0000', green: '#00aa00', yellow: '#aa5500',
	blue: '#0000aa', magenta: '#aa00aa', cyan: '#00aaaa', white: '#aaaaaa',
	brightBlack: '#555555', brightRed: '#ff5555', brightGreen: '#55ff55',
	brightYellow: '#ffff55', brightBlue: '#5555ff', brightMagenta: '#ff55ff',
	brightCyan: '#55ffff', brightWhite: '#ffffff',
};

const container = document.getElementById('term');
const statusEl = document.getElementById('status');

const term = new Terminal({
	fontFamily: FONT_FAMILY,
	fontSize: PREFERRED_FONT_PX,
	// Bold is bright colour, as on a DOS screen, not a heavier face.
	fontWeight: 'normal',
	fontWeightBold: 'normal',
	drawBoldTextInBrightColors: true,
	lineHeight: 1,
	theme: VGA,
	cursorBlink: true,
	scrollback: 1000,
	minimumContrastRatio: 1,
});
const fitAddon = new FitAddon();
term.loadAddon(fitAddon);

const bell = createBell(container);
term.onBell(() => bell.ring());

// ---- the connection ----

const conn = new Connection({
	url: wsUrl(window.location),
	onBytes: (bytes) => term.write(bytes),
	onState: showStatus,
	getSize: () => ({ cols: term.cols, rows: term.rows }),
});

let firstConnect = true;
term.onData((data) => {
	if (conn.state === 'closed') {
		conn.reconnectNow(); // any key calls again after a log-off
		return;
	}
	conn.sendInput(data);
});
term.onBinary((data) => conn.sendBinary(data));

// Tell the server about a new size once the window has stopped moving.
let resizeTimer = 0;
term.onResize(() => {
	clearTimeout(resizeTimer);
	resizeTimer = setTimeout(() => conn.resize(term.cols, term.rows), RESIZE_DEBOUNCE_MS);
});

// ---- the status bar ----

let countdownTimer = 0;
function showStatus(state, info)
{
	clearInterval(countdownTimer);
	statusEl.dataset.state = state;
	if (state === 'connected') {
		statusEl.textContent = 'Connected';
		// A new call after a drop: undo modes the old session left behind
		// (DECSTR soft reset keeps the screen; the server redraws anyway).
		if (!firstConnect)
			term.write('\x1b[!p');
		firstConnect = false;
	} else if (state === 'connecting') {
		statusEl.textContent = 'Connecting\u2026';
	} else if (state === 'closed') {
		statusEl.textContent = 'Disconnected \u2014 press a key or tap to call again';
	} else if (state === 'reconnecting') {
		const why = info.busy ? 'All lines are busy' : 'Disconnected';
		const tick = () => {
			const s = Math.max(0, Math.ceil((info.retryAt - Date.now()) / 1000));
			statusEl.textContent = `${why} \u2014 reconnecting in ${s}s`;
		};
		tick();
		countdownTimer = setInterval(tick, 1000);
	}
}
statusEl.addEventListener('click', () => conn.reconnectNow());
// Back online, or back to the tab: no reason to sit out the backoff. (Not
// after a log-off: that call waits for the caller.)
function retrySoon()
{
	if (conn.state === 'reconnecting')
		conn.reconnectNow();
}
window.addEventListener('online', retrySoon);
document.addEventListener('visibilitychange', () => {
	if (document.visibilityState === 'visible')
		retrySoon();
});

// ---- layout ----

// On phones the visual viewport shrinks when the on-screen keyboard opens;
// size the page to it so the terminal refits above the keyboard.
// (Height times scale: a pinch zoom changes the visual viewport's height too,
// but is no reason to resize the terminal.)
function syncHeight()
{
	const vv = window.visualViewport;
	const h = vv ? vv.height * vv.scale : window.innerHeight;
	document.documentElement.style.setProperty('--app-height', `${h}px`);
}
if (window.visualViewport)
	window.visualViewport.addEventListener('resize', syncHeight);
window.addEventListener('resize', syncHeight);
syncHeight();

let fitFrame = 0;
let fontPx = null; // cellSizer() for the terminal font, once it has loaded
function fit()
{
	cancelAnimationFrame(fitFrame);
	fitFrame = 0;
	if (!fontPx)
		return;
	// The preferred font size, rounded to a whole number of device pixels
	// per cell (see fit.js).
	const dpr = window.devicePixelRatio || 1;
	const cell = Math.max(MIN_CELL_DEVICE_PX, Math.round(PREFERRED_FONT_PX * fontPx.advance * dpr));
	fitTerminal(term, fitAddon, fontPx, cell, dpr);
}
new ResizeObserver(() => {
	if (!fitFrame)
		fitFrame = requestAnimationFrame(fit);
}).observe(container);

// A tap anywhere on the terminal focuses it, which raises the touch keyboard
// (xterm's hidden textarea takes the input from there).
// After a log-off the same tap calls again.
container.addEventListener('click', () => {
	term.focus();
	if (conn.state === 'closed')
		conn.reconnectNow();
});

// ---- start ----

// Measure cells with the real font, not a fallback: wait (briefly) for it.
async function start()
{
	try {
		await Promise.race([
			document.fonts.load(`${PREFERRED_FONT_PX}px "Carrier Mono"`),
			new Promise((resolve) => setTimeout(resolve, 3000)),
		]);
	} catch {
		// Fall back to the next font in FONT_FAMILY.
	}
	fontPx = cellSizer(FONT_FAMILY);
	term.open(container);
	fit();
	term.focus();
	conn.start();
}

// For tests and for the curious: window.carrier.term.buffer, .ws, .status.
window.carrier = {
	term,
	bell,
	conn,
	fit,
	get ws() { return conn.ws; },
	get status() { return conn.state; },
};

start();
