// uws-broadcast.mjs PORT -- uWebSockets (npm `uwebsockets` 3.0.6, an unofficial
// build of uWebSockets.js v20) broadcast peer for Carrier's benchmark.
// Loopback only: it is a third-party binary and is treated as such.
//
// Listens on ws://127.0.0.1:PORT/ (any path).  Every socket is subscribed to
// one topic; every message a client sends is published to that topic with
// app.publish, which (unlike ws.publish) includes the sender, as the same
// kind (binary/text).  No compression, no idle timeout, no pings.
// uWS's own slow-reader policy is kept: a socket with more than
// maxBackpressure (64 KiB, the default) queued is skipped; skipped messages
// are counted and reported on stderr at exit ("dropped N").
// Prints "ready uws-broadcast port=PORT pid=PID" once listening; SIGTERM or
// SIGINT closes the listener and every socket and exits 0.
import uWS from 'uwebsockets';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
	console.error('usage: node uws-broadcast.mjs PORT');
	process.exit(2);
}

const TOPIC = 'room';
const sockets = new Set();
let dropped = 0;
let listenSocket = null;

const app = uWS.App().ws('/*', {
	compression: uWS.DISABLED,
	maxPayloadLength: 64 * 1024,
	maxBackpressure: 64 * 1024,
	closeOnBackpressureLimit: false,
	idleTimeout: 0,
	sendPingsAutomatically: false,
	open: (ws) => {
		ws.subscribe(TOPIC);
		sockets.add(ws);
	},
	message: (ws, message, isBinary) => {
		// app.publish reaches every subscriber, the sender included.
		app.publish(TOPIC, message, isBinary);
	},
	dropped: () => {
		dropped++;
	},
	close: (ws) => {
		sockets.delete(ws);
	},
}).any('/*', (res) => {
	res.writeStatus('404 Not Found').end('websocket only\n');
}).listen('127.0.0.1', port, (ls) => {
	if (!ls) {
		console.error(`uws-broadcast: cannot listen on 127.0.0.1:${port}`);
		process.exit(1);
	}
	listenSocket = ls;
	console.log(`ready uws-broadcast port=${port} pid=${process.pid}`);
});

function stop() {
	if (listenSocket)
		uWS.us_listen_socket_close(listenSocket);
	listenSocket = null;
	for (const ws of sockets)
		ws.end(1001, 'bye');
	console.error(`uws-broadcast: dropped ${dropped}`);
	process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
