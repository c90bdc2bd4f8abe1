"""A receiver for Codecut's outgoing webhooks, standard library only (no Codecut import).

    python examples/webhook_receiver.py --port 9000 --secret whsec_...

Each delivery is ``POST`` JSON ``{"id", "type", "created", "data"}`` with the header
``Codecut-Signature: t=<unix>,v1=<hex>``: the HMAC-SHA256 of ``"<t>.<body>"`` with the endpoint's
secret (two ``v1`` values while a rotated secret overlaps). Check it on the raw body before
parsing, refuse old timestamps, answer 2xx quickly, and de-duplicate by ``id``: delivery is at
least once.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_SECONDS = 300


def verify(header: str, body: bytes, secret: str, now: float | None = None) -> bool:
    """True when one ``v1`` of ``header`` signs ``body`` with ``secret`` and ``t`` is recent."""
    pairs = [item.split("=", 1) for item in header.split(",") if "=" in item]
    stamps = [value for key, value in pairs if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    if abs((now or time.time()) - int(stamps[0])) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), stamps[0].encode() + b"." + body, hashlib.sha256)
    return any(
        hmac.compare_digest(expected.hexdigest(), value) for key, value in pairs if key == "v1"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="The endpoint's whsec_... secret.")
    args = parser.parse_args()
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verify(self.headers.get("Codecut-Signature", ""), body, args.secret):
                self.send_response(400)
                self.end_headers()
                return
            event = json.loads(body)
            if event["id"] not in seen:  # at least once: the same event may come again
                seen.add(event["id"])
                print(event["type"], json.dumps(event["data"]), flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *values: object) -> None:
            pass

    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
