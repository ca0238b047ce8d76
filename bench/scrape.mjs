// A live scrape: the server with N idle callers at the handle prompt (each a
// WebSocket connection and a session on a node), /metrics asked for R times.
// Prints the page's size, the time per scrape as the scraper sees it (loopback
// included), and the server's own CPU time per scrape (from /proc/PID/stat).
//
//   node bench/scrape.mjs [--callers N] [--scrapes R]      (make bench-ops)
//   node bench/scrape.mjs --idle S     an idle server for S seconds: its CPU time
//                                      (/proc/PID/schedstat, ns) and wake-ups a second
import { readFileSync } from 'node:fs';
import { startServer, FAST, webRequire } from '../tests/lib/server.mjs';

const WebSocket = webRequire('ws');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('callers', 2000);
const R = arg('scrapes', 200);
const IDLE = arg('idle', 0);

/** CPU time in ns and voluntary context switches (each a wake-up of the loop). */
function sched(pid) {
  const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { ns, wakes: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)[1]) };
}

if (IDLE > 0) {
  const srv = await startServer({ config: `[bbs]\n${FAST}` });
  try {
    await new Promise((r) => setTimeout(r, 2000));      // past start-up
    const a = sched(srv.proc.pid);
    await new Promise((r) => setTimeout(r, IDLE * 1000));  // what is measured: idling
    const b = sched(srv.proc.pid);
    console.log(`idle for ${IDLE} s: ${((b.ns - a.ns) / IDLE / 1000).toFixed(1)} us of CPU a second, ` +
      `${((b.wakes - a.wakes) / IDLE).toFixed(2)} wake-ups a second`);
  } finally {
    await srv.stop();
  }
  process.exit(0);
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);      // utime + stime, in clock ticks
}

const srv = await startServer({
  config: `[server]\nmetrics = "127.0.0.1:0"\n[bbs]\n${FAST}max_nodes = ${N + 10}\n`,
});
const socks = [];
try {
  for (let i = 0; i < N; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => new Promise((resolve, reject) => {
      const ws = new WebSocket(srv.wsUrl);
      ws.once('message', () => resolve());
      ws.once('error', reject);
      socks.push(ws);
    })));
  }
  const url = `http://127.0.0.1:${srv.metricsPort}/metrics`;
  const page = await (await fetch(url)).text();
  const times = [];
  const c0 = cpuTicks(srv.proc.pid);
  for (let i = 0; i < R; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(url);
    await res.text();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const c1 = cpuTicks(srv.proc.pid);
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  const m = /carrier_callers\{transport="websocket",activity="login"\} (\d+)/.exec(page);
  console.log(`scrape with ${N} callers online (${m ? m[1] : '?'} counted at the login prompt): ` +
    `page ${page.length} bytes; ${R} scrapes: median ${q(0.5)} ms, p99 ${q(0.99)} ms; ` +
    `server CPU ${(((c1 - c0) * 10) / R).toFixed(2)} ms per scrape (10 ms ticks, averaged)`);
} finally {
  for (const ws of socks) ws.terminate();
  await srv.stop();
}
