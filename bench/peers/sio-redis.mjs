// sio-redis.mjs PORT REDIS_PORT -- a Socket.IO server for Carrier's cluster benchmark
// (docs/BENCHMARKS.md, issue 12): several of them on one Redis through
// @socket.io/redis-adapter act as one room, as Carrier's nodes do over Redis.
//
// Every client joins room "bench"; an event "m" with a line is emitted to the room
// (the sender included), on every server of the adapter.  WebSocket transport only
// (chatload speaks Engine.IO v4 over WebSocket).  Prints
//     ready sio port=PORT pid=PID
// once it listens and its Redis clients are connected.  Loopback only.
import http from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

const port = Number(process.argv[2]);
const redisPort = Number(process.argv[3]);
if (!port || !redisPort) {
  console.error('usage: sio-redis.mjs PORT REDIS_PORT');
  process.exit(2);
}
const url = `redis://127.0.0.1:${redisPort}`;
const pub = createClient({ url });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const server = http.createServer();
const io = new Server(server, {
  transports: ['websocket'],
  adapter: createAdapter(pub, sub),
  serveClient: false,
  perMessageDeflate: false,
  pingInterval: 600000,
  pingTimeout: 600000,
  maxHttpBufferSize: 1e6,
});
io.on('connection', (socket) => {
  socket.join('bench');
  socket.on('m', (line) => {
    if (typeof line === 'string') io.to('bench').emit('m', line);
  });
});
server.listen(port, '127.0.0.1', () => {
  console.log(`ready sio port=${port} pid=${process.pid}`);
});
const bye = () => { io.close(); pub.quit().catch(() => {}); sub.quit().catch(() => {}); process.exit(0); };
process.on('SIGTERM', bye);
process.on('SIGINT', bye);
