"""A real S3-compatible server for the tests: moto's ``moto_server`` as a child process.

It speaks the S3 wire protocol (SigV4, path-style buckets, presigned URLs), so the gateway's S3
blob store is tested the way it talks to AWS, R2 or MinIO. Each test makes its own bucket.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "mgtest",
    "AWS_SECRET_ACCESS_KEY": "mgtestsecret",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class S3Server:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        binary = Path(sys.executable).with_name("moto_server")
        self.process = subprocess.Popen(
            [str(binary), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **CREDENTIALS},
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.endpoint}/moto-api/", timeout=2)
                return self
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)

    def new_bucket(self) -> str:
        name = f"mg-{secrets.token_hex(6)}"
        httpx.put(f"{self.endpoint}/{name}", timeout=10).raise_for_status()
        return name

    def gateway_env(self, bucket: str, prefix: str = "blobs") -> dict[str, str]:
        """What a gateway needs to keep its blobs in ``bucket``."""
        return {"MG_BLOB_URL": f"s3://{bucket}/{prefix}", "AWS_ENDPOINT_URL": self.endpoint, **CREDENTIALS}

    def keys(self, bucket: str) -> list[str]:
        """Every object key in the bucket (ListObjectsV2; moto does not check signatures)."""
        import xml.etree.ElementTree as ET

        answer = httpx.get(f"{self.endpoint}/{bucket}", params={"list-type": "2"}, timeout=10)
        answer.raise_for_status()
        ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
        return [k.text or "" for k in ET.fromstring(answer.content).findall(".//s3:Key", ns)]
