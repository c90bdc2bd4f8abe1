"""Real gunicorn for tests and benchmarks: start it on a free loopback port, wait, stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str,
    *,
    app: str = "codecut.app:create_app()",
    workers: int = 4,
    env: Mapping[str, str] | None = None,
    health: str = "/health",
    timeout: float = 30.0,
) -> Iterator[str]:
    """Serve ``app`` with gunicorn ``workers`` against ``database_url``; yields the base URL.

    The server's output goes to a temporary log file, shown in the error if it never answers.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="codecut-gunicorn-") as instance:
        environment = {
            **os.environ,
            "CODECUT_DATABASE_URL": database_url,
            "CODECUT_SECRET_KEY": "gunicorn-test-secret",
            # Production refuses to log sign-in links; nothing here signs in by mail.
            "CODECUT_MAIL_SERVER": "127.0.0.1",
            "CODECUT_MAIL_PORT": "9",
            "CODECUT_INSTANCE_PATH": instance,
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH", "")]
            ),
            **(env or {}),
        }
        log_path = Path(instance) / "gunicorn.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    GUNICORN,
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                    app,
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=instance,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(process, base_url + health, timeout, log_path)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(
    process: subprocess.Popen[bytes], url: str, timeout: float, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {url}:\n{log_path.read_text(errors='replace')}")
