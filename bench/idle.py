#!/usr/bin/env python3
"""Idle connections: how many one server holds, what each costs in user-space memory,
and the time from TCP accept to the first byte of the welcome screen.  WebSocket by
default; --transport wss (TLS, certificate made with openssl req) or ssh (paramiko
clients with a pty) for the encrypted ones.

For every count N (and every repeat) a fresh server is started on a free loopback port,
its memory read with no connections, then build/bench/wsload opens N WebSocket
connections, each waits for its welcome screen, and the server's memory is read again
while they idle:

  VmRSS          /proc/PID/status: resident pages (user space only)
  Private_Dirty  /proc/PID/smaps_rollup: pages this process wrote (heap, stacks, .bss)
  heap           live malloc'd bytes counted by build/bench/malloc_count.so (LD_PRELOAD):
                 usable size of every live block, plus glibc's 8-byte chunk header each

bytes per connection = (mem(N) - mem(0)) / N, per reading; medians across repeats.
Kernel socket buffers are kernel memory and appear in none of these.

For wss and ssh the server's CPU time while the N callers connect is reported per
caller as well (server CPU s / N): the TLS or SSH handshake, the HTTP upgrade or the
channel, and the welcome screen -- its inverse is how many such arrivals one core
takes per second.

Usage: bench/idle.py [--transport ws|wss|ssh] [--counts 1000,5000,...] [--repeats 3]
                     [--json FILE]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MC_CLASSES = 258
MC_FMT = "<6Q" + "Q" * (2 * MC_CLASSES)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def read_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "VmData"):
                out[k] = int(v.split()[0]) * 1024
            elif k == "nonvoluntary_ctxt_switches":
                out["preempted"] = int(v)
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Private_Dirty", "Anonymous", "Rss"):
                out["smaps_" + k] = int(v.split()[0]) * 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / tick
    return out


def read_mc(path):
    """The malloc counter's file: live bytes and blocks, and live blocks by size class."""
    if path is None or not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        data = f.read(struct.calcsize(MC_FMT))
    if len(data) < struct.calcsize(MC_FMT):
        return None
    v = struct.unpack(MC_FMT, data)
    if v[0] != 0x31746E636C6C616D:
        return None
    cls = [(v[6 + 2 * i], v[7 + 2 * i]) for i in range(MC_CLASSES)]
    return {"live_bytes": v[1], "live_blocks": v[2], "allocs": v[3], "frees": v[4],
            "classes": cls,
            # what the blocks occupy in the heap: usable size + 8-byte chunk header
            "heap_bytes": v[1] + 8 * v[2]}


def mem_snapshot(pid, mc_path):
    s = read_status(pid)
    s["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    mc = read_mc(mc_path)
    if mc is not None:
        s["heap"] = mc["heap_bytes"]
        s["heap_blocks"] = mc["live_blocks"]
        s["classes"] = mc["classes"]
    return s


def make_cert(d):
    """A self-signed P-256 certificate for wss, made with openssl req."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                    "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


class Server:
    def __init__(self, args, cpu, max_nodes):
        self.dir = tempfile.mkdtemp(prefix="carrier-bench-")
        # Benchmark settings by config, never by a special code path: enough nodes for
        # every caller, and a login prompt that does not time out during a reading.
        self.config = os.path.join(self.dir, "carrier.toml")
        server = ""
        if args.transport == "wss":
            cert, key = make_cert(self.dir)
            server = f'[server]\nhttps = "127.0.0.1:0"\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
        elif args.transport == "ssh":
            # host keys made once for all runs, not on the clock
            server = f'[server]\nssh = "127.0.0.1:0"\nssh_host_keys = "{args.ssh_keys}"\n'
        with open(self.config, "w") as f:
            f.write(f"{server}[bbs]\nmax_nodes = {max_nodes}\nlogin_timeout = 3600\n"
                    f"[limits]\nhandshakes_per_address = 100000\nssh_login_timeout = 3600\n")
        self.mc_path = os.path.join(self.dir, "malloc_count") if args.malloc_count else None
        env = dict(os.environ)
        if self.mc_path:
            env["MALLOC_COUNT_FILE"] = self.mc_path
            env["LD_PRELOAD"] = args.malloc_count
        self.err_path = os.path.join(self.dir, "stderr")
        self.err = open(self.err_path, "w")
        cmd = [args.carrier, "--config", self.config, "--http", "127.0.0.1:0", "--telnet", "127.0.0.1:0",
               "--db", os.path.join(self.dir, "carrier.db")]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err,
                                     env=env, preexec_fn=pin(cpu))
        self.port = None
        # "event=listen listener=NAME addr=...", or an older binary's "NAME listening on"
        name = {"ws": "http", "wss": "https", "ssh": "ssh"}[args.transport]
        want = (f" {name} listening on 127.0.0.1:", f" listener={name} addr=127.0.0.1:")
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.err_path) as f:
                text = f.read()
            for line in text.splitlines():
                if want[0] in line or want[1] in line:
                    self.port = int(line.rsplit(":", 1)[1])
            if self.port and (" ready" in text or "event=ready" in text):
                break
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("carrier exited: " + text)
            time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError("carrier did not become ready")

    def log_tail(self, lines=8):
        with open(self.err_path) as f:
            return "".join(f.readlines()[-lines:])

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def pin(cpu):
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def parse_kv(line):
    return {k: float(v) for k, v in (t.split("=", 1) for t in line.split()[1:])}


class SshCallers:
    """N SSH callers (python3-paramiko), each with a pty and the BBS's welcome screen,
    opened with `inflight` at a time; the wsload of --transport ssh.  paramiko is slow
    on the client side, so this one is for memory and server CPU, not for rates."""

    def __init__(self, port, n, inflight, expect, cpu):
        import concurrent.futures
        import paramiko
        import socket
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        self.callers, self.failed, self.errors = [], 0, []
        t0 = time.monotonic()
        ru0 = os.times()

        def one(_):
            t = time.monotonic()
            sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            tr = paramiko.Transport(sock)
            tr.start_client(timeout=60)
            tr.auth_none("bench")
            ch = tr.open_session(timeout=60)
            ch.get_pty(term="xterm", width=80, height=24)
            ch.invoke_shell()
            ch.settimeout(60)
            got = b""
            while expect.encode() not in got:
                chunk = ch.recv(65536)
                if not chunk:
                    raise RuntimeError("closed before the welcome")
                got += chunk
            return tr, ch, time.monotonic() - t

        with concurrent.futures.ThreadPoolExecutor(max_workers=inflight) as ex:
            for f in [ex.submit(one, i) for i in range(n)]:
                try:
                    self.callers.append(f.result())
                except Exception as e:      # noqa: BLE001 -- counted and reported
                    self.failed += 1
                    if len(self.errors) < 3:
                        self.errors.append(repr(e))
        ru1 = os.times()
        waits = sorted(c[2] for c in self.callers) or [0]
        self.result = {"established": len(self.callers), "failed": self.failed,
                       "a2fb_median_us": waits[len(waits) // 2] * 1e6,
                       "a2fb_p99_us": waits[min(len(waits) - 1, int(len(waits) * 0.99))] * 1e6,
                       "a2fb_max_us": waits[-1] * 1e6,
                       "cpu_s": (ru1.user - ru0.user) + (ru1.system - ru0.system),
                       "wall_s": time.monotonic() - t0, "valid": 1}
        if cpu is not None:
            os.sched_setaffinity(0, set(range(os.cpu_count())))

    def close(self):
        for tr, _, _ in self.callers:
            tr.close()
        return len(self.callers)


def one_reading(args, n, inflight, rate):
    if args.transport == "ssh":
        return one_reading_ssh(args, n, inflight)
    srv = Server(args, args.server_cpu, args.max_nodes)
    try:
        # One caller first, gone before the baseline: the server's one-off costs (OpenSSL
        # initialisation, first-touched code and data pages) then belong to mem(0) and
        # not to the first measured connections.
        tls = ["--tls"] if args.transport == "wss" else []
        subprocess.run([args.wsload, "-p", str(srv.port), "-n", "1", "-H", "-1", "-q",
                        "-e", args.expect] + tls, stdout=subprocess.DEVNULL, check=True)
        time.sleep(args.settle)
        base = mem_snapshot(srv.proc.pid, srv.mc_path)
        cmd = [args.wsload, "-p", str(srv.port), "-n", str(n), "-c", str(inflight),
               "-r", str(rate), "-t", "30", "-H", "0", "-q", "-e", args.expect] + \
            (["-s", args.src] if args.src else []) + tls
        wl = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                              preexec_fn=pin(args.client_cpu))
        result, report = None, []
        for line in wl.stdout:
            report.append(line.rstrip())
            if line.startswith("RESULT "):
                result = parse_kv(line)
                break
        if result is None:
            wl.wait()
            raise RuntimeError("wsload ended without a result:\n" + "\n".join(report))
        time.sleep(args.settle)
        if not srv.alive():
            raise RuntimeError("carrier died under load")
        after = mem_snapshot(srv.proc.pid, srv.mc_path)
        tail = srv.log_tail()
        wl.send_signal(signal.SIGTERM)
        held = None
        for line in wl.stdout:
            if line.startswith("HELD "):
                held = parse_kv(line)
        wl.wait()
    finally:
        srv.stop()
    return summarise(n, result, held, base, after, tail, 1)


def one_reading_ssh(args, n, inflight):
    srv = Server(args, args.server_cpu, args.max_nodes)
    try:
        SshCallers(srv.port, 1, 1, args.expect, args.client_cpu).close()   # the warm-up caller
        time.sleep(args.settle)
        base = mem_snapshot(srv.proc.pid, srv.mc_path)
        callers = SshCallers(srv.port, n, inflight, args.expect, args.client_cpu)
        if callers.errors:
            log(f"ssh: {callers.failed} failed, e.g. {callers.errors}")
        time.sleep(args.settle)
        if not srv.alive():
            raise RuntimeError("carrier died under load")
        after = mem_snapshot(srv.proc.pid, srv.mc_path)
        tail = srv.log_tail()
        held = {"open": callers.close()}
    finally:
        srv.stop()
    # An SSH caller holds three descriptors of its socket (the conn's, libssh's and
    # the one the loop polls: src/ssh/transport.c says why).
    return summarise(n, callers.result, held, base, after, tail, 3)


def summarise(n, result, held, base, after, tail, fds_per_conn):
    est = int(result["established"])
    # what the server holds when its memory is read: its descriptors beyond baseline
    conns = (after["fds"] - base["fds"]) // fds_per_conn
    r = {"n": n, "established": est, "failed": int(result["failed"]),
         "held": int(held["open"]) if held else None, "server_conns": conns,
         "consistent": est == n and conns == est and held is not None and int(held["open"]) == est,
         "server_log_tail": tail,
         "a2fb_median_us": result["a2fb_median_us"], "a2fb_p99_us": result["a2fb_p99_us"],
         "a2fb_max_us": result["a2fb_max_us"],
         "wsload_cpu_s": result["cpu_s"], "wsload_wall_s": result["wall_s"],
         "wsload_valid": bool(result.get("valid", 1)),
         "server_cpu_s": after["cpu_s"] - base["cpu_s"],
         "server_cpu_per_conn_us": (after["cpu_s"] - base["cpu_s"]) / max(est, 1) * 1e6,
         "tls_median_us": result.get("tls_median_us"),
         # times another task took the server's CPU while it was runnable: a noisy machine
         "server_preempted": after.get("preempted", 0) - base.get("preempted", 0),
         "base": {k: v for k, v in base.items() if k != "classes"},
         "after": {k: v for k, v in after.items() if k != "classes"}}
    for key, name in (("VmRSS", "rss"), ("smaps_Private_Dirty", "dirty"), ("heap", "heap")):
        if key in base and key in after and conns > 0:
            r[name + "_per_conn"] = (after[key] - base[key]) / conns
    if "classes" in base and "classes" in after and conns > 0:
        diff = []
        for i, ((b0, s0), (b1, s1)) in enumerate(zip(base["classes"], after["classes"])):
            if b1 - b0 > 0:
                diff.append({"usable": "> 4096" if i == MC_CLASSES - 1 else f"{16 * (i - 1) + 1}..{16 * i}",
                             "blocks_per_conn": (b1 - b0) / conns,
                             "bytes_per_conn": (s1 - s0 + 8 * (b1 - b0)) / conns})
        diff.sort(key=lambda d: -d["bytes_per_conn"])
        r["classes"] = diff
    return r


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec=".0f"):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", choices=["ws", "wss", "ssh"], default="ws")
    ap.add_argument("--counts", default=None,
                    help="caller counts (default 1000,5000,10000,15000,18000; ssh: 100,300)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--inflight", type=int, default=64,
                    help="connects/handshakes in flight while filling the server")
    ap.add_argument("--rate", type=float, default=5000,
                    help="connects per second while filling the server (0: as fast as possible; "
                         "wsload then runs out of CPU before carrier does)")
    ap.add_argument("--latency-conns", type=int, default=2000,
                    help="connections opened one at a time to time accept-to-first-byte unloaded")
    ap.add_argument("--src", default="127.0.0.1-127.0.0.8",
                    help="wsload's source addresses: the kernel's ephemeral-port search on one "
                         "address costs wsload seconds of CPU past ~15,000 connections")
    ap.add_argument("--expect", default="Enter your handle",
                    help="text that ends the welcome screen (wsload --expect)")
    ap.add_argument("--max-nodes", type=int, default=None,
                    help="the server's max_nodes (default: the largest count, or the most its "
                         "config validation accepts)")
    ap.add_argument("--settle", type=float, default=0.5, help="seconds before each memory reading")
    ap.add_argument("--carrier", default=os.path.join(ROOT, "build/carrier"))
    ap.add_argument("--wsload", default=os.path.join(ROOT, "build/bench/wsload"))
    ap.add_argument("--malloc-count", default=os.path.join(ROOT, "build/bench/malloc_count.so"),
                    help="LD_PRELOAD heap counter ('' to run without)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin server and wsload to CPUs")
    ap.add_argument("--json", default=os.path.join(ROOT, "build/bench/idle.json"))
    args = ap.parse_args()
    if args.malloc_count and not os.path.exists(args.malloc_count):
        log(f"no {args.malloc_count}: heap not counted")
        args.malloc_count = None
    ncpu = len(os.sched_getaffinity(0))
    if args.no_pin or ncpu < 2:
        args.server_cpu = args.client_cpu = None
    else:
        cpus = sorted(os.sched_getaffinity(0))
        args.server_cpu, args.client_cpu = cpus[0], cpus[1]
    if args.counts is None:
        args.counts = "100,300" if args.transport == "ssh" else "1000,5000,10000,15000,18000"
    if args.transport == "ssh":
        # host keys once, off the clock (RSA 3072 takes a second or two to make)
        args.ssh_keys = tempfile.mkdtemp(prefix="carrier-bench-keys-")
        Server(args, None, 32).stop()
        args.latency_conns = min(args.latency_conns, 50)
        args.inflight = min(args.inflight, 16)
    if args.transport != "ws" and args.json == ap.get_default("json"):
        args.json = os.path.join(ROOT, f"build/bench/idle-{args.transport}.json")
    counts = [int(x) for x in args.counts.split(",") if x]
    t_start = time.time()
    skipped = []
    if args.max_nodes is None:
        # Ask for enough nodes for the largest count; if validation refuses, take the
        # limit it names and leave out the counts above it.
        args.max_nodes = max(counts + [args.latency_conns])
        try:
            Server(args, None, args.max_nodes).stop()
        except RuntimeError as e:
            import re
            m = re.search(r'"max_nodes" must be an integer from \d+ to (\d+)', str(e))
            if not m:
                raise
            args.max_nodes = int(m.group(1))
            log(f"carrier accepts max_nodes up to {args.max_nodes}: counts above it are left out")
    skipped = [n for n in counts if n > args.max_nodes]
    counts = [n for n in counts if n <= args.max_nodes]
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[0]
    if float(load_before) > 0.5:
        log(f"note: load average {load_before} before the run: other work shares the CPUs")

    rows = []
    for n in counts:
        rs = []
        for i in range(args.repeats):
            for attempt in range(3):
                r = one_reading(args, n, args.inflight, args.rate)
                if r["consistent"]:
                    break
                # e.g. another process on this machine touched our server: say so, retry
                log(f"N={n} run {i + 1}: inconsistent (established {r['established']}, server held "
                    f"{r['server_conns']}, wsload held {r['held']} at the end); server log tail:\n"
                    f"{r['server_log_tail']}" + ("retrying" if attempt < 2 else "keeping it"))
            log(f"N={n} run {i + 1}: established {r['established']} failed {r['failed']} "
                f"server held {r['server_conns']}, still open at the end {r['held']}; per conn: RSS {fmt(r.get('rss_per_conn'))} B, "
                f"Private_Dirty {fmt(r.get('dirty_per_conn'))} B, heap {fmt(r.get('heap_per_conn'))} B; "
                f"a2fb median {r['a2fb_median_us']:.0f} us p99 {r['a2fb_p99_us']:.0f} us; "
                f"wsload CPU {r['wsload_cpu_s']:.2f} s of {r['wsload_wall_s']:.2f} s"
                f"{'' if r['wsload_valid'] else ' (INVALID: wsload over 70% busy)'}, "
                f"server CPU {r['server_cpu_s']:.2f} s, preempted {r['server_preempted']} times")
            rs.append(r)
        rows.append({"n": n, "runs": rs,
                     **{k: med(rs, k) for k in ("established", "failed", "held", "server_conns",
                                                "rss_per_conn",
                                                "dirty_per_conn", "heap_per_conn", "a2fb_median_us",
                                                "a2fb_p99_us", "a2fb_max_us", "wsload_cpu_s",
                                                "wsload_wall_s", "server_cpu_s",
                                                "server_cpu_per_conn_us", "tls_median_us",
                                                "server_preempted")}})

    # Accept to first byte with nothing else going on: one connection at a time.
    lat = []
    if args.latency_conns > 0:
        for i in range(args.repeats):
            r = one_reading(args, args.latency_conns, 1, 0)
            log(f"unloaded a2fb run {i + 1}: median {r['a2fb_median_us']:.0f} us "
                f"p99 {r['a2fb_p99_us']:.0f} us max {r['a2fb_max_us']:.0f} us")
            lat.append(r)

    # Marginal cost: least-squares slope of memory against established connections.
    def slope(key):
        pts = [(r["server_conns"], r["after"][key] - r["base"][key])
               for row in rows for r in row["runs"] if key in r["after"] and r["consistent"]]
        if len(set(p[0] for p in pts)) < 2:
            return None
        mx = statistics.mean(p[0] for p in pts)
        my = statistics.mean(p[1] for p in pts)
        return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)

    slopes = {"rss": slope("VmRSS"), "dirty": slope("smaps_Private_Dirty"), "heap": slope("heap")}
    biggest = max((row for row in rows if row["server_conns"] == row["n"]),
                  key=lambda row: row["n"], default=rows[-1])

    print()
    print(f"Idle {args.transport} connections, medians of {args.repeats} runs (fresh server each); "
          f"bytes per connection = (mem(N) - mem(0)) / N; a2fb while connecting at "
          f"{args.rate:.0f}/s, {args.inflight} in flight at most")
    print(f"{'N':>6} {'held':>6} {'failed':>6} {'RSS B/conn':>11} {'PrivDirty B/conn':>17} "
          f"{'heap B/conn':>12} {'a2fb med us':>12} {'a2fb p99 us':>12} {'wsload CPU s':>13} "
          f"{'server CPU s':>13} {'preempted':>9}")
    for row in rows:
        print(f"{row['n']:>6} {fmt(row['server_conns']):>6} {fmt(row['failed']):>6} "
              f"{fmt(row['rss_per_conn']):>11} {fmt(row['dirty_per_conn']):>17} "
              f"{fmt(row['heap_per_conn']):>12} {fmt(row['a2fb_median_us']):>12} "
              f"{fmt(row['a2fb_p99_us']):>12} {fmt(row['wsload_cpu_s'], '.2f'):>13} "
              f"{fmt(row['server_cpu_s'], '.2f'):>13} {fmt(row['server_preempted']):>9}")
    for row in rows:
        print(f"{row['n']:>6}: server CPU per arriving caller {fmt(row['server_cpu_per_conn_us'])} us"
              + (f", TLS handshake median {fmt(row['tls_median_us'])} us (client's view)"
                 if row.get("tls_median_us") else ""))
    print(f"marginal cost (least-squares slope over all runs): RSS {fmt(slopes['rss'])} B, "
          f"Private_Dirty {fmt(slopes['dirty'])} B, heap {fmt(slopes['heap'])} B per connection")
    if lat:
        print(f"accept to first byte, {args.latency_conns} connections one at a time: "
              f"median {fmt(med(lat, 'a2fb_median_us'))} us, p99 {fmt(med(lat, 'a2fb_p99_us'))} us, "
              f"max {fmt(med(lat, 'a2fb_max_us'))} us")
    cls = biggest["runs"][0].get("classes")
    if cls:
        print(f"live heap blocks added per connection at N={biggest['n']} (usable size, bytes incl. 8 B header):")
        for d in cls[:8]:
            print(f"  {d['usable']:>12} B: {d['blocks_per_conn']:.2f} blocks, {d['bytes_per_conn']:.0f} B")
    for n in skipped:
        print(f"{n:>6}  not measured: carrier's config accepts max_nodes up to {args.max_nodes}")
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[0]
    invalid = sum(not r["wsload_valid"] for row in rows for r in row["runs"])
    if invalid:
        print(f"WARNING: in {invalid} run(s) wsload was over 70% busy: those timings measure it too")
    print(f"total time {time.time() - t_start:.0f} s; server on CPU {args.server_cpu}, "
          f"wsload on CPU {args.client_cpu}; load average {load_before} before, {load_after} after")

    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"rows": rows, "unloaded": lat, "slopes": slopes, "skipped": skipped,
                   "max_nodes": args.max_nodes,
                   "load_before": load_before, "load_after": load_after,
                   "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}, f, indent=1)
    print(f"details: {args.json}")
    if args.transport == "ssh":
        shutil.rmtree(args.ssh_keys, ignore_errors=True)


if __name__ == "__main__":
    main()
