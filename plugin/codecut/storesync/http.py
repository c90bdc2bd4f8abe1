"""One HTTP client for store APIs: JSON in and out, rate limits honoured, failures retried.

* 429: wait ``Retry-After`` seconds (or back off), then try again;
* 5xx, timeouts and dropped connections: back off exponentially (0.5 s, 1 s, 2 s, ...) and
  retry, up to ``attempts`` tries in all;
* 401/403: :class:`StoreRefused` at once (the credentials are wrong; retrying cannot help);
* any other 4xx: :class:`StoreError` with the store's own message.

Time spent waiting (on the store's answers and in back-off) is counted, for the benchmarks.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ServiceUnavailable

USER_AGENT = "Codecut/1 (store sync)"


class StoreError(ServiceUnavailable):
    """The store answered with an error, or could not be reached after the retries."""


class StoreRefused(StoreError):
    """The store refused the credentials (401/403)."""


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass
class HttpClient:
    """Calls one store's API; ``sleep`` is injectable so tests need not wait for real."""

    timeout: float = 30.0
    attempts: int = 5
    sleep: Callable[[float], None] = time.sleep
    calls: int = 0
    waited: float = 0.0  # seconds spent waiting on the store, answers and back-off included
    retries: dict[str, int] = field(default_factory=dict)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        payload: Any = None,
        what: str,
    ) -> Response:
        data = None if payload is None else json.dumps(payload).encode()
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(
                url,
                data=data,
                method=method,
                headers={
                    "Accept": "application/json",
                    "User-Agent": USER_AGENT,
                    **({"Content-Type": "application/json"} if data is not None else {}),
                    **headers,
                },
            )
            self.calls += 1
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    raw = answer.read()
                    status, answer_headers = answer.status, dict(answer.headers.items())
            except urllib.error.HTTPError as error:
                raw = error.read()
                status, answer_headers = error.code, dict(error.headers.items())
            except (OSError, ValueError) as error:  # refused, timed out, reset
                self.waited += time.perf_counter() - started
                if attempt == self.attempts:
                    raise StoreError(f"{what}: the store could not be reached ({error})") from None
                self._back_off("network", attempt, None)
                continue
            self.waited += time.perf_counter() - started
            body = _json(raw)
            if status == 429 or status >= 500:
                if attempt == self.attempts:
                    raise StoreError(f"{what}: the store answered HTTP {status}{_message(body)}")
                self._back_off(str(status), attempt, answer_headers.get("Retry-After"))
                continue
            if status in (401, 403):
                raise StoreRefused(
                    f"{what}: the store refused the credentials (HTTP {status}{_message(body)})"
                )
            if status >= 400:
                raise StoreError(f"{what}: the store answered HTTP {status}{_message(body)}")
            return Response(status, answer_headers, body)
        raise StoreError(f"{what}: no answer")  # pragma: no cover (the loop returns or raises)

    def wait(self, seconds: float, reason: str) -> None:
        """Wait as the store asked (a throttled GraphQL query), counted as waiting."""
        self.retries[reason] = self.retries.get(reason, 0) + 1
        self.waited += seconds
        self.sleep(seconds)

    def _back_off(self, reason: str, attempt: int, retry_after: str | None) -> None:
        seconds = min(0.5 * 2 ** (attempt - 1), 30.0)
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                seconds = min(max(float(retry_after), 0.0), 120.0)
        self.wait(seconds, reason)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except (UnicodeDecodeError, ValueError):
        return raw[:200].decode("utf-8", "replace")


def _message(body: Any) -> str:
    """The store's own words for an error (Shopify's ``errors``, WooCommerce's ``message``)."""
    if isinstance(body, dict):
        for key in ("message", "errors", "error"):
            if key in body:
                text = body[key]
                return f": {text if isinstance(text, str) else json.dumps(text)[:300]}"
    if isinstance(body, str) and body:
        return f": {body[:200]}"
    return ""
