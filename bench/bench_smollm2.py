"""SmolLM2-135M (MG_SANDBOX_MODEL=smollm2): tokens per second, time to the first token, the
process's memory, and the gateway's reply time with grounding, side by side with the template
engine. Needs scripts/local-llm; without it, says so and exits 0 (so bench/run still runs)."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.gateway_process import running_gateway  # noqa: E402

OUT = ROOT / ".bench-out"
BROKK = "You are Brokk, a grumpy dwarf blacksmith in Emberfall. You sell swords and axes."
QUESTIONS = [
    "What is your forge like?",
    "Tell me about the town.",
    "Why are you so grumpy today?",
    "What makes a good axe?",
    "Have you seen any travellers lately?",
    "What do you do when the forge is cold?",
]


def model_figures(runs: int) -> dict[str, float]:
    from llama_cpp import Llama

    from local_gateway.providers.sandbox.small_model import REPEAT_PENALTY, packaged_gguf

    started = time.perf_counter()
    llama = Llama(model_path=str(packaged_gguf()), n_ctx=2048, n_threads=1, seed=0, verbose=False)
    load = time.perf_counter() - started
    firsts, rates = [], []
    for i in range(runs):
        llama.reset()
        messages = [{"role": "system", "content": BROKK}, {"role": "user", "content": QUESTIONS[i % 6]}]
        t0, first, count = time.perf_counter(), None, 0
        for chunk in llama.create_chat_completion(
            messages=messages, temperature=0.0, top_k=1, repeat_penalty=REPEAT_PENALTY, max_tokens=80,
            stream=True, seed=0,
        ):  # fmt: skip
            if chunk["choices"][0]["delta"].get("content"):
                first = first or time.perf_counter() - t0
                count += 1
        elapsed = time.perf_counter() - t0
        firsts.append(first or elapsed)
        rates.append(count / elapsed)
    return {
        "load_s": round(load, 2),
        "first_token_ms_p50": round(statistics.median(firsts) * 1000, 1),
        "tokens_per_s_p50": round(statistics.median(rates), 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def gateway_figures(engine: str, runs: int) -> dict[str, float]:
    env = {"MG_SANDBOX_MODEL": engine}
    with tempfile.TemporaryDirectory() as tmp, running_gateway(Path(tmp), extra_env=env) as gw:
        key = gw.create_key()["api_key"]
        times = []
        with gw.client(key) as client:
            for i in range(runs):
                turn = [{"role": "system", "content": BROKK}, {"role": "user", "content": QUESTIONS[i % 6]}]
                body = {"model": "deepseek-chat", "max_tokens": 80, "messages": turn}
                t0 = time.perf_counter()
                client.post("/v1/chat/completions", json=body).raise_for_status()
                times.append(time.perf_counter() - t0)
    return {
        "reply_ms_p50": round(statistics.median(times) * 1000, 1),
        "reply_ms_max": round(max(times) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args()
    try:
        import llama_cpp  # noqa: F401

        from local_gateway.providers.sandbox.small_model import packaged_gguf

        packaged_gguf()
    except Exception as exc:
        print(f"smollm2: not installed ({exc}); scripts/local-llm installs it")
        return
    results = {"model": model_figures(args.runs)}
    for engine in ("template", "smollm2"):
        results[engine] = gateway_figures(engine, args.runs)
    print(json.dumps(results, indent=2))
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"smollm2-{stamp}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
