"""Reference receiver 1 for bench_webhooks.py: a bare Flask endpoint that only checks the HMAC.

``gunicorn -w 4 'ref_hmac_app:create_app()'`` (``BENCH_WEBHOOK_SECRET`` is the shared secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from flask import Flask, jsonify, request


def signed(body: bytes, header: str | None, secret: bytes) -> bool:
    digest = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest())
    return header is not None and hmac.compare_digest(digest, header.encode())


def create_app() -> Flask:
    app = Flask(__name__)
    secret = os.environ["BENCH_WEBHOOK_SECRET"].encode()

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.post("/webhooks/shopify")
    def receive():  # type: ignore[no-untyped-def]
        body = request.get_data(cache=False)
        if not signed(body, request.headers.get("X-Shopify-Hmac-Sha256"), secret):
            return jsonify(error="unauthorized"), 401
        return jsonify(status="ok")

    return app
