#!/usr/bin/env python3
"""Several servers, one BBS (issue 12): the fan-out of one room split over 2 and 3
Carrier nodes on one Redis, against the same room on one node, and against two
peers doing the same across servers: two linked ngIRCd servers (an IRC server
link) and two Socket.IO servers on one Redis (@socket.io/redis-adapter).

  bench/cluster.py                 everything below, --repeats runs each, interleaved
  bench/cluster.py --only latency  1,000 callers, 10 senders, 200 lines/s in all
  bench/cluster.py --only throughput   the same callers, senders as fast as delivered
  bench/cluster.py --only matched --rate 500   the same callers at a rate every setup
                                   sustains (not in the default set: see BENCHMARKS.md)
  bench/cluster.py --ir            instructions node 0 executes per delivery to its own
                                   callers, under callgrind (alone, and in clusters of 2
                                   and 3; 6 senders, 20 lines/s, over a 10 s window):
                                   a figure the machine's noise cannot move
                                   (--callers sets the room's size here too)

For each: deliveries/s, latency by kernel receive time (p50/p99, and across servers
alone: sender and receiver on different servers), CPU seconds per million
deliveries for each server (its CPU over the deliveries to its own callers), Redis's
CPU, and deliveries per CPU-second of everything the servers ran (Redis included).

Every server process (nodes, Redis, peers) is pinned to CPU 0 and the generator to
CPU 1: on this two-core machine the nodes of a cluster share one core, so what is
measured is the cost of the split (CPU per delivery, latency added by the hop through
Redis), not a speed-up.  A run where the generator was over 70% busy is marked
INVALID by chatload (it may be the bottleneck).  Results go to
build/bench/cluster.json; docs/BENCHMARKS.md has the table.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chat  # noqa: E402  (bench/chat.py: the generator, accounts, pinning)

ROOT = chat.ROOT
PEERS = chat.PEERS
SERVER_CPU, GEN_CPU = chat.SERVER_CPU, chat.GEN_CPU
log = chat.log


def wait_line(path, pred, proc, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = open(path).read()
        for line in text.splitlines():
            v = pred(line)
            if v:
                return v
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{text[-2000:]}")
        time.sleep(0.02)
    raise RuntimeError(f"{what} not ready:\n{open(path).read()[-2000:]}")


class Proc:
    """One server process, pinned to SERVER_CPU, its output in DIR/NAME.out."""

    def __init__(self, name, cmd, dirpath):
        self.name = name
        self.out_path = os.path.join(dirpath, f"{name}.out")
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     preexec_fn=chat.pin(SERVER_CPU), cwd=dirpath)
        self.pid = self.proc.pid

    def stop(self):
        chat.terminate(self.proc)
        self.out.close()


class Setup:
    """kind: carrier (nodes=1: alone, no Redis; 2 or 3: a cluster on one Redis),
    ngircd (2 linked servers), sio (2 Socket.IO servers on one Redis).
    .ports: where callers go (caller i to ports[i % n]); .servers: the processes
    whose CPU counts per server; .redis: the Redis process or None."""

    def __init__(self, kind, nodes, n, db=None, callgrind=None):
        self.kind, self.nodes = kind, nodes
        self.callgrind = callgrind      # node 0 under callgrind, counts to this file
        self.dir = tempfile.mkdtemp(prefix=f"clusterbench-{kind}{nodes}-")
        os.chmod(self.dir, 0o755)
        self.procs, self.servers, self.ports, self.redis = [], [], [], None
        try:
            self._start(n, db)
        except Exception:
            self.stop()
            raise

    def _redis(self):
        port = chat.free_port()
        p = Proc("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no"], self.dir)
        self.procs.append(p)
        wait_line(p.out_path, lambda l: "Ready to accept connections" in l, p.proc, "redis")
        self.redis = p
        return port

    def _start(self, n, db):
        if self.kind == "carrier":
            rport = self._redis() if self.nodes > 1 else None
            dbp = os.path.join(self.dir, "carrier.db")
            if db:
                shutil.copy(db, dbp)
            for i in range(self.nodes):
                cfg = os.path.join(self.dir, f"node{i}.toml")
                extra = f'[server]\ncontrol_socket = "{self.dir}/node{i}.ctl"\n'
                if rport:
                    extra += f'[cluster]\nredis = "127.0.0.1:{rport}"\nnode = "node{i}"\n'
                with open(cfg, "w") as f:
                    f.write(chat.bench_config(n, True, extra))
                cmd = [chat.CARRIER, "--config", cfg, "--http", "127.0.0.1:0",
                       "--telnet", "127.0.0.1:0", "--db", dbp]
                if i == 0 and self.callgrind:
                    cmd = ["valgrind", "-q", "--tool=callgrind", "--instr-atstart=no",
                           f"--callgrind-out-file={self.callgrind}"] + cmd
                p = Proc(f"node{i}", cmd, self.dir)
                self.procs.append(p)
                # "event=listen listener=http addr=...", or an older binary's
                # "http listening on ..." (as bench/chat.py reads them)
                port = wait_line(p.out_path, lambda l: int(l.rsplit(":", 1)[1])
                                 if (" listener=http addr=127.0.0.1:" in l or
                                     " http listening on 127.0.0.1:" in l) else None,
                                 p.proc, p.name)
                wait_line(p.out_path, lambda l: "event=ready" in l or " ready" in l, p.proc,
                          p.name)
                if rport:
                    wait_line(p.out_path, lambda l: "event=cluster_up" in l, p.proc, p.name)
                self.ports.append(port)
                self.servers.append(p)
            if rport:   # every node has heard every other
                for p in self.servers:
                    wait_line(p.out_path, lambda l, p=p: sum(
                        1 for x in open(p.out_path) if "cluster_peer_seen" in x) >= self.nodes - 1,
                        p.proc, p.name)
        elif self.kind == "ngircd":
            pa, pb = chat.free_port(), chat.free_port()
            p = Proc("ngircd-linked", ["bash", os.path.join(PEERS, "ngircd-linked.sh"), str(pa),
                                       str(pb), os.path.join(self.dir, "irc")], self.dir)
            self.procs.append(p)
            kv = wait_line(p.out_path, lambda l: dict(t.split("=", 1) for t in l.split()[2:])
                           if l.startswith("ready ") else None, p.proc, "ngircd-linked")
            self.ports = [int(x) for x in kv["ports"].split(",")]
            for i, pid in enumerate(kv["pids"].split(",")):
                self.servers.append(type("P", (), {"name": f"ngircd{i}", "pid": int(pid)})())
        elif self.kind == "sio":
            rport = self._redis()
            for i in range(self.nodes):
                port = chat.free_port()
                p = Proc(f"sio{i}", ["node", os.path.join(PEERS, "sio-redis.mjs"), str(port),
                                     str(rport)], self.dir)
                self.procs.append(p)
                wait_line(p.out_path, lambda l: l.startswith("ready sio"), p.proc, p.name)
                self.ports.append(port)
                self.servers.append(p)
        else:
            raise ValueError(self.kind)

    def cpu(self):
        out = {s.name: chat.proc_stat(s.pid)["cpu_s"] for s in self.servers}
        if self.redis:
            out["redis"] = chat.proc_stat(self.redis.pid)["cpu_s"]
        return out

    def stop(self):
        for p in reversed(self.procs):
            p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def generate(cmd, mark):
    """Run chatload (cmd) on GEN_CPU, calling mark(NAME) at each of its MARK lines.
    Returns its RESULT (or None), its PORTS, its last lines and its stderr; the
    generator is killed if anything fails on the way."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=chat.pin(GEN_CPU))
    try:
        result, ports, lines = None, {}, []
        for line in p.stdout:
            lines.append(line.rstrip())
            if line.startswith("MARK "):
                mark(line.split()[1])
            elif line.startswith("RESULT "):
                result = chat.parse_result(line)
            elif line.startswith("PORTS "):
                ports = chat.parse_result(line)
        err = p.stderr.read()
        p.wait()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return result, ports, lines[-20:], err


def run_once(kind, nodes, n, args, db):
    s = Setup(kind, nodes, n, db if kind == "carrier" else None)
    try:
        # ngIRCd's compressed server link breaks during a login burst ("Compression
        # error!" in its log) and links again some 10 s later: measure after that.
        proto = {"carrier": [], "ngircd": ["-P", "irc", "-c", "8", "--warmup", "20"],
                 "sio": ["-P", "sio"]}[kind]
        cmd = [chat.CHATLOAD, "-q", "--ports", ",".join(map(str, s.ports)), "-n", str(n)] + proto + args
        marks = {}

        def mark(name):
            marks[name] = s.cpu()
        result, ports, lines, err = generate(cmd, mark)
        if result is None or "start" not in marks or "stop" not in marks:
            raise RuntimeError("chatload: no result\n" + "\n".join(lines[-20:]) + err)
        result.update(ports)
        cpu = {k: marks["stop"][k] - marks["start"][k] for k in marks["stop"]}
        result["cpu"] = cpu
        per_node = []
        for i, srv in enumerate(s.servers):
            d = result.get(f"delivered_{i}", result["delivered"] if len(s.servers) == 1 else 0)
            per_node.append(1e6 * cpu[srv.name] / d if d else 0)
        result["cpu_s_per_million_per_node"] = per_node
        result["redis_cpu_s"] = cpu.get("redis", 0)
        total = sum(cpu.values())
        result["deliveries_per_cpu_s"] = result["delivered"] / total if total else 0
        result["redis_cpu_pct"] = 100 * result["redis_cpu_s"] / max(result["measured_s"], 1e-9)
        return result
    finally:
        s.stop()


SETUPS = [("carrier", 1), ("carrier", 2), ("carrier", 3), ("ngircd", 2), ("sio", 2)]

IR_SENDERS, IR_RATE, IR_SECONDS = 6, 20, 10   # 6: as many senders on every node


def ir_run(nodes, callers, db):
    """Ir of node 0 over the measured window alone, and the deliveries to its callers
    in it.  Node 0 runs under callgrind with instrumentation off; it is switched on at
    the generator's MARK start (every caller in the room, warmed up) and off at MARK
    stop, so logins, joins and teardown (whose cost varies with the order callers
    arrive in) are not counted."""
    import re
    out = os.path.join(chat.CACHE, f"cluster-ir-{nodes}.out")
    s = Setup("carrier", nodes, callers, db, callgrind=out)
    try:
        cmd = [chat.CHATLOAD, "-q", "--ports", ",".join(map(str, s.ports)), "-n", str(callers),
               "-m", str(IR_SENDERS), "-r", str(IR_RATE), "-d", str(IR_SECONDS), "--warmup", "1",
               "-t", "600", "-c", "8"]

        def mark(name):
            # callgrind takes the command at its next poll, a few ms late at both
            # ends of a 10 s window
            subprocess.run(["callgrind_control", "-i", "on" if name == "start" else "off",
                            str(s.servers[0].pid)], check=True, capture_output=True)
        res, ports, lines, err = generate(cmd, mark)
        if not res or res.get("in_room") != callers:
            raise RuntimeError("ir run: " + "\n".join(lines[-20:]) + err[-500:])
    finally:
        s.stop()
    with open(out) as f:
        ir = int(re.search(r"^totals: (\d+)", f.read(), re.M).group(1))
    return ir, ports.get("delivered_0", res["delivered"])


def ir_main(callers, repeats, db):
    """Median of `repeats` runs for each cluster size, interleaved: a checkpoint of
    the SQLite file that follows the logins falls in some windows and not others."""
    runs = {1: [], 2: [], 3: []}
    for _ in range(repeats):
        for nodes in (1, 2, 3):
            ir, delivered = ir_run(nodes, callers, db)
            runs[nodes].append(ir / delivered)
            print(f"carrier{nodes}: node 0 {ir / delivered:.0f} Ir per delivery to its callers "
                  f"({delivered} deliveries)", flush=True)
    per = {k: statistics.median(v) for k, v in runs.items()}
    for nodes in (1, 2, 3):
        print(f"carrier{nodes}: median {per[nodes]:.0f} Ir per delivery "
              f"(runs: {', '.join(f'{x:.0f}' for x in runs[nodes])})")
    for nodes in (2, 3):
        print(f"ir-per-delivery carrier{nodes}/carrier1={per[nodes] / per[1]:.3f}")
    with open(os.path.join(chat.CACHE, "cluster-ir.json"), "w") as f:
        json.dump({"callers": callers, "median": per, "runs": runs}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--callers", type=int, default=1000)
    ap.add_argument("--only", choices=["latency", "throughput", "matched"],
                    help="matched: every setup at --rate lines/s, a rate the peers sustain")
    ap.add_argument("--rate", type=int, default=500, help="lines/s in all, for --only matched")
    ap.add_argument("--ir", action="store_true", help="instructions per delivery (callgrind)")
    ap.add_argument("--setups", default=",".join(f"{k}{n}" for k, n in SETUPS),
                    help="comma-separated: carrier1,carrier2,carrier3,ngircd2,sio2")
    a = ap.parse_args()
    n = a.callers
    if a.ir:
        ir_main(n, a.repeats, chat.accounts_db(n))
        return
    db = chat.accounts_db(n)
    loads = {
        "latency": ["-m", "10", "-r", "200", "-d", str(a.duration)],
        "throughput": ["-m", "10", "-w", "4", "-d", str(a.duration)],
    }
    if a.only == "matched":
        loads = {"matched": ["-m", "10", "-r", str(a.rate), "-d", str(a.duration)]}
    elif a.only:
        loads = {a.only: loads[a.only]}
    wanted = [(k, int(x)) for k, x in ((s.rstrip("0123456789"), s[len(s.rstrip("0123456789")):])
                                       for s in a.setups.split(","))]
    res = {load: {f"{k}{x}": [] for k, x in wanted} for load in loads}
    for i in range(a.repeats):
        for load, args in loads.items():
            for kind, nodes in wanted:
                name = f"{kind}{nodes}"
                try:
                    r = run_once(kind, nodes, n, args, db)
                except RuntimeError as e:
                    log(f"  {name} {load}: {e}")
                    continue
                res[load][name].append(r)
                log(f"  {load} {name} run {i}: {r['rate']:.0f} deliveries/s, p50 "
                    f"{r['lat_k_median_us'] / 1000:.2f} ms p99 {r['lat_k_p99_us'] / 1000:.2f} ms, "
                    f"across p50 {r.get('lat_x_median_us', 0) / 1000:.2f} p99 "
                    f"{r.get('lat_x_p99_us', 0) / 1000:.2f} ms, CPU-s/M per node "
                    f"{', '.join(f'{x:.2f}' for x in r['cpu_s_per_million_per_node'])}, redis "
                    f"{r['redis_cpu_pct']:.0f}%, deliveries/CPU-s {r['deliveries_per_cpu_s']:.0f}, "
                    f"lost {r['lost']}, in room {r['in_room']}{'' if r['valid'] else ' INVALID'}")
    os.makedirs(chat.CACHE, exist_ok=True)
    with open(os.path.join(chat.CACHE, "cluster.json"), "w") as f:
        json.dump(res, f, indent=1)

    def med(rs, key, idx=None):
        v = [(r[key][idx] if idx is not None else r[key]) for r in rs
             if key in r and (idx is None or idx < len(r[key]))]
        return statistics.median(v) if v else 0

    for load in loads:
        print(f"\n{load} ({n} callers, 10 senders, "
              f"{'as fast as delivered' if load == 'throughput' else str(a.rate if load == 'matched' else 200) + ' lines/s in all'}; "
              f"medians of {a.repeats})")
        print(f"| setup | deliveries/s | p50 ms | p99 ms | across p50 ms | across p99 ms | "
              f"CPU-s per M deliveries, each server | Redis CPU % | deliveries per CPU-s | lost | valid |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for name, rs in res[load].items():
            if not rs:
                print(f"| {name} | (no run) |")
                continue
            nodes = max(len(r["cpu_s_per_million_per_node"]) for r in rs)
            per = ", ".join(f"{med(rs, 'cpu_s_per_million_per_node', i):.2f}" for i in range(nodes))
            x50 = med(rs, "lat_x_median_us") / 1000
            x99 = med(rs, "lat_x_p99_us") / 1000
            print(f"| {name} | {med(rs, 'rate'):.0f} | {med(rs, 'lat_k_median_us') / 1000:.2f} | "
                  f"{med(rs, 'lat_k_p99_us') / 1000:.2f} | {x50:.2f} | {x99:.2f} | {per} | "
                  f"{med(rs, 'redis_cpu_pct'):.0f} | {med(rs, 'deliveries_per_cpu_s'):.0f} | "
                  f"{med(rs, 'lost'):.0f} | {sum(r['valid'] for r in rs)}/{len(rs)} |")


if __name__ == "__main__":
    main()
