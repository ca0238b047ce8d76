// ws-broadcast.mjs PORT -- Node.js `ws` broadcast peer for Carrier's benchmark.
//
// Listens on ws://127.0.0.1:PORT/ (any path).  Every message a client sends is
// sent to every connected client, the sender included, as the same kind
// (binary stays binary, text stays text).  No compression, no pings, no
// per-client bound: `ws` buffers without limit for a slow reader (see README).
// Prints "ready ws-broadcast port=PORT pid=PID" once listening; SIGTERM or
// SIGINT closes every socket and exits 0.
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
	console.error('usage: node ws-broadcast.mjs PORT');
	process.exit(2);
}

const wss = new WebSocketServer({
	host: '127.0.0.1',
	port,
	backlog: 511,		// Node's default, and Carrier's
	perMessageDeflate: false,
	clientTracking: true,
	maxPayload: 64 * 1024,
});

wss.on('error', (err) => {
	console.error(`ws-broadcast: server error: ${err.message}`);
	process.exit(1);
});

wss.on('connection', (ws) => {
	ws.on('error', (err) => {
		// A caller that vanishes mid-write is not our problem; never crash.
		if (process.env.BENCH_PEER_DEBUG)
			console.error(`ws-broadcast: socket error: ${err.message}`);
	});
	ws.on('message', (data, isBinary) => {
		// The broadcast from the ws README: one send per client.
		for (const client of wss.clients) {
			if (client.readyState === WebSocket.OPEN)
				client.send(data, { binary: isBinary });
		}
	});
});

wss.on('listening', () => {
	console.log(`ready ws-broadcast port=${port} pid=${process.pid}`);
});

function stop() {
	for (const client of wss.clients)
		client.terminate();
	wss.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
