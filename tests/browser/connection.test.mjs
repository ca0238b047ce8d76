// web/src/connection.js on its own, in Node, with a fake WebSocket and a fake
// Storage: the protocol rules and the backoff, without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
	Connection, backoffDelay, wsUrl, loadToken, binaryStringToBytes,
	TOKEN_KEY, TOKEN_EXPIRES_KEY, BACKOFF_MAX_MS,
} from '../../web/src/connection.js';

class FakeStorage {
	constructor() { this.m = new Map(); }
	getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
	setItem(k, v) { this.m.set(k, String(v)); }
	removeItem(k) { this.m.delete(k); }
}

// Records what the page sends; the test plays the server through open(),
// message() and closeFromServer().
function fakeSocketClass()
{
	const sockets = [];
	class FakeWebSocket {
		constructor(url) {
			this.url = url;
			this.readyState = 0;
			this.sent = [];
			sockets.push(this);
		}
		send(data) {
			assert.equal(this.readyState, 1, 'send on a socket that is not open');
			this.sent.push(typeof data === 'string' ? { text: data } : { bytes: [...data] });
		}
		close() { this.readyState = 3; }
		open() { this.readyState = 1; this.onopen({}); }
		message(data) { this.onmessage({ data }); }
		closeFromServer(code) { this.readyState = 3; this.onclose({ code }); }
	}
	return { FakeWebSocket, sockets };
}

function setup(storage = new FakeStorage())
{
	const { FakeWebSocket, sockets } = fakeSocketClass();
	const states = [];
	const received = [];
	const conn = new Connection({
		url: 'ws://h/ws',
		storage,
		WebSocket: FakeWebSocket,
		onBytes: (b) => received.push(b),
		onState: (s, info) => states.push({ s, ...info }),
		getSize: () => ({ cols: 100, rows: 30 }),
	});
	conn.start();
	return { conn, sockets, states, received, storage };
}

test('backoff doubles from 1 s to a 30 s ceiling, jittered down by at most 20 %', () => {
	assert.equal(backoffDelay(0, () => 0), 1000);
	assert.equal(backoffDelay(0, () => 1), 800);
	assert.equal(backoffDelay(1, () => 0), 2000);
	assert.equal(backoffDelay(4, () => 0), 16000);
	assert.equal(backoffDelay(5, () => 0), BACKOFF_MAX_MS);
	assert.equal(backoffDelay(1000, () => 0), BACKOFF_MAX_MS);
	for (let i = 0; i < 200; i++) {
		const d = backoffDelay(7);
		assert.ok(d >= 24000 && d <= 30000, String(d));
	}
});

test('the endpoint follows the page: ws for http, wss for https', () => {
	assert.equal(wsUrl({ protocol: 'http:', host: 'bbs.example:8080' }), 'ws://bbs.example:8080/ws');
	assert.equal(wsUrl({ protocol: 'https:', host: 'bbs.example' }), 'wss://bbs.example/ws');
});

test('onBinary strings become the same bytes', () => {
	assert.deepEqual([...binaryStringToBytes('\x1b[M \xff!')], [0x1b, 0x5b, 0x4d, 0x20, 0xff, 0x21]);
});

test('open without a token sends only the size; input goes out as UTF-8 bytes', () => {
	const { conn, sockets, states } = setup();
	assert.equal(states.at(-1).s, 'connecting');
	sockets[0].open();
	assert.equal(states.at(-1).s, 'connected');
	assert.deepEqual(sockets[0].sent, [{ text: '{"type":"resize","cols":100,"rows":30}' }]);
	conn.sendInput('h\u00e9\u2588');
	assert.deepEqual(sockets[0].sent[1], { bytes: [0x68, 0xc3, 0xa9, 0xe2, 0x96, 0x88] });
	// A resize to the same size is not repeated; a new size is.
	conn.resize(100, 30);
	conn.resize(80, 50);
	assert.equal(sockets[0].sent.length, 3);
	assert.deepEqual(JSON.parse(sockets[0].sent[2].text), { type: 'resize', cols: 80, rows: 50 });
	// Even input that looks like a control message stays binary.
	conn.sendInput('{"type":"logout"}');
	assert.ok(sockets[0].sent[3].bytes);
	conn.stop();
});

test('session and logout messages store and delete the token; resume precedes resize', () => {
	const { conn, sockets, storage } = setup();
	sockets[0].open();
	sockets[0].message('{"type":"session","token":"abc","expires":4102444800}');
	assert.equal(storage.getItem(TOKEN_KEY), 'abc');
	assert.equal(storage.getItem(TOKEN_EXPIRES_KEY), '4102444800');
	sockets[0].message('{"type":"whatever","token":"x"}');
	sockets[0].message('[1,2');
	sockets[0].message('null');
	assert.equal(storage.getItem(TOKEN_KEY), 'abc');

	sockets[0].closeFromServer(1006);
	conn.reconnectNow();
	sockets[1].open();
	assert.deepEqual(sockets[1].sent.map((f) => JSON.parse(f.text).type), ['resume', 'resize']);
	assert.deepEqual(JSON.parse(sockets[1].sent[0].text), { type: 'resume', token: 'abc' });

	sockets[1].message('{"type":"logout"}');
	assert.equal(storage.getItem(TOKEN_KEY), null);
	assert.equal(storage.getItem(TOKEN_EXPIRES_KEY), null);
	conn.stop();
});

test('an expired token is deleted, not sent', () => {
	const storage = new FakeStorage();
	storage.setItem(TOKEN_KEY, 'old');
	storage.setItem(TOKEN_EXPIRES_KEY, '1000');
	assert.equal(loadToken(storage, 1001 * 1000), null);
	assert.equal(storage.getItem(TOKEN_KEY), null);
	storage.setItem(TOKEN_KEY, 'new');
	storage.setItem(TOKEN_EXPIRES_KEY, '1000');
	assert.equal(loadToken(storage, 999 * 1000), 'new');
});

test('server bytes reach the terminal as Uint8Array', () => {
	const { conn, sockets, received } = setup();
	sockets[0].open();
	sockets[0].message(new Uint8Array([0x07, 0x41]).buffer);
	assert.equal(received.length, 1);
	assert.ok(received[0] instanceof Uint8Array);
	assert.deepEqual([...received[0]], [0x07, 0x41]);
	conn.stop();
});

test('drops and 1013 back off with growing delays; 1000 waits for the caller', () => {
	const { conn, sockets, states } = setup();
	sockets[0].closeFromServer(1006);   // never opened
	let st = states.at(-1);
	assert.equal(st.s, 'reconnecting');
	assert.equal(st.busy, false);
	assert.ok(st.delay >= 800 && st.delay <= 1000, String(st.delay));

	conn.reconnectNow();
	sockets[1].open();
	sockets[1].closeFromServer(1013);
	st = states.at(-1);
	assert.equal(st.s, 'reconnecting');
	assert.equal(st.busy, true);
	assert.ok(st.delay >= 1600 && st.delay <= 2000, String(st.delay));

	conn.reconnectNow();
	sockets[2].closeFromServer(1006);
	assert.ok(states.at(-1).delay >= 3200, String(states.at(-1).delay));

	// Events from a socket the page has given up on change nothing.
	const before = states.length;
	sockets[1].closeFromServer(1006);
	sockets[1].message(new Uint8Array([1]).buffer);
	assert.equal(states.length, before);

	conn.reconnectNow();
	sockets[3].open();
	sockets[3].closeFromServer(1000);
	assert.equal(states.at(-1).s, 'closed');
	assert.equal(sockets.length, 4, 'no new socket after a log-off');
	conn.reconnectNow();
	assert.equal(sockets.length, 5);
	conn.stop();
	assert.equal(conn.ws, null);
});
