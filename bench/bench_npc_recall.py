"""NPC memory evaluation: the scripted 30-turn suite played through a real gateway.

Plays every conversation of ``tests/data/npc_recall_suite.json`` against a test key (the offline
sandbox model) through ``POST /v1/threads/{id}/speak``, twice: with the default history window
(40 messages: the whole conversation is in the prompt) and with a window of 6 messages, where a
fact stated 20 turns earlier reaches the model only through the running summary and recall.

Reports, per window: fact-recall rate (recall turns whose reply holds the stated fact),
self-contradiction rate (repeated price / promise answers naming another figure, plus identity
answers without the NPC's own name, over all such checks), and topics acknowledged.

Run: ``bench/run npc_recall [--verbose]``. Writes .bench-out/npc-recall-*.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.gateway_process import running_gateway  # noqa: E402
from tests.support.npc_suite import Score, load_suite, play, score_conversation, thread_body  # noqa: E402

OUT = ROOT / ".bench-out"
WINDOWS = {"window 40 (default)": None, "window 6": "6"}


def run_window(window: str | None, verbose: bool) -> Score:
    extra = {"MG_NPC_WINDOW_MESSAGES": window} if window else {}
    total = Score()
    with tempfile.TemporaryDirectory() as tmp, running_gateway(Path(tmp), extra_env=extra) as gw:
        key = gw.create_key(tier="studio")["api_key"]
        with gw.client(key) as client:

            def speak(thread_id: str, text: str) -> str:
                r = client.post(
                    f"/v1/threads/{thread_id}/speak", json={"messages": [{"role": "user", "content": text}]}
                )
                r.raise_for_status()
                return str(r.json()["choices"][0]["message"]["content"] or "")

            for conversation in load_suite():
                made = client.post("/v1/threads", json=thread_body(conversation, "bench-player"))
                made.raise_for_status()
                replies = play(conversation, made.json()["id"], speak)
                score = score_conversation(conversation, replies)
                if verbose:
                    for turn, reply in zip(conversation["turns"], replies, strict=True):
                        print(f"  [{turn['check']}] {turn['say']}\n      -> {reply}")
                total.add(score)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every turn and the misses")
    args = parser.parse_args()
    results = {}
    print(f"{'':22} {'fact recall':>12} {'contradiction':>14} {'topics':>8}")
    for label, window in WINDOWS.items():
        score = run_window(window, args.verbose)
        results[label] = score.as_dict()
        topics = f"{score.topics_hit}/{score.topics}"
        print(
            f"{label:22} {score.recall_rate:>11.1%} {score.contradiction_rate:>13.1%} {topics:>8}"
            f"   ({score.recalled}/{score.recalls} recalled, "
            f"{score.contradictions + score.identity_wrong}/{score.repeats + score.identities} contradicted)"
        )
        if args.verbose:
            print("\n".join(f"  miss: {m}" for m in score.misses))
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"npc-recall-{stamp}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
