"""The table of docs/performance.md ("Realtime API") from scripts/bench-api's JSON lines.

    python table.py target/bench-api.jsonl
"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
idle = next(r for r in rows if r["label"] == "skyspy-idle")
print("| N | server | delivered msg/s | p50 / p99 ms | server CPU s (user / sys) | msg per server CPU-s | RSS MB (before clients) | RSS per client |")
print("|---|---|---|---|---|---|---|---|")
by_n = {}
for r in rows:
    if r["label"] == "skyspy-idle":
        continue
    cpu = r["server_cpu_s"]
    note = ""
    if r["label"] == "skyspy":
        cpu -= idle["server_cpu_per_s"] * r["seconds"]
        note = " (API)"
    # Each server's RSS with no client connected, measured just before the clients came.
    base_kb = r.get("server_rss_before_mb", 0) * 1024
    per_cpu = r["messages"] / cpu if cpu > 0 else 0
    per_client_kb = (r["server_peak_rss_mb"] * 1024 - base_kb) / r["clients"]
    by_n.setdefault(r["clients"], {})[r["label"]] = per_cpu
    lat = r["latency_ms"]
    print(f"| {r['clients']:,} | {r['label']} | {r['messages_per_s']:,.0f} | {lat['p50']} / {lat['p99']} | "
          f"{cpu:.2f}{note} ({r.get('server_user_s', 0):.2f} / {r.get('server_sys_s', 0):.2f}) | "
          f"{per_cpu:,.0f} | {r['server_peak_rss_mb']:.0f} ({r.get('server_rss_before_mb', 0):.0f}) | {per_client_kb:.0f} kB |")
print()
for n, v in sorted(by_n.items()):
    if "skyspy" in v and "node" in v and v["node"] > 0:
        print(f"N = {n:,}: skyspy / Node messages per server CPU-second = {v['skyspy'] / v['node']:.2f}x")
