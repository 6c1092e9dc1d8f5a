"""NPC memory benchmark: prompt assembly on a 10,000-message thread, and export throughput.

In-process against a real database (temporary SQLite by default, ``--pg URL`` for PostgreSQL):

- ``prepare``: what a chat completion with ``npc_id`` does before calling the model — find the
  thread, read the running summary and the newest window, update the recall index, embed the
  player's words, score the memories, assemble the prompt. Measured cold (first request of the
  process: the recall index is read whole) and warm, with recall hits and misses mixed.
- ``own template``: the same without a thread, for a template of the studio's own (its current
  version is read from the database on every request).
- ``export``: JSONL export of 100,000 messages (10 threads), in messages/s, with the peak of
  Python memory allocated during the export (flat memory: independent of the export's size).

Run: ``bench/run npc [--quick] [--pg URL] [--embedder minilm|hashed]`` (or
``.venv/bin/python bench/bench_npc.py``); the embedder defaults to the default install's MiniLM.
Target: prepare p50 <= 20 ms. Prints a table and writes .bench-out/npc-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_gateway.providers.embedders import local_embedder  # noqa: E402
from local_gateway.providers.minilm import MiniLMEmbedder  # noqa: E402
from local_gateway.providers.registry import ProviderRegistry  # noqa: E402
from local_gateway.services.accounts.keys import KeyService  # noqa: E402
from local_gateway.services.billing.context import RequestContext  # noqa: E402
from local_gateway.services.core.clock import Clock  # noqa: E402
from local_gateway.services.inference.catalog import load_catalog  # noqa: E402
from local_gateway.services.inference.params import parse_chat  # noqa: E402
from local_gateway.services.jobs import JobQueue  # noqa: E402
from local_gateway.services.npc.conversation import ConversationService  # noqa: E402
from local_gateway.services.npc.export import ExportService  # noqa: E402
from local_gateway.services.npc.folding import Folder  # noqa: E402
from local_gateway.services.npc.memory import RecallCache  # noqa: E402
from local_gateway.services.npc.params import ExportSpec, ThreadSpec  # noqa: E402
from local_gateway.services.npc.recorder import TurnRecorder  # noqa: E402
from local_gateway.services.npc.studio_templates import TemplateService  # noqa: E402
from local_gateway.services.npc.template_params import parse_template  # noqa: E402
from local_gateway.services.npc.templates import load_templates  # noqa: E402
from local_gateway.services.npc.threads import ThreadService  # noqa: E402
from local_gateway.store.db import Database  # noqa: E402
from local_gateway.store.migrate import upgrade_async  # noqa: E402

OUT = ROOT / ".bench-out"
TARGET_P50_MS = 20.0
PLACES = ["north road", "river ford", "old mill", "ruined keep", "market square", "shrine of Ael"]
TOPICS = ["weather", "wolves", "the harvest", "a missing cart", "the baron's tax", "strange lights"]
QUERIES = [
    "Where did my sister Elowen hide the silver key?",  # called for by an early memory
    "What did we talk about at the ruined keep?",
    "Shall we rest here tonight?",  # calls for nothing in particular
    "Tell me again about the wolves near the river ford.",
]


def history(n: int, seed: int = 0) -> list[dict[str, str]]:
    out = [
        {"role": "user", "content": "Listen well: my sister Elowen hid the silver key under the old mill."},
        {"role": "assistant", "content": "Elowen, the silver key, the old mill. I will remember."},
    ]
    for i in range(2, n):
        place, topic = PLACES[(i + seed) % len(PLACES)], TOPICS[(i * 7 + seed) % len(TOPICS)]
        if i % 2 == 0:
            out.append(
                {"role": "user", "content": f"Day {i // 2}: at the {place}, what do you make of {topic}?"}
            )
        else:
            out.append(
                {
                    "role": "assistant",
                    "content": f"The {place} again. {topic.capitalize()}, I'd say, is an ill omen.",
                }
            )
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="mg-bench-npc-"))
    url = args.pg or f"sqlite:///{tmp / 'bench.db'}"
    await upgrade_async(url)
    db = Database(url)
    clock = Clock()
    templates = TemplateService(db, clock, load_templates(), load_catalog())
    embedder = local_embedder(args.embedder)
    if isinstance(embedder, MiniLMEmbedder) and not embedder.warm():
        raise SystemExit(f"all-MiniLM-L6-v2 did not load: {embedder.failure}")
    recall = RecallCache(embedder.dimensions)
    recorder = TurnRecorder(db, clock, embedder)
    threads = ThreadService(db, clock, templates, recorder, recall)
    folder = Folder(db, clock, embedder, JobQueue(db, clock))
    conversations = ConversationService(db, clock, templates, threads, recorder, embedder, recall, folder)
    exporter = ExportService(db, templates)
    model = load_catalog().get("deepseek-chat")
    assert model is not None
    principal = await KeyService(db, clock).create_key("bench@example.com", tier="studio")
    from local_gateway.services.accounts.keys import Principal

    me = Principal(principal.key, principal.developer)
    ctx = RequestContext(me, "bench", "/v1/chat/completions")
    upstreams = ProviderRegistry({}, lambda: None).for_caller(me)  # type: ignore[arg-type,return-value]
    size = 2_000 if args.quick else 10_000
    results: dict[str, object] = {
        "database": "postgresql" if args.pg else "sqlite",
        "messages": size,
        "embedder": embedder.name,
    }

    # -- seed: one long thread, folded as the gateway folds it ---------------------------------
    started = time.perf_counter()
    thread = await threads.create(
        me, ThreadSpec(npc_id="chronicler", player_id="p1", npc_template="companion")
    )
    msgs = history(size)
    for i in range(0, len(msgs), 1000):
        await threads.append(me, thread.id, msgs[i : i + 1000])
    thread = await threads.get(me.developer_id, thread.id)
    await folder.fold(thread, "", None)
    results["seed_s"] = round(time.perf_counter() - started, 2)

    # -- prepare --------------------------------------------------------------------------------
    def params(text: str):  # type: ignore[no-untyped-def]
        return parse_chat(
            {
                "model": "deepseek-chat",
                "npc_id": "chronicler",
                "player_id": "p1",
                "messages": [{"role": "user", "content": text}],
            }
        )

    recall.drop(thread.id)
    t0 = time.perf_counter()
    first = await conversations.prepare(ctx, params(QUERIES[0]), model, upstreams)
    cold_ms = (time.perf_counter() - t0) * 1000
    samples, recalled = [], 0
    rounds = 100 if args.quick else 400
    for i in range(rounds):
        t0 = time.perf_counter()
        conv = await conversations.prepare(ctx, params(QUERIES[i % len(QUERIES)]), model, upstreams)
        samples.append((time.perf_counter() - t0) * 1000)
        recalled += conv.recalled
    results["prepare"] = {
        "cold_ms": round(cold_ms, 2),
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(pct(samples, 0.99), 2),
        "prompt_messages": len(first.messages),
        "window": first.window_size,
        "recalled_per_request": round(recalled / rounds, 2),
        "first_query_recalled": first.recalled,
        "target_p50_ms": TARGET_P50_MS,
    }

    # -- a studio's own template, no thread: the template is read from the database each time ---
    await templates.create(
        me,
        parse_template(
            {"id": "iron_smith", "name": "Iron Smith", "system_prompt": "You are a dwarven smith."}
        ),
    )
    own = []
    for i in range(rounds):
        body = {"model": "deepseek-chat", "npc_template": "iron_smith",
                "messages": [{"role": "user", "content": QUERIES[i % len(QUERIES)]}]}  # fmt: skip
        t0 = time.perf_counter()
        await conversations.prepare(ctx, parse_chat(body), model, upstreams)
        own.append((time.perf_counter() - t0) * 1000)
    results["prepare_own_template"] = {
        "p50_ms": round(statistics.median(own), 2),
        "p99_ms": round(pct(own, 0.99), 2),
    }

    # -- export ----------------------------------------------------------------------------------
    per_thread = 1_000 if args.quick else 10_000
    for t in range(9):
        extra = await threads.create(me, ThreadSpec(npc_id=f"villager_{t}", player_id="p1"))
        batch = history(per_thread, seed=t + 1)
        for i in range(0, len(batch), 1000):
            await threads.append(me, extra.id, batch[i : i + 1000])
    total = size + 9 * per_thread
    t0 = time.perf_counter()
    written = lines = 0
    async for chunk in exporter.stream(me, ExportSpec(format="jsonl")):
        written += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - t0
    # Memory in a second pass: tracing allocations slows Python several times over.
    tracemalloc.start()
    async for _chunk in exporter.stream(me, ExportSpec(format="jsonl")):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["export"] = {
        "messages": total,
        "lines": lines,
        "seconds": round(elapsed, 2),
        "messages_per_s": round(total / elapsed),
        "mb_written": round(written / 1e6, 1),
        "peak_python_mb": round(peak / 1e6, 1),
    }
    await db.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000-message thread, 11,000-message export")
    parser.add_argument("--pg", help="PostgreSQL URL of an empty database (default: temporary SQLite)")
    parser.add_argument(
        "--embedder",
        choices=("minilm", "hashed"),
        default="minilm",
        help="the default install's all-MiniLM-L6-v2 (default) or the hashed n-grams",
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    results["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    prep, exp = results["prepare"], results["export"]
    assert isinstance(prep, dict) and isinstance(exp, dict)
    db = f"{results['database']}, thread of {results['messages']} messages (seeded in {results['seed_s']} s)"
    verdict = "ok" if prep["p50_ms"] <= TARGET_P50_MS else "OVER TARGET"
    rows = [
        ("database", db),
        ("prepare cold", f"{prep['cold_ms']:.2f} ms (reads the whole recall index)"),
        (
            "prepare p50 / p99",
            f"{prep['p50_ms']:.2f} / {prep['p99_ms']:.2f} ms (p50 <= {TARGET_P50_MS}: {verdict})",
        ),
        (
            "own template",
            "{p50_ms:.2f} / {p99_ms:.2f} ms (no thread: a template of the studio's, read each time)".format(
                **results["prepare_own_template"]  # type: ignore[arg-type]
            ),
        ),
        (
            "prompt",
            f"{prep['prompt_messages']} messages, window {prep['window']}, "
            f"recalled {prep['recalled_per_request']} a request",
        ),
        ("export", f"{exp['messages']} messages in {exp['seconds']} s = {exp['messages_per_s']} messages/s"),
        ("export size", f"{exp['lines']} lines, {exp['mb_written']} MB"),
        ("export memory", f"peak {exp['peak_python_mb']} MB of Python allocations"),
    ]
    for name, value in rows:
        print(f"{name:<20}{value}")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"npc-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
