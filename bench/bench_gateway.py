"""Gateway benchmark: direct upstream vs bare pass-through vs the mg gateway (vs peers).

One run starts the fake upstream, the bare aiohttp pass-through and a real ``python -m
local_gateway serve`` (temp SQLite data dir, a live studio key, access log on, request log with
group commit, cost and credit on) and measures them phase by phase, side by side:

- sequential latency (one connection): non-stream p50/p99, and time to the first chunk of a
  stream whose upstream paces its chunks 1 ms apart;
- 16 requests in flight: req/s, p50/p99, server CPU per request, for non-stream and stream;
- peak RSS of each server (sampled), and the gateway's RSS after 10k and after 100k requests.

``--peers`` adds Portkey's gateway (npm) and LiteLLM's proxy (own venv, no database) against the
same upstream; they are installed under .bench-out/peers on first use.

Run: ``bench/run gateway [--peers] [--quick]``. Prints a table, writes .bench-out/gateway-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import procs
from procs import PY, ROOT, Server, loadgen

OUT = ROOT / ".bench-out"
MESSAGES = [
    {"role": "system", "content": "You are Brokk, a grumpy dwarf blacksmith in a fantasy RPG."},
    {"role": "user", "content": "Can you forge me a legendary sword before the winter festival?"},
]
BODY = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES, "max_tokens": 64})
STREAM = json.dumps(
    {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
)
PACED = json.dumps({**json.loads(STREAM), "user": "pace:1"})
UPSTREAM_KEY = "sk-bench-upstream"

TARGETS = {
    "seq_added_ms": 1.0,
    "cpu_vs_passthrough": 2.5,
    "rps_vs_portkey": 2.0,
    "rps_vs_passthrough": 0.40,
    "p99_ms": 20.0,
    "first_chunk_added_ms": 1.0,
    "rss_mib": 100.0,
}


def start_upstream(run_dir: Path) -> Server:
    ready = run_dir / "upstream.json"
    return procs.start("upstream", [PY, str(procs.BENCH / "upstream.py"), "--ready-file", str(ready)],
                       run_dir, ready_file=ready)  # fmt: skip


def start_passthrough(run_dir: Path, upstream: Server, uvloop: bool) -> Server:
    ready = run_dir / "passthrough.json"
    argv = [PY, str(procs.BENCH / "passthrough.py"), "--upstream", f"http://127.0.0.1:{upstream.port}"]
    argv += ["--ready-file", str(ready)] + (["--uvloop"] if uvloop else [])
    return procs.start("passthrough", argv, run_dir, ready_file=ready)


def gateway_env(
    data_dir: Path, upstream: Server, uvloop: bool, semantic: bool = False, cache_dir: Path | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MG_", "OPENAI_"))}
    if cache_dir is not None:  # else the default (platformdirs' user cache), shared by checkouts
        env["MG_CACHE_DIR"] = str(cache_dir)
    env.update(
        MG_DATA_DIR=str(data_dir),
        MG_OPENAI_BASE_URL=f"http://127.0.0.1:{upstream.port}/v1",
        MG_OPENAI_API_KEY=UPSTREAM_KEY,
        MG_BOOTSTRAP="0",
        MG_SAVE_BOOTSTRAP_KEY="0",
        MG_ACCESS_LOG="1",
        MG_UVLOOP="1" if uvloop else "0",
        # The MiniLM embedder (test-key embeddings, NPC memory, Monster-GPT's layer) is loaded at
        # start by default; the benchmarked path does not use it, so the plain row runs without
        # it. --semantic adds a row with the model loaded and Monster-GPT's layer on.
        MG_CLASSIFIER_SEMANTIC="auto" if semantic else "off",
        MG_EMBEDDER="auto" if semantic else "hashed",
    )
    return env


def start_gateway(
    run_dir: Path,
    upstream: Server,
    name: str,
    uvloop: bool,
    semantic: bool = False,
    root: Path = ROOT,
    cache_dir: Path | None = None,
) -> Server:
    """``python -m local_gateway serve`` from the source tree ``root`` (another checkout with
    ``--baseline``: its packages come first on the path, this venv's libraries serve both)."""
    data_dir = run_dir / f"{name}-data"
    env = gateway_env(data_dir, upstream, uvloop, semantic, cache_dir)
    if root != ROOT:
        env["PYTHONPATH"] = str(root)
    created = subprocess.run(
        [PY, "-m", "local_gateway", "admin", "create-key", "--email", "bench@example.com", "--live",
         "--tier", "studio", "--rpm", "100000000", "--json"],
        env=env, capture_output=True, text=True, check=True, cwd=root,
    )  # fmt: skip
    api_key = json.loads(created.stdout)["api_key"]
    ready = run_dir / f"{name}.json"
    server = procs.start(
        name,
        [PY, "-m", "local_gateway", "serve", "--port", "0", "--ready-file", str(ready)],
        run_dir,
        env=env,
        ready_file=ready,
        cwd=root,
    )
    server.headers = [f"Authorization: Bearer {api_key}"]
    return server


def start_primed_gateway(
    run_dir: Path, upstream: Server, name: str, uvloop: bool, semantic: bool = False, root: Path = ROOT
) -> Server:
    """A gateway with a cache directory of its own, filled by a first start and stop: the measured
    start finds Monster-GPT's caches, as a user's every start after the first does. (In the shared
    user cache, the tree and its baseline would overwrite each other's and both start cold.)"""
    cache = run_dir / f"{name}-cache"
    start_gateway(run_dir, upstream, f"{name}-priming", uvloop, semantic, root, cache).stop()
    return start_gateway(run_dir, upstream, name, uvloop, semantic, root, cache)


def measure(servers: list[Server], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Phase by phase, every server in turn, so that machine noise hits them alike.

    With ``--rounds N`` every phase runs N times per server (interleaved) and the run with the
    median req/s is kept, which tames a noisy (shared) machine without favouring anyone.
    """
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {s.name: {} for s in servers}
    quick = args.quick
    phases = [
        ("seq", BODY, {"connections": 1, "requests": 300 if quick else args.seq, "warmup": 300}),
        ("first_chunk", PACED, {"connections": 1, "requests": 50 if quick else 300, "warmup": 20}),
        ("load", BODY, {"connections": 16, "duration": 2.0 if quick else args.duration, "warmup": 500}),
        ("stream", STREAM, {"connections": 16, "duration": 2.0 if quick else args.duration, "warmup": 500}),
    ]
    for round_ in range(1 if quick else args.rounds):
        for phase, body, opts in phases:
            for server in servers:
                run_opts = dict(opts)
                if server.name == "litellm" and run_opts.get("requests"):  # ~30 ms a request
                    run_opts["requests"] = min(int(run_opts["requests"]), 200)
                    run_opts["warmup"] = min(int(run_opts["warmup"]), 20)
                label = f"{phase} #{round_ + 1}" if args.rounds > 1 else phase
                print(f"  {label:<14} {server.name:<16}", end="", flush=True, file=sys.stderr)
                result = loadgen(server, body, **run_opts)
                print(f" {result['rps']:>9} req/s  p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms",
                      file=sys.stderr)  # fmt: skip
                bad = {k: v for k, v in dict(result["statuses"]).items() if k != "200"}
                if bad or result["errors"]:
                    print(f"    non-200 answers: {bad}, errors: {result['errors']}", file=sys.stderr)
                if sum(bad.values()) + int(result["errors"]) > int(result["requests"]) // 2:
                    result["failed"] = f"HTTP {', '.join(bad) or 'errors'}"
                    result["server_error"] = last_error(server)
                runs[server.name].setdefault(phase, []).append(result)
    results: dict[str, dict[str, Any]] = {}
    for name, phases_run in runs.items():
        results[name] = {}
        for phase, attempts in phases_run.items():
            ranked = sorted(attempts, key=lambda r: r["rps"])
            chosen = dict(ranked[len(ranked) // 2])
            if len(attempts) > 1:
                chosen["rounds_rps"] = [r["rps"] for r in attempts]
            results[name][phase] = chosen
    return results


def last_error(server: Server) -> str | None:
    """The last line of a server's log that names an error (why a peer failed a phase)."""
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line.strip()[:300]
    return None


def soak(server: Server, total: int, checkpoint: int) -> dict[str, Any]:
    """RSS after ``checkpoint`` and after ``total`` requests at 16 in flight (flatness)."""
    first = loadgen(server, BODY, connections=16, requests=checkpoint, duration=0, warmup=0)
    rss_a = server.rss()
    rest = loadgen(server, BODY, connections=16, requests=total - checkpoint, duration=0, warmup=0)
    rss_b = server.rss()
    statuses = [first["statuses"], rest["statuses"]]
    return {
        "requests": total,
        "checkpoint": checkpoint,
        "rss_mib_at_checkpoint": round(rss_a / 2**20, 1),
        "rss_mib_at_end": round(rss_b / 2**20, 1),
        "rps_early": first["rps"],
        "rps_late": rest["rps"],
        "p99_ms_late": rest["p99_ms"],
        "non_200": sum(v for st in statuses for k, v in st.items() if k != "200")
        + first["errors"]
        + rest["errors"],
    }


def table(results: dict[str, dict[str, Any]], servers: list[Server]) -> str:
    base_seq = results["direct"]["seq"]["p50_ms"]
    base_first = results["direct"]["first_chunk"]["first_p50_ms"]
    pt_rps = results["passthrough"]["load"]["rps"]
    head = ("target", "seq p50 (+added)", "seq p99", "req/s @16", "vs bare", "p50 / p99 @16",
            "CPU/req", "stream req/s", "stream p50 / p99", "1st chunk (+added)", "peak RSS")  # fmt: skip
    rows: list[tuple[str, ...]] = [head]
    for server in servers:
        r = results[server.name]
        seq, first, load, stream = r["seq"], r["first_chunk"], r["load"], r["stream"]

        def ok(phase: dict[str, Any], text: str) -> str:
            return f"failed ({phase['failed']})" if phase.get("failed") else text

        name = f"{server.name} {server.version}" if server.version else server.name
        rows.append(
            (
                name,
                ok(seq, f"{seq['p50_ms']:.2f} (+{seq['p50_ms'] - base_seq:.2f}) ms"),
                ok(seq, f"{seq['p99_ms']:.2f} ms"),
                ok(load, f"{load['rps']:,.0f}"),
                ok(load, f"{load['rps'] / pt_rps:.0%}"),
                ok(load, f"{load['p50_ms']:.1f} / {load['p99_ms']:.1f} ms"),
                ok(load, f"{load['server_cpu_us_per_req']:.0f} µs"),
                ok(stream, f"{stream['rps']:,.0f}"),
                ok(stream, f"{stream['p50_ms']:.1f} / {stream['p99_ms']:.1f} ms"),
                ok(first, f"{first['first_p50_ms']:.2f} (+{first['first_p50_ms'] - base_first:.2f}) ms"),
                f"{r['peak_rss_mib']:.0f} MiB",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def verdict(results: dict[str, dict[str, Any]], gw: str) -> list[tuple[str, bool, str]]:
    d, g, pt = results["direct"], results[gw], results["passthrough"]
    added = g["seq"]["p50_ms"] - d["seq"]["p50_ms"]
    first = g["first_chunk"]["first_p50_ms"] - d["first_chunk"]["first_p50_ms"]
    ratio = g["load"]["rps"] / pt["load"]["rps"]
    rss = g["peak_rss_mib"]
    p99, stream_p99 = g["load"]["p99_ms"], g["stream"]["p99_ms"]
    cpu = g["load"]["server_cpu_us_per_req"] / pt["load"]["server_cpu_us_per_req"]
    out = [
        ("+≤1.0 ms p50 sequential", added <= TARGETS["seq_added_ms"], f"+{added:.2f} ms"),
        ("CPU/request ≤ 2.5× bare pass-through", cpu <= TARGETS["cpu_vs_passthrough"], f"{cpu:.1f}×"),
        ("≥40% of bare pass-through req/s", ratio >= TARGETS["rps_vs_passthrough"], f"{ratio:.0%}"),
        ("p99 ≤ 20 ms at 16 in flight", p99 <= TARGETS["p99_ms"], f"{p99:.1f} ms"),
        ("stream p99 ≤ 20 ms at 16 in flight", stream_p99 <= TARGETS["p99_ms"], f"{stream_p99:.1f} ms"),
        ("first chunk +≤1 ms", first <= TARGETS["first_chunk_added_ms"], f"+{first:.2f} ms"),
        ("peak RSS ≤ 100 MiB", rss <= TARGETS["rss_mib"], f"{rss:.0f} MiB"),
    ]  # fmt: skip
    if "portkey" in results and not results["portkey"]["load"].get("failed"):
        vs = g["load"]["rps"] / results["portkey"]["load"]["rps"]
        out.insert(2, ("≥2× Portkey req/s", vs >= TARGETS["rps_vs_portkey"], f"{vs:.1f}×"))
    soaked = g.get("soak")
    if soaked:
        a, b = soaked["rss_mib_at_checkpoint"], soaked["rss_mib_at_end"]
        out.append(("RSS flat 10k→100k (≤ +10%)", b <= a * 1.10, f"{a} → {b} MiB"))
    return out


def start_all(run_dir: Path, args: argparse.Namespace, uvloop_ok: bool) -> tuple[Server, list[Server], dict]:
    upstream = start_upstream(run_dir)
    servers = [Server("direct", upstream.proc, upstream.port, upstream.log_path)]
    peer_notes: dict[str, str] = {}
    try:
        servers.append(start_passthrough(run_dir, upstream, uvloop_ok))
        servers.append(start_primed_gateway(run_dir, upstream, "gateway", uvloop_ok))
        if args.baseline:
            base = start_primed_gateway(run_dir, upstream, "gateway-baseline", uvloop_ok, root=args.baseline)
            servers.append(base)
        if args.asyncio and uvloop_ok:
            servers.append(start_primed_gateway(run_dir, upstream, "gateway-asyncio", False))
        if args.semantic:
            minilm = start_primed_gateway(run_dir, upstream, "gateway-minilm", uvloop_ok, semantic=True)
            servers.append(minilm)
        if args.peers:
            import peers

            for name, starter in (("portkey", peers.start_portkey), ("litellm", peers.start_litellm)):
                try:
                    servers.append(starter(run_dir, upstream.port, UPSTREAM_KEY))
                except Exception as exc:  # a peer that cannot run is reported, not fatal
                    text = str(exc).strip()
                    peer_notes[name] = text.splitlines()[-1][:300] if text else repr(exc)
                    print(f"  {name} unavailable: {peer_notes[name]}", file=sys.stderr)
    except BaseException:
        stop_all(upstream, servers)
        raise
    return upstream, servers, peer_notes


def stop_all(upstream: Server, servers: list[Server]) -> None:
    for server in reversed(servers):
        if server.name != "direct":
            server.stop()
    upstream.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description="mg gateway benchmark (see the module docstring).")
    parser.add_argument("--peers", action="store_true", help="include Portkey and LiteLLM (installs them)")
    parser.add_argument("--quick", action="store_true", help="short runs, no 100k soak (smoke test)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per loaded phase")
    parser.add_argument("--seq", type=int, default=2000, help="sequential requests")
    parser.add_argument("--rounds", type=int, default=1, help="runs per phase; the median is reported")
    parser.add_argument("--soak", type=int, default=100_000, help="requests for the RSS flatness run")
    parser.add_argument(
        "--baseline", type=Path, help="also a gateway from this source tree (e.g. `git archive main`)"
    )
    parser.add_argument("--asyncio", action="store_true", help="also run the gateway without uvloop")
    parser.add_argument("--no-uvloop", action="store_true", help="run gateway and pass-through on asyncio")
    parser.add_argument(
        "--semantic", action="store_true", help="also a gateway with MG_CLASSIFIER_SEMANTIC=auto"
    )
    args = parser.parse_args()
    try:
        import uvloop  # noqa: F401

        uvloop_ok = not args.no_uvloop
    except ImportError:
        uvloop_ok = False
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = OUT / f"run-{stamp}"
    run_dir.mkdir(parents=True)
    upstream, servers, peer_notes = start_all(run_dir, args, uvloop_ok)
    print(f"run dir: {run_dir}", file=sys.stderr)
    try:
        with procs.RssSampler([s for s in servers if s.name != "direct"] + [upstream]):
            results = measure(servers, args)
            if not args.quick and args.soak:
                for server in servers:
                    if server.name.startswith("gateway"):
                        print(f"  soak           {server.name:<16} {args.soak:,} requests", file=sys.stderr)
                        results[server.name]["soak"] = soak(server, args.soak, args.soak // 10)
    finally:
        stop_all(upstream, servers)
    servers[0].peak_rss = upstream.peak_rss  # "direct" is the upstream itself
    for server in servers:
        results[server.name]["peak_rss_mib"] = round(server.peak_rss / 2**20, 1)
        results[server.name]["version"] = server.version
    report = {
        "date": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "uvloop": uvloop_ok,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "results": results,
        "peers_unavailable": peer_notes,
        "targets": {name: {"met": ok, "value": value} for name, ok, value in verdict(results, "gateway")},
    }
    out = OUT / f"gateway-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    (OUT / "gateway-latest.json").write_text(json.dumps(report, indent=2))
    print(f"\nmg gateway benchmark, {os.cpu_count()} CPUs, {stamp}, uvloop={uvloop_ok}")
    print(table(results, servers))
    for name, r in results.items():
        if "soak" in r:
            s = r["soak"]
            print(f"\n{name} soak: RSS {s['rss_mib_at_checkpoint']} MiB after {s['checkpoint']:,} requests, "
                  f"{s['rss_mib_at_end']} MiB after {s['requests']:,}; req/s {s['rps_early']} then "
                  f"{s['rps_late']}, late p99 {s['p99_ms_late']} ms, non-200 {s['non_200']}")  # fmt: skip
    for name, r in results.items():
        for phase, value in r.items():
            if isinstance(value, dict) and value.get("failed"):
                print(f"\n{name} failed {phase}: {value['failed']}; its log: {value.get('server_error')}")
    print("\ntargets:")
    for name, ok, value in verdict(results, "gateway"):
        print(f"  [{'met' if ok else 'MISS'}] {name}: {value}")
    for name, note in peer_notes.items():
        print(f"  {name} not measured: {note}")
    print(f"\nJSON: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
