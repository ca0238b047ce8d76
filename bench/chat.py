#!/usr/bin/env python3
"""The chat fan-out benchmarks (docs/BENCHMARKS.md): Carrier and its peers under
build/bench/chatload, a fresh server for every measurement, server pinned to CPU 0
and the generator to CPU 1.

  bench/chat.py issue4      1,000 callers, 10 talking as fast as they can; latency at 100/s
  bench/chat.py issue5      half telnet / half WebSocket vs all WebSocket
  bench/chat.py issue3      echo latency with and without 20 logins hashing (default cost)
  bench/chat.py issue3pg    the same on PostgreSQL (tests/lib/pg.sh) beside SQLite, interleaved
  bench/chat.py issue6      throughput ramp, latency 1k/10k, storms, slow readers, 64/512 B,
                            Carrier beside ngircd, inspircd, node ws, uWebSockets
  bench/chat.py quick       closed-loop throughput vs ngircd and node ws, < 1 minute
  bench/chat.py tls         the fan-out over wss against plain ws: CPU per delivery
  CARRIER_BASELINE=PATH bench/chat.py ab   this build against another binary, interleaved
  bench/chat.py rooms       50 rooms of 20 beside one room of 1,000, 200 lines/s in all
  bench/chat.py profile     perf record -g on Carrier during a 1.6 M deliveries/s run
  bench/chat.py all         issue4 issue5 issue3 issue6

Benchmark settings are config, never code: password_ops/password_mem = "min" for mass
logins (not for issue3), flood_rate = 1000, flood_burst = 1000, capacity and max_nodes
above the caller count, login_timeout = 3600, max_line = 1024.
Every result goes to build/bench/chat-<scenario>.json as well.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CARRIER = os.environ.get("CARRIER_BIN") or os.path.join(ROOT, "build", "carrier")
BASELINE = os.environ.get("CARRIER_BASELINE")     # "carrier-base": another build, for ab
CHATLOAD = os.path.join(ROOT, "build", "bench", "chatload")
PEERS = os.path.join(ROOT, "bench", "peers")
CACHE = os.path.join(ROOT, "build", "bench")
SERVER_CPU, GEN_CPU = 0, 1
PASSWORD = "benchpass1"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def pin(cpu):
    return lambda: os.sched_setaffinity(0, {cpu})


def proc_stat(pid, smaps=False):
    """cpu seconds (user+sys, threads included), rss, hwm, involuntary context switches
    of the main thread, open fds; with smaps, Private_Dirty (smaps_rollup walks the page
    tables, so the 50 ms sampler leaves it out)"""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    out = {"cpu_s": (int(fields[11]) + int(fields[12])) / tick}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
            elif k == "nonvoluntary_ctxt_switches":
                out["preempted"] = int(v)
    try:
        if not smaps:
            raise OSError
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k == "Private_Dirty":
                    out["Private_Dirty"] = int(v.split()[0]) * 1024
    except OSError:
        pass
    try:
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        out["fds"] = 0
    return out


def terminate(proc, timeout=20):
    """SIGTERM, then SIGKILL if it has not exited within timeout seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_config(n, min_cost=True, extra=""):
    cost = 'password_ops = "min"\npassword_mem = "min"\n' if min_cost else ""
    return (f"[bbs]\nmax_nodes = {max(n + 16, 32)}\nlogin_timeout = 3600\nmax_login_failures = 100\n{cost}"
            f"[chat]\ncapacity = {max(n + 16, 32)}\nflood_rate = 1000.0\nflood_burst = 1000\n"
            f"max_line = 1024\n{extra}")


class Server:
    """A fresh Carrier or peer, pinned to SERVER_CPU; .port (and .tport for Carrier).
    Kind "carrier-tls": Carrier serving https too (a certificate made with openssl
    req), .port being the https one."""

    def __init__(self, kind, n=1000, db=None, min_cost=True, extra="", pinned=True):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"chatbench-{kind}-")
        if kind == "carrier-tls":
            cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", "/CN=localhost"], check=True,
                           capture_output=True)
            extra += (f'[server]\nhttps = "127.0.0.1:0"\ntls_cert = "{cert}"\n'
                      f'tls_key = "{key}"\n[limits]\nhandshakes_per_address = 100000\n')
        self.out_path = os.path.join(self.dir, "out")
        self.out = open(self.out_path, "w")
        self.port = self.tport = None
        self.pid = None
        env = dict(os.environ)
        if kind.startswith("carrier"):
            cfg = os.path.join(self.dir, "carrier.toml")
            with open(cfg, "w") as f:
                f.write(bench_config(n, min_cost, extra))
            dbp = os.path.join(self.dir, "carrier.db")
            if db and db.startswith("postgresql://"):
                dbp = db                    # shared, as the cluster's nodes share it
            elif db:
                shutil.copy(db, dbp)
            cmd = [BASELINE if kind == "carrier-base" else CARRIER, "--config", cfg,
                   "--http", "127.0.0.1:0", "--telnet", "127.0.0.1:0", "--db", dbp]
        else:
            port = free_port()
            if kind in ("ngircd", "inspircd"):
                cmd = ["bash", os.path.join(PEERS, f"{kind}.sh"), str(port), self.dir]
            elif kind == "node-ws":
                cmd = ["node", os.path.join(PEERS, "ws-broadcast.mjs"), str(port)]
            elif kind == "uws":
                cmd = ["node", os.path.join(PEERS, "uws-broadcast.mjs"), str(port)]
            else:
                raise ValueError(kind)
            self.port = port
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=pin(SERVER_CPU) if pinned else None, cwd=self.dir)
        deadline = time.time() + 15
        while time.time() < deadline:
            text = open(self.out_path).read()
            if kind.startswith("carrier"):
                for line in text.splitlines():
                    # "event=listen listener=http addr=...", or an older binary's
                    # "http listening on ..." (a CARRIER_BASELINE)
                    if ((" http listening on 127.0.0.1:" in line or
                         " listener=http addr=127.0.0.1:" in line) and kind != "carrier-tls"):
                        self.port = int(line.rsplit(":", 1)[1])
                    if (("https listening on 127.0.0.1:" in line or
                         " listener=https addr=127.0.0.1:" in line) and kind == "carrier-tls"):
                        self.port = int(line.rsplit(":", 1)[1])
                    if ("telnet listening on 127.0.0.1:" in line or
                            "listener=telnet addr=127.0.0.1:" in line):
                        self.tport = int(line.rsplit(":", 1)[1])
                if self.port and self.tport and (" ready" in text or "event=ready" in text):
                    self.pid = self.proc.pid
                    break
            else:
                for line in text.splitlines():
                    if line.startswith("ready "):
                        kv = dict(t.split("=", 1) for t in line.split()[2:])
                        self.pid = int(kv["pid"])
                if self.pid:
                    break
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{kind} exited: {text[-2000:]}")
            time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError(f"{kind} did not become ready")
        if self.pid != self.proc.pid and pinned:
            os.sched_setaffinity(self.pid, {SERVER_CPU})

    def stat(self, smaps=False):
        return proc_stat(self.pid, smaps)

    def stop(self):
        terminate(self.proc)
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def accounts_db(n):
    """A database with handles b00000.. registered through the BBS (NEW) at the
    "min" Argon2id cost, made once and copied for every server."""
    path = os.path.join(CACHE, f"chat-accounts-{n}.db")
    if os.path.exists(path):
        return path
    log(f"chat: registering {n} accounts through the BBS (once; cached in {path})")
    # With a baseline to compare with, the older build makes it: a newer build
    # migrates its copy, an older one cannot read a newer schema.
    srv = Server("carrier-base" if BASELINE else "carrier", n)
    try:
        r = chatload(srv, ["-n", str(n), "--register", "-m", "0", "-d", "0", "--warmup", "0",
                           "-c", "64", "-t", "300"])
        if r["in_room"] != n:
            raise RuntimeError(f"registration: {r}")
    finally:
        dbp = os.path.join(srv.dir, "carrier.db")
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(timeout=20)
        shutil.copy(dbp, path + ".tmp")
        os.rename(path + ".tmp", path)
        srv.stop()
    return path


def parse_result(line):
    out = {}
    for tok in line.split()[1:]:
        k, _, v = tok.partition("=")
        try:
            out[k] = float(v) if "." in v else int(v)
        except ValueError:
            out[k] = v
    return out


def chatload(srv, args, sample=None):
    """Run the generator against srv; server CPU/memory sampled at its MARK lines.
    sample(t, stat) is called every 50 ms while it runs, if given."""
    cmd = [CHATLOAD, "-q", "-p", str(srv.port)] + args
    if srv.tport and "--telnet-frac" in args:
        cmd += ["-T", str(srv.tport)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=pin(GEN_CPU))
    marks = {}
    result = None
    lines = []
    stop = threading.Event()
    samples = []

    def sampler():
        while not stop.is_set():
            try:
                st = srv.stat()
            except OSError:
                break
            samples.append((time.monotonic(), st))
            if sample:
                sample(time.monotonic(), st)
            time.sleep(0.05)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    for line in p.stdout:
        lines.append(line.rstrip())
        if line.startswith("MARK "):
            marks[line.split()[1]] = (time.monotonic(), srv.stat(smaps=True))
        elif line.startswith("RESULT "):
            result = parse_result(line)
    err = p.stderr.read()
    p.wait()
    stop.set()
    th.join()
    if result is None:
        raise RuntimeError("chatload: no result\n" + "\n".join(lines) + err)
    if "start" in marks and "stop" in marks:
        result["server_cpu_s"] = marks["stop"][1]["cpu_s"] - marks["start"][1]["cpu_s"]
        result["server_preempted"] = (marks["stop"][1].get("preempted", 0)
                                      - marks["start"][1].get("preempted", 0))
        result["server_cpu_pct"] = 100 * result["server_cpu_s"] / max(result["measured_s"], 1e-9)
    result["server_rss_end"] = samples[-1][1]["VmRSS"] if samples else 0
    result["server_rss_max"] = max((s[1]["VmRSS"] for s in samples), default=0)
    result["marks"] = {k: v[0] for k, v in marks.items()}
    result["mark_stats"] = {k: v[1] for k, v in marks.items()}
    result["samples"] = samples
    result["report"] = lines
    return result


def measure(kind, n, args, db=None, repeats=3, min_cost=True, extra="", attempts=3):
    """repeats x (fresh server, one chatload run); a list of results.  A run with fewer
    than n in the room is tried again, at most attempts times in all (the last is kept)."""
    out = []
    gen_args = list(args)
    if kind in ("ngircd", "inspircd"):
        gen_args = ["-P", "irc"] + gen_args
        if kind == "ngircd" and "-c" not in gen_args and "--storm" not in gen_args:
            # ngircd's accept backlog is 10 (listen(fd, 10) in the binary): more connects
            # in flight overflow it and wait for SYN retries (1, 3, 7 s...)
            gen_args += ["-c", "8"]
        if kind == "inspircd" and "-c" not in gen_args and "--storm" not in gen_args:
            # InspIRCd finishes logins only in its once-a-second pass: many in flight
            gen_args += ["-c", "400"]
    elif kind in ("node-ws", "uws"):
        gen_args = ["-P", "wsb"] + gen_args
    elif kind == "carrier-tls":
        gen_args = ["--tls"] + gen_args
    for i in range(repeats):
        for attempt in range(attempts):
            srv = Server(kind, n, db if kind.startswith("carrier") else None, min_cost, extra)
            try:
                r = chatload(srv, ["-n", str(n)] + gen_args)
            except RuntimeError as e:
                log(f"  {kind}: {e}")
                r = None
            finally:
                srv.stop()
            if r and r["in_room"] == n:
                break
            log(f"  {kind}: run {i} attempt {attempt}: {r and r['in_room']} of {n} in the room "
                f"after {r and r.get('establish_s')} s, {r and r.get('failed')} failed"
                f"{'; again' if attempt + 1 < attempts else ''}")
        if r is None:
            continue
        r.pop("samples", None)
        out.append(r)
        log(f"  {kind} n={n} {' '.join(args)}: {r['rate']:.0f} deliveries/s, "
            f"lat median {r['lat_median_us'] / 1000:.2f} ms p99 {r['lat_p99_us'] / 1000:.2f} ms "
            f"max {r['lat_max_us'] / 1000:.2f} ms, lost {r['lost']}, missed {r['missed']}, "
            f"server CPU {r.get('server_cpu_pct', 0):.0f}%, gen {r['measure_cpu_pct']}%"
            f"{'' if r['valid'] else ' INVALID'}")
    return out


def med(rs, key):
    v = [r[key] for r in rs if key in r]
    return statistics.median(v) if v else 0


def summary(rs):
    return {
        "runs": len(rs),
        "rate": med(rs, "rate"),
        "lat_median_ms": med(rs, "lat_median_us") / 1000,
        "lat_p99_ms": med(rs, "lat_p99_us") / 1000,
        "lat_max_ms": med(rs, "lat_max_us") / 1000,
        "lat_k_median_ms": med(rs, "lat_k_median_us") / 1000,
        "lat_k_p99_ms": med(rs, "lat_k_p99_us") / 1000,
        "lost": sum(r["lost"] for r in rs),
        "missed": sum(r["missed"] for r in rs),
        "server_cpu_pct": med(rs, "server_cpu_pct"),
        "gen_cpu_pct": med(rs, "measure_cpu_pct"),
        "invalid": sum(1 for r in rs if not r["valid"]),
        "cpu_s_per_M": (med(rs, "server_cpu_s") / max(med(rs, "delivered"), 1)) * 1e6,
        "rates": [r["rate"] for r in rs],
    }


def save(name, data):
    path = os.path.join(CACHE, f"chat-{name}.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1, default=str)
    log(f"chat: results in {path}")


def show(title, rows):
    print(f"\n{title}")
    for k, v in rows.items():
        if isinstance(v, dict):
            print(f"  {k}: " + ", ".join(f"{a}={b:.3g}" if isinstance(b, float) else f"{a}={b}"
                                          for a, b in v.items() if a != "rates"))
        else:
            print(f"  {k}: {v}")
    sys.stdout.flush()


# ---- scenarios -----------------------------------------------------------------------

def issue4(a):
    db = accounts_db(1000)
    res = {}
    res["flat_out"] = summary(measure("carrier", 1000, ["-m", "10", "-d", str(a.duration),
                                                        "--sender-cap", "1000"], db, a.repeats))
    res["rate100"] = summary(measure("carrier", 1000, ["-m", "10", "-r", "100", "-d",
                                                       str(a.duration)], db, a.repeats))
    show("issue 4: 1,000 callers in the room, 10 talking", res)
    save("issue4", res)
    return res


def issue5(a):
    db = accounts_db(1000)
    res = {}
    base = ["-m", "10", "-d", str(a.duration), "--sender-cap", "1000"]
    res["all_ws"] = summary(measure("carrier", 1000, base, db, a.repeats))
    res["half_telnet"] = summary(measure("carrier", 1000, base + ["--telnet-frac", "0.5"], db,
                                         a.repeats))
    res["all_ws_100"] = summary(measure("carrier", 1000, ["-m", "10", "-r", "100", "-d",
                                                          str(a.duration)], db, a.repeats))
    res["half_telnet_100"] = summary(measure("carrier", 1000, ["-m", "10", "-r", "100", "-d",
                                                               str(a.duration), "--telnet-frac",
                                                               "0.5"], db, a.repeats))
    res["ratio"] = res["half_telnet"]["rate"] / max(res["all_ws"]["rate"], 1)
    show("issue 5: half telnet, half WebSocket vs all WebSocket (1,000 callers, 10 talking)", res)
    save("issue5", res)
    return res


def cli_accounts(path, prefix, n):
    """Accounts made by `carrier user add` (default Argon2id cost, as a sysop would)."""
    if os.path.exists(path):
        return path
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    for i in range(n):
        subprocess.run([CARRIER, "--db", tmp, "user", "add", f"{prefix}{i:05d}"],
                       input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    os.rename(tmp, path)
    return path


def echo_run(a, db, storm, pinned=True):
    """One issue-3 measurement: a fresh server on db, one caller timing its echo every
    5 ms, and (storm) 20 others logging in at the default Argon2id cost meanwhile."""
    srv = Server("carrier", 64, db, min_cost=False, pinned=pinned)
    load = None
    try:
        if storm:
            load = subprocess.Popen(
                [CHATLOAD, "-q", "-p", str(srv.port), "-n", "20", "--first", "1",
                 "--relogin", "-c", "20", "-d", str(a.duration + 3)],
                stdout=subprocess.PIPE, text=True, preexec_fn=pin(GEN_CPU))
            time.sleep(0.5)
        r = chatload(srv, ["-n", "1", "--echo", "--echo-ms", "5", "-d", str(a.duration),
                           "--warmup", "0.5"])
        if load:
            lr = [parse_result(l) for l in load.stdout if l.startswith("RESULT ")]
            load.wait()
            r["logins_during"] = lr[0]["logins"] if lr else 0
            r["logins_per_s"] = r["logins_during"] / (a.duration + 3)
    finally:
        if load and load.poll() is None:
            load.terminate()
            load.wait()
        srv.stop()
    r.pop("samples", None)
    return r


def echo_summary(runs, storm):
    s = summary(runs)
    for k in ("lat_median_us", "lat_p99_us", "lat_max_us"):
        s[k] = med(runs, k)
    if storm:
        s["logins_per_s"] = med(runs, "logins_per_s")
    return s


def issue3(a):
    db = cli_accounts(os.path.join(CACHE, "chat-accounts-cli.db"), "b", 21)
    res = {}
    # pinned: the whole server (loop and libuv's 4 pool threads) on CPU 0, so Argon2id
    # competes with the loop for one core.  floating: the server is not pinned (the pool
    # may use either core, as on a real machine; taskset cannot pin one thread of it),
    # the generator stays on CPU 1.
    for label, storm, pinned in (("quiet", False, True), ("20_logins", True, True),
                                 ("quiet_floating", False, False),
                                 ("20_logins_floating", True, False)):
        runs = []
        for i in range(a.repeats):
            r = echo_run(a, db, storm, pinned)
            runs.append(r)
            log(f"  echo ({label}): median {r['lat_median_us']:.0f} us p99 {r['lat_p99_us']:.0f} us "
                f"max {r['lat_max_us']:.0f} us n={r['lat_n']}"
                + (f", {r.get('logins_during')} logins" if storm else ""))
        res[label] = echo_summary(runs, storm)
    show("issue 3: echo latency at the chat prompt (default Argon2id cost)", res)
    save("issue3", res)
    return res


def issue3pg(a):
    """Issue 12's figure: the loop's echo latency while logins run, on PostgreSQL
    (a server of the benchmark's own, tests/lib/pg.sh, on a free loopback port; not
    pinned) against SQLite, in the same run, runs interleaved.  Pinned as issue3's
    "pinned" rows: the carrier process on CPU 0, the generator on CPU 1."""
    pgdir = tempfile.mkdtemp(prefix="chatbench-pg-")
    pg = os.path.join(ROOT, "tests", "lib", "pg.sh")
    url = subprocess.run([pg, "start", pgdir], check=True, capture_output=True,
                         text=True).stdout.strip()
    res = {}
    try:
        sqlite = cli_accounts(os.path.join(CACHE, "chat-accounts-cli.db"), "b", 21)
        for i in range(21):      # the same accounts, by the same command
            subprocess.run([CARRIER, "--db", url, "user", "add", f"b{i:05d}"],
                           input=PASSWORD + "\n", text=True, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = {}
        for i in range(a.repeats):
            for engine, db in (("sqlite", sqlite), ("postgresql", url)):
                for label, storm in (("quiet", False), ("20_logins", True)):
                    r = echo_run(a, db, storm)
                    rows.setdefault(f"{engine}_{label}", []).append(r)
                    log(f"  echo ({engine}, {label}): median {r['lat_median_us']:.0f} us "
                        f"p99 {r['lat_p99_us']:.0f} us max {r['lat_max_us']:.0f} us n={r['lat_n']}"
                        + (f", {r.get('logins_during')} logins" if storm else ""))
        for key, runs in rows.items():
            res[key] = echo_summary(runs, key.endswith("20_logins"))
        for label in ("quiet", "20_logins"):
            ratio = res[f"postgresql_{label}"]["lat_p99_us"] / max(res[f"sqlite_{label}"]["lat_p99_us"], 1)
            res[f"ratio_p99_{label}"] = {"postgresql_over_sqlite": ratio}
            log(f"echo p99 {label}: postgresql/sqlite = {ratio:.2f}")
    finally:
        subprocess.run([pg, "stop", pgdir], check=False)
    show("issue 12: echo latency at the chat prompt, PostgreSQL beside SQLite", res)
    save("issue3pg", res)
    return res


PEER_KINDS = ["carrier", "ngircd", "inspircd", "node-ws", "uws"]
IRC_MAX_SIZE = 450   # 510 - len(":b00000!~b00000@127.0.0.1 PRIVMSG #room :") = 456 with 6-char nicks


def line_size(kind, size):
    """IRC cannot carry a 512-byte line (512 bytes in all, with the sender's prefix):
    the IRC peers run the largest payload that fits instead."""
    return min(size, IRC_MAX_SIZE) if kind in ("ngircd", "inspircd") else size


def carrier_db(n):
    return accounts_db(1000) if n <= 1000 else accounts_db(10000)


def ramp(kind, n, size, a):
    """Raise the total rate until p99 > 100 ms or anything is lost (or a caller dropped);
    the last good step is the result.
    Once a step fails, the rate half-way between it and the last good one is tried too
    (the ramp's steps double, so the limit is known to within a quarter or so).
    A step where the generator passed 70 % of its core is marked generator-bound (the
    figure is then a lower bound: the generator, not only the server, was at its limit)
    and the ramp goes on."""
    def bad(r):
        return r["lat_p99_us"] > 100000 or r["lost"] + r["missed"] > 0 or r["in_room"] < n

    def step(rate):
        rs = measure(kind, n, ["-m", "10", "-r", str(rate), "-s", str(size), "-d",
                               str(a.duration)], carrier_db(n), 1)
        if not rs:
            return None
        r = rs[0]
        spoiled = None
        if bad(r):
            # the machine is shared: one stall from outside must not end the ramp, so a
            # failed step is measured once more with a fresh server and fails only twice
            again = measure(kind, n, ["-m", "10", "-r", str(rate), "-s", str(size), "-d",
                                      str(a.duration)], carrier_db(n), 1)
            if again and not bad(again[0]):
                spoiled = {"p99_ms": r["lat_p99_us"] / 1000, "lost": r["lost"] + r["missed"],
                           "server_preempted": r.get("server_preempted", 0)}
                r = again[0]
        st = {"rate": rate, "deliveries": r["rate"], "p50_ms": r["lat_median_us"] / 1000,
              "p99_ms": r["lat_p99_us"] / 1000, "max_ms": r["lat_max_us"] / 1000,
              "lost": r["lost"] + r["missed"], "valid": r["valid"],
              "in_room": r["in_room"], "gen_cpu_pct": r["measure_cpu_pct"],
              "server_cpu_pct": r.get("server_cpu_pct", 0),
              "server_preempted": r.get("server_preempted", 0),
              "cpu_s_per_M": r.get("server_cpu_s", 0) / max(r["delivered"], 1) * 1e6,
              "spoiled_first_run": spoiled}
        if bad(r):
            st["stop"] = "p99>100ms" if r["lat_p99_us"] > 100000 else "loss"
        elif not r["valid"]:
            st["stop"] = "generator-bound"
        steps.append(st)
        return st

    best = None
    steps = []
    for rate in a.ramp:
        st = step(rate)
        if st is None:
            break
        if st.get("stop") == "generator-bound":
            # the generator (one core, reading every delivery) is near its own limit:
            # keep going, but the figure is then a lower bound and says so
            best = st
            continue
        if st.get("stop"):
            lo = best["rate"] if best else 0
            mid = (lo + rate) // 2
            if best and mid > lo:
                st2 = step(mid)
                if st2 and st2.get("stop") not in ("p99>100ms", "loss"):
                    best = st2
            break
        best = st
    return {"best": best, "steps": steps}


def idle_mem(kind, n, a):
    """Idle user-space bytes per caller in the room: a fresh server, 10 callers come and
    go first (one-off start-up costs fall into the baseline), the baseline is read, then
    n callers join and idle; (mem(n) - mem(0)) / n at the moment all are in."""
    srv = Server(kind, n, carrier_db(n))
    try:
        warm = ["-P", "irc"] if kind in ("ngircd", "inspircd") else \
            ["-P", "wsb"] if kind in ("node-ws", "uws") else []
        chatload(srv, ["-n", "10", "-m", "0", "-d", "0.2", "--warmup", "0"] + warm)
        time.sleep(0.5)
        base = srv.stat(smaps=True)
        rs = None
        r = chatload(srv, ["-n", str(n), "-m", "0", "-d", "0.5", "--warmup", "0.5", "-t", "120"]
                     + warm + (["-c", "8"] if kind == "ngircd" else
                               ["-c", "400"] if kind == "inspircd" else []))
        st = r["marks"]
        rs = {"n": n, "in_room": r["in_room"]}
        # the stat taken at MARK start (all in the room, idle for --warmup)
        m = r.get("mark_stats", {}).get("start")
        for k in ("Private_Dirty", "VmRSS"):
            rs[k + "_per_conn"] = (m[k] - base[k]) / n if m and k in m and k in base else None
        rs["base_Private_Dirty"] = base.get("Private_Dirty")
        rs["base_VmRSS"] = base.get("VmRSS")
        del st
    finally:
        srv.stop()
    log(f"  idle {kind} n={n}: {rs}")
    return rs


def storm(kind, n, a):
    """n callers join at once, settle 1 s, then all hang up at once.  Settled = the
    server back to its idle descriptor count and no CPU used for one 50 ms sample."""
    srv = Server(kind, n, carrier_db(n))
    try:
        base = srv.stat(smaps=True)
        args = ["-n", str(n), "--storm", "-t", str(a.storm_timeout)]
        if kind in ("ngircd", "inspircd"):
            args = ["-P", "irc"] + args
        elif kind in ("node-ws", "uws"):
            args = ["-P", "wsb"] + args
        r = chatload(srv, args)
        drop_t = r["marks"].get("drop")
        t0 = time.monotonic()
        last_cpu = srv.stat()["cpu_s"]
        settled = None
        while time.monotonic() - t0 < 60:
            time.sleep(0.05)
            st = srv.stat()
            if st["fds"] <= base["fds"] + 1 and st["cpu_s"] == last_cpu:
                settled = time.monotonic()
                break
            last_cpu = st["cpu_s"]
        st = srv.stat(smaps=True)
        out = {"join_s": r["establish_s"], "in_room": r["in_room"], "failed": r["failed"],
               "settle_after_drop_s": (settled - drop_t) if settled and drop_t else None,
               "peak_rss": st["VmHWM"], "base_rss": base["VmRSS"],
               "rss_after": st["VmRSS"], "pd_after": st.get("Private_Dirty"),
               "base_pd": base.get("Private_Dirty")}
    finally:
        srv.stop()
    log(f"  storm {kind} n={n}: {out}")
    return out


def slow(kind, n, frac, a):
    """n callers, 10 talking at 200 lines/s in total; frac of the listeners stop reading
    once in the room.  The others' latency, and the server's RSS over the measured
    window (first, last, peak)."""
    srv = Server(kind, n, carrier_db(n))
    try:
        args = ["-n", str(n), "-m", "10", "-r", "200", "-d", str(a.slow_duration),
                "--slow-frac", str(frac), "-t", "120", "-s", str(line_size(kind, a.slow_size))]
        if kind in ("ngircd", "inspircd"):
            args = ["-P", "irc", "-c", "8" if kind == "ngircd" else "400"] + args
        elif kind in ("node-ws", "uws"):
            args = ["-P", "wsb"] + args
        r = chatload(srv, args)
        sm = r.pop("samples")
        ms = r["marks"]
        rss = [s[1]["VmRSS"] for s in sm if ms.get("start", 0) <= s[0] <= ms.get("stop", 0)]
        r["rss_first"], r["rss_last"], r["rss_peak"] = rss[0], rss[-1], max(rss)
        r.pop("report", None)
    finally:
        srv.stop()
    log(f"  slow {kind} {frac}: p50 {r['lat_median_us'] / 1000:.2f} ms p99 {r['lat_p99_us'] / 1000:.2f} ms, "
        f"rss {r['rss_first']} -> {r['rss_last']} (peak {r['rss_peak']}), in room {r['in_room']}, "
        f"missed {r['missed']}, lost {r['lost']}, server CPU {r.get('server_cpu_pct', 0):.0f}%")
    return r


def issue6(a):
    path = os.path.join(CACHE, "chat-issue6.json")
    res = {}
    if os.path.exists(path) and not a.fresh:
        with open(path) as f:
            res = json.load(f)   # parts run separately accumulate in one file
    res["nodelay"] = os.environ.get("BENCH_NODELAY", "0")
    for part in ("throughput", "latency", "idle", "storm", "slow"):
        res.setdefault(part, {})
    kinds = a.peers or PEER_KINDS
    parts = a.parts
    if "throughput" in parts:
        for size in a.sizes:
            for kind in kinds:
                sz = line_size(kind, size)
                key = f"{kind}/{size}"
                res["throughput"][key] = ramp(kind, 1000, sz, a)
                res["throughput"][key]["size"] = sz
                log(f"chat: throughput {kind} {sz} B: {res['throughput'][key]['best']}")
                save("issue6", res)
    if "latency" in parts:
        for n in a.ns:
            for size in a.sizes:
                for kind in kinds:
                    sz = line_size(kind, size)
                    rs = measure(kind, n, ["-m", "10", "-r", "200", "-s", str(sz), "-d",
                                           str(a.duration), "-t", str(a.join_timeout), "--src",
                                           "127.0.0.1-127.0.0.8"], carrier_db(n), a.repeats,
                                 attempts=a.attempts)
                    res["latency"][f"{kind}/{n}/{size}"] = dict(
                        summary(rs), size=sz, n=n, duration=a.duration,
                        preempted=[r.get("server_preempted") for r in rs],
                        in_room=[r.get("in_room") for r in rs],
                        establish_s=[r.get("establish_s") for r in rs])
                    save("issue6", res)
    if "idle" in parts:
        for kind in kinds:
            res["idle"][kind] = [idle_mem(kind, n, a) for n in a.idle_ns]
            save("issue6", res)
    if "storm" in parts:
        for kind in kinds:
            res["storm"][kind] = [storm(kind, 3000, a) for _ in range(a.storm_repeats)]
            save("issue6", res)
    if "slow" in parts:
        for kind in kinds:
            res["slow"][kind] = {"none": slow(kind, 1000, 0, a), "10pct": slow(kind, 1000, 0.1, a),
                                 "size": line_size(kind, a.slow_size)}
            save("issue6", res)
    save("issue6", res)
    return res


def profile(a):
    """perf record -g on a fresh Carrier for 3 s while 1,000 callers receive 1,600 lines/s
    (64 bytes, 10 senders); the report's top goes to stdout, the data to
    build/bench/carrier.perf."""
    db = accounts_db(1000)
    srv = Server("carrier", 1000, db)
    out = os.path.join(CACHE, "carrier.perf")
    try:
        p = subprocess.Popen([CHATLOAD, "-q", "-p", str(srv.port), "-n", "1000", "-m", "10", "-r",
                              "1600", "-d", "5", "--warmup", "1"], stdout=subprocess.PIPE, text=True,
                             preexec_fn=pin(GEN_CPU))
        time.sleep(2.5)
        subprocess.run(["perf", "record", "-g", "-o", out, "-p", str(srv.pid), "--", "sleep", "3"],
                       capture_output=True, check=True)
        res = parse_result([l for l in p.communicate()[0].splitlines() if l.startswith("RESULT ")][0])
    finally:
        srv.stop()
    log(f"  profile run: {res['rate']:.0f} deliveries/s, p99 {res['lat_p99_us'] / 1000:.1f} ms, "
        f"generator {res['measure_cpu_pct']}%")
    for sort in ("dso", "sym"):
        rep = subprocess.run(["perf", "report", "-i", out, "--no-children", "--sort", sort, "--stdio",
                              "-g", "none"], capture_output=True, text=True).stdout
        print("\n".join([l for l in rep.splitlines() if "%" in l][:25]))


def quick(a):
    """Closed-loop throughput (each of 10 senders keeps 4 lines in flight) at 1,000 callers,
    Carrier vs ngircd vs node ws, 5 short runs each, interleaved so that noise from the
    rest of the machine falls on all three alike; medians.  ngircd gets 8 connects in
    flight (its accept backlog is 10) and, like every IRC run here, TCP_NODELAY through
    the preload shim unless BENCH_NODELAY=0.  About a minute and a half in all.  The last
    line gives the delivery ratios and the CPU per delivery of ngircd over Carrier's."""
    db = accounts_db(1000)
    t0 = time.monotonic()
    kinds = ("carrier", "carrier-base", "ngircd", "node-ws") if BASELINE else ("carrier", "ngircd", "node-ws")
    runs = {k: [] for k in kinds}
    for i in range(5):
        for kind in runs:
            runs[kind] += measure(kind, 1000, ["-m", "10", "-d", "1.5", "--warmup", "0.5",
                                               "--sender-cap", "1000"], db, 1)
    rates = {k: statistics.median(r["rate"] for r in rs) if rs else 0 for k, rs in runs.items()}
    cpm = {k: statistics.median(r.get("server_cpu_s", 0) / max(r["delivered"], 1) * 1e6 for r in rs)
           if rs else 0 for k, rs in runs.items()}
    save("quick", {"rates": rates, "cpu_s_per_M": cpm, "nodelay": os.environ.get("BENCH_NODELAY"),
                   "runs": {k: [{x: r.get(x) for x in ("rate", "valid", "server_cpu_pct",
                                                       "measure_cpu_pct", "lat_p99_us")}
                                for r in rs] for k, rs in runs.items()},
                   "wall_s": time.monotonic() - t0})
    for k, rs in runs.items():
        inv = sum(1 for r in rs if not r["valid"])
        print(f"{k}: {rates[k]:.0f} deliveries/s (median of {len(rs)}), "
              f"server {cpm[k]:.3f} CPU-s per M deliveries, server CPU "
              f"{statistics.median(r.get('server_cpu_pct', 0) for r in rs):.0f}%"
              + (f", {inv} run(s) generator-bound (a lower bound)" if inv else ""))
    print(f"({time.monotonic() - t0:.0f} s)")
    if BASELINE:
        print(f"baseline ({BASELINE}): fanout ratio carrier/ngircd="
              f"{rates['carrier-base'] / max(rates['ngircd'], 1):.2f} cpu-per-delivery "
              f"ngircd/carrier={cpm['ngircd'] / max(cpm['carrier-base'], 1e-9):.2f}")
    print(f"fanout ratio carrier/ngircd={rates['carrier'] / max(rates['ngircd'], 1):.2f} "
          f"carrier/node-ws={rates['carrier'] / max(rates['node-ws'], 1):.2f} "
          f"cpu-per-delivery ngircd/carrier={cpm['ngircd'] / max(cpm['carrier'], 1e-9):.2f}")


def tls(a):
    """The fan-out over wss against plain ws, same callers, same load, interleaved run by
    run: 1,000 callers in the room, 10 talking (closed loop, as fast as the server takes
    the lines; then 200 lines/s in all); --repeats runs each; medians of the server's
    CPU-s per million deliveries.  A chat line is framed once for all either way; over
    wss each caller's flush is one more copy and an AES-GCM pass, per connection."""
    db = accounts_db(1000)
    loads = {"flat_out": ["-m", "10", "-d", str(a.duration), "--warmup", "0.5", "--sender-cap", "1000"],
             "rate200": ["-m", "10", "-r", "200", "-d", str(a.duration)]}
    runs = {(load, k): [] for load in loads for k in ("carrier", "carrier-tls")}
    for i in range(a.repeats):
        for load, args in loads.items():
            for kind in ("carrier", "carrier-tls"):
                runs[(load, kind)] += measure(kind, 1000, args, db, 1)
    res = {}
    for (load, kind), rs in runs.items():
        res.setdefault(load, {})[kind] = {
            "rate": statistics.median(r["rate"] for r in rs),
            "cpu_s_per_M": statistics.median(r.get("server_cpu_s", 0) / max(r["delivered"], 1) * 1e6
                                             for r in rs),
            "server_cpu_pct": statistics.median(r.get("server_cpu_pct", 0) for r in rs),
            "p50_ms": statistics.median(r["lat_median_us"] for r in rs) / 1000,
            "p99_ms": statistics.median(r["lat_p99_us"] for r in rs) / 1000,
            "rss_end_MB": statistics.median(r.get("server_rss_end", 0) for r in rs) / 2**20,
            "invalid": sum(1 for r in rs if not r["valid"]), "runs": len(rs)}
    save("tls", res)
    for load, by in res.items():
        for kind, x in by.items():
            print(f"{load} {'wss' if kind == 'carrier-tls' else 'ws '}: {x['cpu_s_per_M']:.3f} CPU-s/M "
                  f"deliveries, {x['rate']:.0f} deliveries/s, server CPU {x['server_cpu_pct']:.0f}%, "
                  f"p50 {x['p50_ms']:.2f} ms, p99 {x['p99_ms']:.2f} ms, RSS {x['rss_end_MB']:.1f} MB"
                  + (f" ({x['invalid']} run(s) generator-bound)" if x["invalid"] else ""))
        w, t = by["carrier"], by["carrier-tls"]
        print(f"{load}: CPU per delivery wss/ws {t['cpu_s_per_M'] / max(w['cpu_s_per_M'], 1e-9):.2f} "
              f"(medians of {t['runs']})")


def ab(a):
    """build/carrier against another build (CARRIER_BASELINE=PATH, e.g. a copy of the
    binary before a change), interleaved run by run so that the machine's noise falls on
    both alike: the closed-loop fan-out of bench-quick, 200 lines/s and a lone line a second, 1,000
    callers, --repeats runs each; medians of CPU-s per million deliveries and latency."""
    if not BASELINE or not os.path.exists(BASELINE):
        sys.exit("chat: ab needs CARRIER_BASELINE=PATH (a carrier binary to compare with)")
    db = accounts_db(1000)
    loads = {"flat_out": ["-m", "10", "-d", str(a.duration), "--warmup", "0.5", "--sender-cap", "1000"],
             "rate200": ["-m", "10", "-r", "200", "-d", str(a.duration)],
             "rate1": ["-m", "1", "-r", "1", "-d", str(max(a.duration, 10))]}
    runs = {(load, k): [] for load in loads for k in ("carrier", "carrier-base")}
    for i in range(a.repeats):
        for load, args in loads.items():
            for kind in ("carrier-base", "carrier"):
                runs[(load, kind)] += measure(kind, 1000, args, db, 1)
    res = {}
    for (load, kind), rs in runs.items():
        res.setdefault(load, {})[kind] = {
            "rate": statistics.median(r["rate"] for r in rs),
            "cpu_s_per_M": statistics.median(r.get("server_cpu_s", 0) / max(r["delivered"], 1) * 1e6
                                             for r in rs),
            "p50_ms": statistics.median(r["lat_median_us"] for r in rs) / 1000,
            "p99_ms": statistics.median(r["lat_p99_us"] for r in rs) / 1000,
            "k_p50_ms": statistics.median(r.get("lat_k_median_us", 0) for r in rs) / 1000,
            "k_p99_ms": statistics.median(r.get("lat_k_p99_us", 0) for r in rs) / 1000,
            "invalid": sum(1 for r in rs if not r["valid"]), "runs": len(rs)}
    save("ab", {"baseline": BASELINE, "results": res})
    for load, by in res.items():
        b, c = by["carrier-base"], by["carrier"]
        for name, x in (("baseline", b), ("build", c)):
            print(f"{load} {name}: {x['cpu_s_per_M']:.3f} CPU-s/M, {x['rate']:.0f}/s, p50 {x['p50_ms']:.2f} ms, "
                  f"p99 {x['p99_ms']:.2f} ms; by kernel time p50 {x['k_p50_ms']:.2f} ms, "
                  f"p99 {x['k_p99_ms']:.2f} ms")
        print(f"{load}: CPU per delivery build/baseline "
              f"{c['cpu_s_per_M'] / max(b['cpu_s_per_M'], 1e-9):.3f} (medians of {c['runs']})")


def rooms(a):
    """Issue 10: 50 rooms of 20 callers each, 200 lines/s in all (one sender per room),
    beside one room of 1,000 at the same 200 lines/s; --repeats runs each, interleaved;
    medians of latency by kernel receive time and by the generator's read."""
    db = accounts_db(1000)
    loads = {"one_room_1000": ["-m", "10", "-r", "200", "-d", str(a.duration)],
             "50_rooms_of_20": ["-m", "50", "-r", "200", "-d", str(a.duration), "--rooms", "50"]}
    runs = {k: [] for k in loads}
    for i in range(a.repeats):
        for k, args in loads.items():
            runs[k] += measure("carrier", 1000, args, db, 1)
    res = {k: summary(rs) for k, rs in runs.items()}
    save("rooms", res)
    for k, r in res.items():
        print(f"{k}: {r['rate']:.0f} deliveries/s, by kernel time p50 {r['lat_k_median_ms']:.2f} ms "
              f"p99 {r['lat_k_p99_ms']:.2f} ms; by the generator's read p50 {r['lat_median_ms']:.2f} ms "
              f"p99 {r['lat_p99_ms']:.2f} ms; lost {r['lost']}; server CPU {r['server_cpu_pct']:.0f}% "
              f"(medians of {r['runs']})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="+", choices=["issue4", "issue5", "issue3", "issue3pg", "issue6", "quick", "profile",
                                                      "ab", "rooms", "tls", "all"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--peers", type=lambda s: s.split(","), default=None,
                    help="for issue6: comma-separated subset of " + ",".join(PEER_KINDS))
    ints = lambda s: [int(x) for x in s.split(",")]
    ap.add_argument("--ramp", type=ints, default=[50, 100, 200, 400, 800, 1200, 1600, 2400, 3200, 4800],
                    help="issue6 throughput: total lines/s, step by step")
    ap.add_argument("--parts", type=lambda s: s.split(","),
                    default=["throughput", "latency", "idle", "storm", "slow"],
                    help="issue6: which parts (results accumulate in chat-issue6.json)")
    ap.add_argument("--fresh", action="store_true", help="issue6: start a new chat-issue6.json")
    ap.add_argument("--sizes", type=ints, default=[64, 512], help="issue6 line sizes")
    ap.add_argument("--ns", type=ints, default=[1000, 10000], help="issue6 latency caller counts")
    ap.add_argument("--join-timeout", type=int, default=300,
                    help="issue6 latency: a caller not in the room this many seconds after "
                         "its connect fails (chatload -t)")
    ap.add_argument("--attempts", type=int, default=3,
                    help="runs with fewer than N in the room are tried again, this many "
                         "times in all (1: keep the first, partial or not)")
    ap.add_argument("--idle-ns", type=ints, default=[1000, 4000], help="issue6 idle caller counts")
    ap.add_argument("--storm-repeats", type=int, default=2)
    ap.add_argument("--storm-timeout", type=int, default=120)
    ap.add_argument("--slow-duration", type=float, default=10)
    ap.add_argument("--slow-size", type=int, default=512,
                    help="slow readers: line size (512: each slow reader falls ~1 MB behind in "
                         "10 s, past the kernel's socket buffers)")
    a = ap.parse_args()
    os.makedirs(CACHE, exist_ok=True)
    # the servers inherit this (the Node peers need one descriptor per caller)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # IRC daemons do not set TCP_NODELAY; measure their best case unless told otherwise
    os.environ.setdefault("BENCH_NODELAY", "1")
    for tool in (CARRIER, CHATLOAD):
        if not os.path.exists(tool):
            sys.exit(f"chat: {tool} missing (make bench-tools build/carrier)")
    todo = ["issue4", "issue5", "issue3", "issue6"] if "all" in a.scenario else a.scenario
    for s in todo:
        globals()[s](a)


if __name__ == "__main__":
    main()
