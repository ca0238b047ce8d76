#!/usr/bin/env python3
"""Markdown tables from bench/chat.py's results (build/bench/chat-*.json), as pasted
into docs/BENCHMARKS.md.  Usage: bench/chat_report.py [issue6|issue4|issue5|issue3|quick]..."""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "build", "bench")
KINDS = ["carrier", "ngircd", "inspircd", "node-ws", "uws"]
NAMES = {"carrier": "Carrier", "ngircd": "ngircd", "inspircd": "InspIRCd", "node-ws": "Node ws",
         "uws": "uWebSockets"}


def load(name):
    path = os.path.join(CACHE, f"chat-{name}.json")
    with open(path) as f:
        return json.load(f)


def ms(v):
    return "—" if v is None else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def k(v):
    return "—" if v is None else f"{v / 1000:,.0f} k"


def throughput(d):
    t = d["throughput"]
    for size in sorted({key.split("/")[1] for key in t}, key=int):
        print(f"\n{size}-byte lines:\n")
        print("| server | payload | deliveries/s at the limit | lines/s | p50 / p99 / max ms there | "
              "server CPU | CPU-s per M deliveries | next step | Carrier ÷ this |")
        print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
        base = (t.get(f"carrier/{size}") or {}).get("best") or {}
        for kind in KINDS:
            e = t.get(f"{kind}/{size}")
            if not isinstance(e, dict):
                continue
            b = e.get("best") or {}
            fails = [st for st in e["steps"] if st.get("stop") in ("p99>100ms", "loss")]
            above = [st for st in fails if st["rate"] > b.get("rate", 0)]
            if above:
                f = min(above, key=lambda st: st["rate"])
                nxt = (f"{f['rate']}/s: {f['stop']} (p99 {ms(f['p99_ms'])} ms, lost {f['lost']}, "
                       f"in room {f['in_room']})")
            else:
                nxt = f"end of ramp ({e['steps'][-1]['rate']}/s)" if e["steps"] else "—"
            if b.get("stop") == "generator-bound":
                nxt += f"; generator at {b['gen_cpu_pct']} % (INVALID: a lower bound)"
            ratio = (f"{base['deliveries'] / b['deliveries']:.2f}" if b and base and kind != "carrier"
                     else "")
            print(f"| {NAMES[kind]} | {e.get('size', size)} B | {k(b.get('deliveries'))} | "
                  f"{b.get('rate', '—')} | {ms(b.get('p50_ms'))} / {ms(b.get('p99_ms'))} / "
                  f"{ms(b.get('max_ms'))} | {b.get('server_cpu_pct', 0):.0f} % | "
                  f"{b.get('cpu_s_per_M', 0):.2f} | {nxt} | {ratio} |")


def latency(d):
    t = d["latency"]
    keys = sorted({tuple(key.split("/")[1:]) for key in t}, key=lambda x: (int(x[0]), int(x[1])))
    for n, size in keys:
        es = {kind: t.get(f"{kind}/{n}/{size}") for kind in KINDS}
        # entries since --attempts/--join-timeout carry how many got in and how long it took
        joins = any(e and e.get("establish_s") for e in es.values())
        print(f"\n{int(n):,} callers, {size}-byte lines, 200 lines/s in total:\n")
        print("| server | runs | median ms | p99 ms | max ms | lost | server CPU | gen CPU | "
              "INVALID |" + (" in the room (after) |" if joins else ""))
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if joins else ""))
        for kind in KINDS:
            e = es[kind]
            if not e:
                continue
            join = ""
            if joins:
                if e.get("establish_s"):
                    join = " " + ", ".join(f"{i:,} ({s:.0f} s)" for i, s in
                                           zip(e["in_room"], e["establish_s"])) + " |"
                else:
                    join = " – |"
            print(f"| {NAMES[kind]} | {e['runs']} | {ms(e['lat_median_ms'])} | {ms(e['lat_p99_ms'])} | "
                  f"{ms(e['lat_max_ms'])} | {e['lost'] + e['missed']} | {e['server_cpu_pct']:.0f} % | "
                  f"{e['gen_cpu_pct']:.0f} % | {e['invalid']} |" + join)


def idle(d):
    print("\n| server | N | in room | Private_Dirty B/conn | VmRSS B/conn | baseline Private_Dirty |")
    print("|---|---:|---:|---:|---:|---:|")
    slopes = {}
    for kind in KINDS:
        es = [e for e in d["idle"].get(kind, []) if e.get("Private_Dirty_per_conn") is not None]
        if len(es) >= 2:
            a, b = es[0], es[-1]
            slopes[kind] = ((b["Private_Dirty_per_conn"] * b["n"] + b["base_Private_Dirty"]) -
                            (a["Private_Dirty_per_conn"] * a["n"] + a["base_Private_Dirty"])) / (b["n"] - a["n"])
        for e in d["idle"].get(kind, []):
            pd = e.get("Private_Dirty_per_conn")
            rss = e.get("VmRSS_per_conn")
            print(f"| {NAMES[kind]} | {e['n']:,} | {e['in_room']:,} | "
                  f"{'—' if pd is None else f'{pd:,.0f}'} | {'—' if rss is None else f'{rss:,.0f}'} | "
                  f"{(e.get('base_Private_Dirty') or 0) / 1e6:.1f} MB |")
    if slopes:
        print("\nMarginal Private_Dirty per caller, between the two readings: " +
              ", ".join(f"{NAMES[k]} {v:,.0f} B" for k, v in slopes.items()) + ".")


def storm(d):
    print("\n| server | run | all 3,000 in after | failed | settled after the drop | "
          "peak RSS | RSS before | RSS after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        for i, e in enumerate(d["storm"].get(kind, [])):
            s = e.get("settle_after_drop_s")
            print(f"| {NAMES[kind]} | {i + 1} | {e['join_s']:.2f} s | {e['failed']} | "
                  f"{'—' if s is None else f'{s:.2f} s'} | {e['peak_rss'] / 1e6:.1f} MB | "
                  f"{e['base_rss'] / 1e6:.1f} MB | {e['rss_after'] / 1e6:.1f} MB |")


def slow(d):
    print("\n| server | line | slow readers | others' p50 / p99 / max ms | lost | missed | in room at end | "
          "RSS first → last (peak) | server CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        e = d["slow"].get(kind)
        if not e:
            continue
        for label in ("none", "10pct"):
            r = e[label]
            print(f"| {NAMES[kind]} | {e.get('size', 64)} B | {'0' if label == 'none' else '10 %'} | "
                  f"{ms(r['lat_median_us'] / 1000)} / {ms(r['lat_p99_us'] / 1000)} / "
                  f"{ms(r['lat_max_us'] / 1000)} | {r['lost']} | {r['missed']} | {r['in_room']} | "
                  f"{r['rss_first'] / 1e6:.1f} → {r['rss_last'] / 1e6:.1f} "
                  f"({r['rss_peak'] / 1e6:.1f}) MB | {r.get('server_cpu_pct', 0):.0f} % |")


def issue6():
    d = load("issue6")
    for part, fn in (("throughput", throughput), ("latency", latency), ("idle", idle),
                     ("storm", storm), ("slow", slow)):
        if d.get(part):
            print(f"\n### {part}")
            fn(d)


def simple(name):
    d = load(name)
    print(f"\n### {name}\n")
    print("| | deliveries/s | median | p99 | max | lost | server CPU | gen CPU | INVALID |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, e in d.items():
        if not isinstance(e, dict):
            print(f"| {label} | {e} |")
            continue
        if "lat_median_us" in e:
            lat = (f"{e['lat_median_us']:.0f} µs", f"{e['lat_p99_us']:.0f} µs", f"{e['lat_max_us']:.0f} µs")
        else:
            lat = (f"{e['lat_median_ms']:.1f} ms", f"{e['lat_p99_ms']:.1f} ms", f"{e['lat_max_ms']:.1f} ms")
        print(f"| {label} | {e['rate']:,.0f} | {lat[0]} | {lat[1]} | {lat[2]} | "
              f"{e['lost'] + e['missed']} | {e['server_cpu_pct']:.0f} % | {e['gen_cpu_pct']:.0f} % | "
              f"{e['invalid']} of {e['runs']} |")


def main():
    for name in sys.argv[1:] or ["issue6"]:
        issue6() if name == "issue6" else simple(name)


if __name__ == "__main__":
    main()
