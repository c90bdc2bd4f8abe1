"""Hardening under real gunicorn: bodies without a length are cut at the limit with bounded memory,
and on SQLite a slow reader never stalls the webhooks."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from builders import cli_for, make_app
from servers import ROOT, gunicorn
from storefront_payloads import dumps, load_fixture_json, shopify_headers

from codecut import db as database
from codecut.state import get_state

LIMIT = 1024 * 1024


def _workers_rss_kib(port: int) -> int:
    """Resident memory of every gunicorn process serving ``port`` (the master and its workers)."""
    master = None
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f"127.0.0.1:{port}".encode() in cmdline.read_bytes():
                master = int(cmdline.parent.name)
        except OSError:
            continue
    assert master is not None
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        pid, ppid = int(fields["Pid"]), int(fields["PPid"])
        if (pid == master or ppid == master) and "VmRSS" in fields:
            total += int(fields["VmRSS"].split()[0])
    return total


def _send_chunked(base_url: str, path: str, headers: dict[str, str], megabytes: int) -> int:
    """POST ``megabytes`` MiB as chunks without a Content-Length; the status the server answers
    (it may answer and close before the body is all sent)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"[" * 64 * 1024)
        try:
            for _ in range(megabytes * 16):
                sock.sendall(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed early, as it should
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    return int(answer.split(b" ", 2)[1])


def test_chunked_bodies_over_the_limit_are_413_with_memory_bounded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'codecut.sqlite3'}"
    database.upgrade(database.create_db_engine(url))
    env = {"CODECUT_STRIPE_WEBHOOK_SECRET": "whsec_test", "CODECUT_MAX_WEBHOOK_BYTES": str(LIMIT)}
    with gunicorn(url, workers=2, env=env) as base_url:
        port = int(urlsplit(base_url).port or 0)
        before = _workers_rss_kib(port)
        stripe = _send_chunked(base_url, "/webhooks/stripe", {"Stripe-Signature": "t=1,v1=0"}, 200)
        shopify = _send_chunked(
            base_url,
            "/webhooks/shopify",
            {"X-Shopify-Hmac-Sha256": "junk", "X-Shopify-Shop-Domain": "x.myshopify.com"},
            200,
        )
        portal = _send_chunked(
            base_url,
            "/portal/login",
            {"Content-Type": "application/x-www-form-urlencoded"},
            50,
        )
        after = _workers_rss_kib(port)
        assert (stripe, shopify) == (413, 413)
        assert portal in (400, 413)  # refused (no CSRF token) or cut at CODECUT_MAX_REQUEST_BYTES
        # 450 MiB were offered; the processes grew by far less than one of those bodies.
        assert after - before < 64 * 1024, (before, after)
        assert requests.get(base_url + "/health", timeout=5).status_code == 200


def test_on_sqlite_a_slow_export_does_not_stall_webhooks(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_export import seed

    url = f"sqlite:///{tmp_path / 'codecut.sqlite3'}"
    app = make_app(url, tmp_path)
    database.upgrade(get_state(app).engine)
    seed(get_state(app).engine, 60_000)
    key = cli_for(app)("apikey", "create", "--name", "finance", "--scope", "finance")
    token = key.stdout.strip().split()[-1]
    order = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    with gunicorn(url, workers=4) as base_url:
        export = requests.get(
            base_url + "/api/exports/ledger.csv",
            headers={"Authorization": f"Bearer {token}"},
            stream=True,
            timeout=60,
        )
        assert export.status_code == 200
        chunks = export.iter_content(1024)
        next(chunks)  # the export is under way, its client reads no further for now
        slowest = 0.0
        for number in range(10):
            order["id"] = 5000 + number
            body = dumps(order)
            started = time.perf_counter()
            response = requests.post(
                base_url + "/webhooks/shopify",
                data=body,
                headers=shopify_headers(body, "s", "orders/paid", "bench.example.com"),
                timeout=30,
            )
            slowest = max(slowest, time.perf_counter() - started)
            assert response.status_code == 200, response.text
        rest = sum(len(chunk) for chunk in chunks)
        assert rest > 1024 * 1024  # the reader was mid-export all along
        assert slowest < 1.0, slowest  # was 26-30 s, then 503s
