"""Peer gateways for ``bench_gateway.py --peers``: Portkey's gateway and LiteLLM's proxy.

Both are installed on first use under .bench-out/peers (npm; a venv of its own for LiteLLM, no
database) and pointed at the same fake upstream as everything else.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import procs
from procs import ROOT, Server

PEERS = ROOT / ".bench-out" / "peers"


def _run(argv: list[str], what: str, log: Path) -> None:
    print(f"  installing {what} (first run only; takes a few minutes)…", file=sys.stderr, flush=True)
    with log.open("ab") as fh:
        done = subprocess.run(argv, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{what} install failed ({' '.join(argv[:3])} …): " + " | ".join(tail))


def portkey_version() -> str | None:
    pkg = PEERS / "portkey" / "node_modules" / "@portkey-ai" / "gateway" / "package.json"
    return json.loads(pkg.read_text())["version"] if pkg.exists() else None


def start_portkey(run_dir: Path, upstream_port: int, upstream_key: str) -> Server:
    home = PEERS / "portkey"
    entry = home / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"
    if not entry.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("npm is not installed (Portkey's gateway is a Node package)")
        home.mkdir(parents=True, exist_ok=True)
        _run(["npm", "install", "--prefix", str(home), "--no-audit", "--no-fund", "@portkey-ai/gateway"],
             "Portkey gateway (npm)", home / "install.log")  # fmt: skip
    port = procs.free_port()
    env = dict(os.environ, NODE_ENV="production")
    server = procs.start("portkey", ["node", str(entry), f"--port={port}", "--headless"], run_dir,
                         env=env, port=port, cwd=home)  # fmt: skip
    server.headers = [
        "x-portkey-provider: openai",
        f"x-portkey-custom-host: http://127.0.0.1:{upstream_port}/v1",
        f"Authorization: Bearer {upstream_key}",
    ]
    server.version = portkey_version()
    return server


def start_litellm(run_dir: Path, upstream_port: int, upstream_key: str) -> Server:
    venv = PEERS / "litellm-venv"
    exe = venv / "bin" / "litellm"
    if not exe.exists():
        if not (venv / "bin" / "python").exists():
            _run([sys.executable, "-m", "venv", str(venv)], "LiteLLM venv", PEERS / "litellm-install.log")
        _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "litellm[proxy]"],
             "LiteLLM proxy (pip)", PEERS / "litellm-install.log")  # fmt: skip
    config = run_dir / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: gpt-4o-mini\n"
        "    litellm_params:\n"
        "      model: openai/gpt-4o-mini\n"
        f"      api_base: http://127.0.0.1:{upstream_port}/v1\n"
        f"      api_key: {upstream_key}\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )
    # Recent versions refuse to start without a master key; no database is configured.
    master = "sk-" + secrets.token_hex(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DATABASE_URL"))}
    env.update(LITELLM_MASTER_KEY=master, LITELLM_LOG="ERROR", LITELLM_TELEMETRY="False")
    port = procs.free_port()
    argv = [str(exe), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    server = procs.start("litellm", argv, run_dir, env=env, port=port, timeout=180)
    server.headers = [f"Authorization: Bearer {master}"]
    version = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import importlib.metadata as m; print(m.version('litellm'))"],
                             capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    server.version = version or None
    return server
