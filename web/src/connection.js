// The page's side of the Carrier protocol (docs/protocol.md), with automatic
// reconnection. No DOM here: the caller supplies callbacks, and may supply the
// WebSocket constructor and a Storage (localStorage-like) object.
//
// Terminal bytes travel in binary frames both ways. Control messages are JSON
// in text frames and are only ever built here, from numbers and the stored
// session token: nothing a caller types can end up in a text frame.

export const TOKEN_KEY = 'carrier.session';
export const TOKEN_EXPIRES_KEY = 'carrier.session.expires';

export const BACKOFF_MIN_MS = 1000;
export const BACKOFF_MAX_MS = 30000;
export const CONNECT_TIMEOUT_MS = 10000;
// A connection that stayed open this long was healthy: the next drop starts
// the backoff over from BACKOFF_MIN_MS.
export const STABLE_MS = 10000;

export const CLOSE_NORMAL = 1000;         // the caller logged off
export const CLOSE_TRY_AGAIN_LATER = 1013; // all lines busy

// Delay before reconnection attempt number `attempt` (0-based): doubles from
// 1 s up to 30 s, each value jittered down by up to 20 % so that callers
// dropped together (a server restart) do not all come back in the same instant.
export function backoffDelay(attempt, random = Math.random)
{
	const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 16));
	return Math.round(base * (1 - 0.2 * random()));
}

// The URL of the server's WebSocket endpoint for a page served from `loc`.
export function wsUrl(loc)
{
	return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/ws';
}

// Read the stored session token; an expired one is deleted, not returned.
export function loadToken(storage, now = Date.now())
{
	try {
		const token = storage.getItem(TOKEN_KEY);
		if (!token)
			return null;
		const expires = Number(storage.getItem(TOKEN_EXPIRES_KEY));
		if (expires > 0 && expires * 1000 <= now) {
			clearToken(storage);
			return null;
		}
		return token;
	} catch {
		return null; // storage disabled (private mode, sandboxed frame)
	}
}

export function saveToken(storage, token, expires)
{
	try {
		storage.setItem(TOKEN_KEY, token);
		if (Number.isFinite(expires) && expires > 0)
			storage.setItem(TOKEN_EXPIRES_KEY, String(expires));
		else
			storage.removeItem(TOKEN_EXPIRES_KEY);
	} catch {
		// Not fatal: the caller just logs in again next time.
	}
}

export function clearToken(storage)
{
	try {
		storage.removeItem(TOKEN_KEY);
		storage.removeItem(TOKEN_EXPIRES_KEY);
	} catch {
		// ignore
	}
}

// Convert xterm's onBinary string (one char per byte, 0..255) to bytes.
export function binaryStringToBytes(s)
{
	const bytes = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++)
		bytes[i] = s.charCodeAt(i) & 0xff;
	return bytes;
}

// States reported through onState(state, info):
//   'connecting'    a socket is being opened
//   'connected'     open; terminal bytes flow
//   'reconnecting'  dropped (or refused: info.busy for 1013); the next
//                   attempt starts at info.retryAt (a Date.now() value)
//   'closed'        the server ended the call normally (1000); no automatic
//                   reconnection, the page calls reconnectNow() on a key press
export class Connection {
	// opts: url, onBytes(Uint8Array), onState(state, info), getSize() ->
	// {cols, rows}; optional: storage, WebSocket, onControl(msg).
	constructor(opts)
	{
		this.url = opts.url;
		this.onBytes = opts.onBytes;
		this.onState = opts.onState;
		this.onControl = opts.onControl || (() => {});
		this.getSize = opts.getSize;
		this.storage = opts.storage || globalThis.localStorage;
		this.WebSocket = opts.WebSocket || globalThis.WebSocket;
		this.encoder = new TextEncoder();

		this.ws = null;
		this.state = 'idle';
		this.attempt = 0;       // consecutive failed attempts
		this.openedAt = 0;
		this.retryTimer = 0;
		this.connectTimer = 0;
		this.sentSize = null;   // last resize sent on the current socket
	}

	start()
	{
		this.connect();
	}

	// Hang up for good: no reconnection, no timers left behind.
	stop()
	{
		clearTimeout(this.retryTimer);
		clearTimeout(this.connectTimer);
		const ws = this.ws;
		this.ws = null;
		if (ws)
			try { ws.close(); } catch { /* already closing */ }
		this.setState('idle');
	}

	// Skip the remaining backoff (the user asked, or the network came back).
	reconnectNow()
	{
		if (this.state === 'reconnecting' || this.state === 'closed')
			this.connect();
	}

	// Terminal input from xterm's onData (a JS string): UTF-8, binary frame.
	sendInput(str)
	{
		if (this.isOpen())
			this.ws.send(this.encoder.encode(str));
	}

	// Raw bytes from xterm's onBinary (a binary string): binary frame.
	sendBinary(str)
	{
		if (this.isOpen())
			this.ws.send(binaryStringToBytes(str));
	}

	// Tell the server the terminal size, unless it already knows it.
	resize(cols, rows)
	{
		if (!this.isOpen())
			return; // sent on open
		if (this.sentSize && this.sentSize.cols === cols && this.sentSize.rows === rows)
			return;
		this.sentSize = { cols, rows };
		this.sendControl({ type: 'resize', cols, rows });
	}

	isOpen()
	{
		return this.ws !== null && this.ws.readyState === 1;
	}

	// ---- internals ----

	setState(state, info = {})
	{
		this.state = state;
		this.onState(state, info);
	}

	sendControl(msg)
	{
		this.ws.send(JSON.stringify(msg));
	}

	connect()
	{
		clearTimeout(this.retryTimer);
		clearTimeout(this.connectTimer);
		this.retryTimer = 0;
		if (this.ws) {
			// Detach the old socket first so its close event is ignored.
			const old = this.ws;
			this.ws = null;
			try { old.close(); } catch { /* already closing */ }
		}
		this.setState('connecting');

		let ws;
		try {
			ws = new this.WebSocket(this.url);
		} catch {
			this.scheduleRetry(false);
			return;
		}
		ws.binaryType = 'arraybuffer';
		this.ws = ws;
		this.sentSize = null;
		this.openedAt = 0;

		// A connect that hangs (packets silently dropped) counts as a failure.
		this.connectTimer = setTimeout(() => {
			if (this.ws === ws && ws.readyState === 0)
				ws.close();
		}, CONNECT_TIMEOUT_MS);

		ws.onopen = () => {
			if (this.ws !== ws)
				return;
			clearTimeout(this.connectTimer);
			this.openedAt = Date.now();
			// Order matters: resume first, so the server knows who this is
			// before it lays out a screen for the size that follows.
			const token = loadToken(this.storage);
			if (token)
				this.sendControl({ type: 'resume', token });
			const { cols, rows } = this.getSize();
			this.resize(cols, rows);
			this.setState('connected');
		};

		ws.onmessage = (ev) => {
			if (this.ws !== ws)
				return;
			if (typeof ev.data !== 'string') {
				this.onBytes(new Uint8Array(ev.data));
				return;
			}
			this.handleControl(ev.data);
		};

		ws.onclose = (ev) => {
			if (this.ws !== ws)
				return;
			clearTimeout(this.connectTimer);
			this.ws = null;
			if (ev.code === CLOSE_NORMAL) {
				this.attempt = 0;
				this.setState('closed', { code: ev.code });
				return;
			}
			const busy = ev.code === CLOSE_TRY_AGAIN_LATER;
			const stable = this.openedAt > 0 && Date.now() - this.openedAt >= STABLE_MS;
			if (stable && !busy)
				this.attempt = 0;
			this.scheduleRetry(busy, ev.code);
		};

		// An error is always followed by a close event; nothing to do here.
		ws.onerror = () => {};
	}

	scheduleRetry(busy, code = 0)
	{
		const delay = backoffDelay(this.attempt);
		this.attempt++;
		const retryAt = Date.now() + delay;
		this.retryTimer = setTimeout(() => this.connect(), delay);
		this.setState('reconnecting', { busy, code, delay, retryAt });
	}

	handleControl(text)
	{
		let msg;
		try {
			msg = JSON.parse(text);
		} catch {
			return; // not JSON: ignore
		}
		if (msg === null || typeof msg !== 'object')
			return;
		switch (msg.type) {
		case 'session':
			if (typeof msg.token === 'string' && msg.token !== '')
				saveToken(this.storage, msg.token, Number(msg.expires));
			break;
		case 'logout':
			clearToken(this.storage);
			break;
		default:
			break; // unknown types are ignored, by design
		}
		this.onControl(msg);
	}
}
