"""A local stand-in for the parts of Stripe's v1 API Codecut uses, served over real HTTP.

It behaves as Stripe documents (https://docs.stripe.com/api/transfers,
https://docs.stripe.com/api/idempotent_requests, https://docs.stripe.com/error-codes):

* form-encoded ``POST /v1/transfers``, ``GET /v1/transfers`` (``transfer_group``,
  ``destination``, ``created[gte|gt|lte|lt]``, ``limit``, ``starting_after``; newest first),
  ``GET /v1/transfers/{id}``, ``POST /v1/transfers/{id}/reversals`` (``amount``, default the
  rest), ``GET /v1/events``; ``Authorization: Bearer sk_...``;
* Connect Express onboarding (https://docs.stripe.com/api/accounts,
  https://docs.stripe.com/api/account_links): ``POST /v1/accounts`` (``country``, ``email``,
  ``capabilities[transfers][requested]``, ``tos_acceptance[service_agreement]``, ``controller``,
  ``metadata``), ``GET /v1/accounts/{id}``, ``POST /v1/account_links`` (``type=account_onboarding``,
  ``refresh_url``, ``return_url``; single use, 300 s) and a tiny hosted onboarding page at the
  link's URL that completes at a click, then sends ``account.updated`` and returns to
  ``return_url``; a used or expired link goes to ``refresh_url``, as Stripe's does. A transfer to
  an account whose ``transfers`` capability is not ``active`` is refused as Stripe refuses it;
* events (``transfer.created``, ``transfer.reversed``) as Stripe sends them: with ``forward_to``
  set, each is POSTed there signed with ``webhook_secret`` in Stripe's ``Stripe-Signature`` scheme
  (``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``), which is what ``codecut devtools stripe
  --forward-to`` does for a running Codecut;
* the first answer for an ``Idempotency-Key`` is stored once the endpoint started executing --
  successes, declines and 500s alike -- and replayed for the same key; the same key with other
  parameters is a 400 ``idempotency_error``; validation failures store nothing;
* a platform balance per currency (Stripe minor units), so ``balance_insufficient`` happens by
  itself; destination accounts can be marked invalid or restricted;
* errors are ``{"error": {"type", "code", "message"}}``.

Test hooks inject a 500 or a dropped connection (before or after the transfer is made) into the
next transfer request, or pause it so a test can kill the client mid-call.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class _Fault:
    kind: str  # "500" | "drop" | "pause"
    after_create: bool
    at: int | None = None  # only the n-th transfer request (1-based), else the next one


@dataclass
class FakeStripe:
    """State of the fake: balances, accounts, transfers, stored idempotent answers."""

    api_key_prefix: str = "sk_test_"
    balance: dict[str, int] = field(default_factory=dict)  # lowercase currency -> Stripe minor
    accounts: dict[str, str] = field(default_factory=dict)  # acct id -> invalid | restricted
    transfers: list[dict[str, Any]] = field(default_factory=list)
    idempotent: dict[str, tuple[dict[str, Any], int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    connected: dict[str, dict[str, Any]] = field(default_factory=dict)  # acct id -> account
    links: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> link state
    base_url: str = ""
    forward_to: str | None = None
    webhook_secret: str = ""
    forwarded: list[tuple[str, int]] = field(default_factory=list)  # (event id, HTTP status)
    paused: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- test hooks --------------------------------------------------------------------------

    def fund(self, currency: str, amount: int) -> None:
        with self.lock:
            key = currency.lower()
            self.balance[key] = self.balance.get(key, 0) + amount

    def mark_account(self, account: str, state: str) -> None:
        """``invalid``, ``restricted`` or ``active``."""
        with self.lock:
            if state == "active":
                self.accounts.pop(account, None)
            else:
                self.accounts[account] = state

    def complete_onboarding(self, account: str) -> dict[str, Any]:
        """What finishing Stripe's hosted form does: the account can receive transfers."""
        with self.lock:
            obj = self.connected[account]
            obj.update(details_submitted=True, payouts_enabled=True)
            obj["capabilities"]["transfers"] = "active"
            obj["requirements"] = _requirements([])
            copied: dict[str, Any] = json.loads(json.dumps(obj))
        self.emit("account.updated", copied, account=account)
        return copied

    def require(self, account: str, fields: list[str], disabled_reason: str | None) -> None:
        """Stripe asks for more (an ID document, say): transfers stop until it is given."""
        with self.lock:
            obj = self.connected[account]
            obj["payouts_enabled"] = False
            obj["capabilities"]["transfers"] = "inactive"
            obj["requirements"] = _requirements(fields, disabled_reason)
            copied: dict[str, Any] = json.loads(json.dumps(obj))
        self.emit("account.updated", copied, account=account)

    def fail_next(self, *, after_create: bool = False) -> None:
        """The next transfer request answers 500 (after making the transfer, if asked)."""
        self.faults.append(_Fault("500", after_create))

    def drop_next(self, *, after_create: bool = False) -> None:
        """The next transfer request gets no answer: the connection is closed."""
        self.faults.append(_Fault("drop", after_create))

    def pause_next(self, *, after_create: bool = True, at: int | None = None) -> None:
        """The next (or ``at``-th) transfer request waits (``paused`` is set) until ``resume``
        is set, then gets no answer: time for a test to kill the client mid-call."""
        self.faults.append(_Fault("pause", after_create, at))

    def _take_fault(self) -> _Fault | None:
        posts = sum(1 for method, path, _ in self.requests if method == "POST")
        if self.faults and self.faults[0].at in (None, posts):
            return self.faults.pop(0)
        return None

    def reverse(self, transfer_id: str, amount: int | None = None) -> dict[str, Any]:
        """Reverse (part of) a transfer as Stripe would; returns the updated transfer."""
        with self.lock:
            transfer = self._find(transfer_id)
            assert transfer is not None, transfer_id
            remaining = transfer["amount"] - transfer["amount_reversed"]
            amount = remaining if amount is None else amount
            transfer["amount_reversed"] += amount
            transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
            self.balance[transfer["currency"]] = self.balance.get(transfer["currency"], 0) + amount
            copied: dict[str, Any] = json.loads(json.dumps(transfer))
        self.emit("transfer.reversed", copied)
        return copied

    def emit(self, kind: str, obj: dict[str, Any], *, account: str | None = None) -> dict[str, Any]:
        """Record an event as Stripe does and, with ``forward_to`` set, deliver it signed.
        ``account`` marks a Connect event (one about a connected account)."""
        event: dict[str, Any] = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
        if account:
            event["account"] = account
        with self.lock:
            self.events.append(event)
        if self.forward_to:
            self._forward(event)
        return event

    def _forward(self, event: dict[str, Any]) -> None:
        body = json.dumps(event).encode()
        timestamp = int(time.time())
        mac = hmac.new(self.webhook_secret.encode(), b"%d." % timestamp + body, hashlib.sha256)
        request = urllib.request.Request(
            str(self.forward_to),
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": f"t={timestamp},v1={mac.hexdigest()}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0  # not reachable; Stripe would retry later
        with self.lock:
            self.forwarded.append((event["id"], status))

    @property
    def created(self) -> int:
        return len(self.transfers)

    # -- the API -----------------------------------------------------------------------------

    def _find(self, transfer_id: str) -> dict[str, Any] | None:
        return next((t for t in self.transfers if t["id"] == transfer_id), None)

    def create_transfer(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Stripe's transfer creation once the endpoint executes (the answer is then stored)."""
        amount, currency = int(params["amount"]), params["currency"]
        destination = params["destination"]
        state = self.accounts.get(destination)
        connected = self.connected.get(destination)
        if connected is not None and connected["capabilities"].get("transfers") != "active":
            state = "restricted"
        if state == "invalid":
            return 400, _error(
                "invalid_request_error",
                "account_invalid",
                f"No such destination: '{destination}'",
                param="destination",
            )
        if state == "restricted":
            return 400, _error(
                "invalid_request_error",
                "insufficient_capabilities_for_transfer",
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                param="destination",
            )
        if self.balance.get(currency, 0) < amount:
            return 400, _error(
                "invalid_request_error",
                "balance_insufficient",
                "You have insufficient available funds in your Stripe account.",
            )
        self.balance[currency] -= amount
        transfer = {
            "id": "tr_" + secrets.token_hex(12),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata", {}),
            "reversed": False,
            "created": int(time.time()),
            "livemode": False,
        }
        self.transfers.append(transfer)
        return 200, transfer

    def create_account(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """``POST /v1/accounts``: an Express account that still has everything to fill in."""
        country = str(params.get("country") or "US").upper()
        agreement = (params.get("tos_acceptance") or {}).get("service_agreement", "full")
        if agreement not in ("full", "recipient"):
            return 400, _error(
                "invalid_request_error",
                "parameter_invalid_empty",
                "Invalid tos_acceptance[service_agreement]",
                param="tos_acceptance[service_agreement]",
            )
        account_id = "acct_" + secrets.token_hex(8)
        account: dict[str, Any] = {
            "id": account_id,
            "object": "account",
            "type": "express",
            "country": country,
            "email": params.get("email"),
            "details_submitted": False,
            "payouts_enabled": False,
            "charges_enabled": False,
            "capabilities": {"transfers": "inactive"},
            "requirements": _requirements(
                ["individual.verification.document", "external_account", "tos_acceptance.date"]
            ),
            "tos_acceptance": {"service_agreement": agreement},
            "metadata": params.get("metadata") or {},
            "created": int(time.time()),
        }
        with self.lock:
            self.connected[account_id] = account
        return 200, account

    def retrieve_account(self, account_id: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            account = self.connected.get(account_id)
            copied = json.loads(json.dumps(account)) if account else None
        if copied is None:
            return 404, _error(
                "invalid_request_error",
                "resource_missing",
                f"No such account: '{account_id}'",
                param="account",
            )
        return 200, copied

    def create_account_link(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """``POST /v1/account_links``: a single-use URL to the hosted form, valid 300 s."""
        for name in ("account", "type", "return_url", "refresh_url"):
            if not params.get(name):
                return 400, _error(
                    "invalid_request_error",
                    "parameter_missing",
                    f"Missing required param: {name}.",
                    param=name,
                )
        if params["account"] not in self.connected:
            return 400, _error(
                "invalid_request_error",
                "account_invalid",
                f"No such account: '{params['account']}'",
                param="account",
            )
        if params["type"] not in ("account_onboarding", "account_update"):
            return 400, _error(
                "invalid_request_error", "parameter_invalid", "Invalid type", param="type"
            )
        token = secrets.token_urlsafe(16)
        created = int(time.time())
        with self.lock:
            self.links[token] = {**params, "expires_at": created + 300, "used": False}
        return 200, {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self.base_url}/connect/onboarding/{token}",
        }

    def expire_links(self) -> None:
        """Every link issued so far is now stale (as after five minutes)."""
        with self.lock:
            for link in self.links.values():
                link["expires_at"] = 0

    def list_transfers(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Newest first, filtered as ``GET /v1/transfers`` filters."""
        created = query.get("created")
        bounds = created if isinstance(created, dict) else {"eq": created} if created else {}
        checks = {
            "gte": lambda t, v: t >= v,
            "gt": lambda t, v: t > v,
            "lte": lambda t, v: t <= v,
            "lt": lambda t, v: t < v,
            "eq": lambda t, v: t == v,
        }
        with self.lock:
            return [
                t
                for t in reversed(self.transfers)
                if query.get("transfer_group") in (None, t["transfer_group"])
                and query.get("destination") in (None, t["destination"])
                and all(
                    checks[op](t["created"], int(v)) for op, v in bounds.items() if op in checks
                )
            ]

    def create_reversal(
        self, transfer_id: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """``POST /v1/transfers/{id}/reversals``: the whole rest unless ``amount`` says less."""
        with self.lock:
            transfer = self._find(transfer_id)
            remaining = (
                None if transfer is None else transfer["amount"] - transfer["amount_reversed"]
            )
        if transfer is None or remaining is None:
            return 404, _error(
                "invalid_request_error",
                "resource_missing",
                f"No such transfer: '{transfer_id}'",
                param="id",
            )
        raw = params.get("amount")
        amount = remaining if raw in (None, "") else int(raw) if str(raw).isdigit() else -1
        if not 0 < amount <= remaining:
            return 400, _error(
                "invalid_request_error",
                "parameter_invalid_integer",
                "Amount must be a positive integer no larger than what is left to reverse.",
                param="amount",
            )
        reversed_transfer = self.reverse(transfer_id, amount)
        return 200, {
            "id": "trr_" + secrets.token_hex(12),
            "object": "transfer_reversal",
            "amount": amount,
            "currency": reversed_transfer["currency"],
            "transfer": transfer_id,
            "created": int(time.time()),
        }


def _error(type_: str, code: str | None, message: str, param: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}


def _requirements(due: list[str], disabled_reason: str | None = None) -> dict[str, Any]:
    return {
        "currently_due": list(due),
        "past_due": [],
        "eventually_due": list(due),
        "pending_verification": [],
        "disabled_reason": disabled_reason or ("requirements.past_due" if due else None),
        "errors": [],
    }


def parse_form(body: str) -> dict[str, Any]:
    """``a=1&metadata[k]=v&c[t][r]=true`` -> nested dicts, as Stripe's encoding nests them."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        outer, _, rest = key.partition("[")
        path = [outer, *(part for part in rest.rstrip("]").split("][") if rest)]
        target = params
        for name in path[:-1]:
            nested = target.setdefault(name, {})
            if not isinstance(nested, dict):
                break
            target = nested
        else:
            target[path[-1]] = value
    return params


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: dict[str, Any], replayed: bool = False) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(6))
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        if status >= 500:
            # Stripe's idempotency layer would replay it: the client need not retry.
            self.send_header("Stripe-Should-Retry", "false")
        self.end_headers()
        self.wfile.write(body)

    def _send_idempotent(
        self,
        key: str | None,
        params: dict[str, Any],
        create: Any,
    ) -> None:
        """A creation replayed for the same ``Idempotency-Key`` (same parameters)."""
        fake = self.server.fake
        with fake.lock:
            stored = fake.idempotent.get(key) if key else None
        if stored is not None:
            if stored[0] != params:
                self._send(
                    400,
                    _error(
                        "idempotency_error",
                        None,
                        "Keys for idempotent requests can only be used with the same parameters.",
                    ),
                )
                return
            self._send(stored[1], stored[2], replayed=True)
            return
        status, payload = create(params)
        if key:
            with fake.lock:
                fake.idempotent[key] = (params, status, payload)
        self._send(status, payload)

    def _authorised(self) -> bool:
        scheme, _, key = self.headers.get("Authorization", "").partition(" ")
        if scheme == "Basic":  # curl -u sk_test_...: (the key as the user name), as Stripe takes
            with contextlib.suppress(ValueError):
                key = base64.b64decode(key).decode().partition(":")[0]
        if scheme in ("Bearer", "Basic") and key.startswith(self.server.fake.api_key_prefix):
            return True
        self._send(
            401,
            _error("invalid_request_error", None, f"Invalid API Key provided: {key[:12]}"),
        )
        return False

    def _send_list(self, path: str, items: list[dict[str, Any]], query: dict[str, Any]) -> None:
        """A Stripe list page, newest first: ``starting_after`` an id, at most ``limit``."""
        if "starting_after" in query:
            ids = [item["id"] for item in items]
            if query["starting_after"] in ids:
                items = items[ids.index(query["starting_after"]) + 1 :]
        limit = int(query.get("limit", 10))
        page = {"object": "list", "url": path, "has_more": len(items) > limit}
        self._send(200, {**page, "data": items[:limit]})

    def _redirect(self, location: str) -> None:
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _onboarding_page(self, token: str, method: str) -> None:
        """Stripe's hosted form, reduced to one button."""
        fake = self.server.fake
        with fake.lock:
            link = fake.links.get(token)
            stale = link is None or link["used"] or link["expires_at"] < time.time()
        if link is None:
            self._send(404, _error("invalid_request_error", None, "Unknown onboarding link"))
            return
        if stale:  # used or expired: Stripe sends the person to refresh_url
            self._redirect(link["refresh_url"])
            return
        if method == "POST":
            with fake.lock:
                link["used"] = True
            fake.complete_onboarding(link["account"])
            self._redirect(link["return_url"])
            return
        page = (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Stripe Express "
            "onboarding (local stand-in)</title><meta name=viewport content='width=device-width'>"
            "<link rel=icon href='data:,'>"
            "</head><body><h1>Set up payouts with Stripe</h1><p>Account "
            f"{link['account']}</p><form method=post><button type=submit>Complete onboarding"
            "</button></form></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_GET(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        fake.requests.append(("GET", url.path, None))
        if url.path.startswith("/connect/onboarding/"):
            self._onboarding_page(url.path.rsplit("/", 1)[1], "GET")
            return
        if not self._authorised():
            return
        query = parse_form(url.query)
        if url.path.startswith("/v1/accounts/"):
            self._send(*fake.retrieve_account(url.path.rsplit("/", 1)[1]))
            return
        if url.path == "/v1/events":
            with fake.lock:
                events = list(reversed(fake.events))
            self._send_list(url.path, events, query)
            return
        if url.path == "/v1/transfers":
            self._send_list(url.path, fake.list_transfers(query), query)
            return
        if url.path.startswith("/v1/transfers/"):
            transfer = fake._find(url.path.rsplit("/", 1)[1])
            if transfer is None:
                self._send(
                    404,
                    _error(
                        "invalid_request_error",
                        "resource_missing",
                        f"No such transfer: '{url.path.rsplit('/', 1)[1]}'",
                        param="id",
                    ),
                )
                return
            self._send(200, transfer)
            return
        self._send(
            404, _error("invalid_request_error", None, f"Unrecognized request URL {url.path}")
        )

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        key = self.headers.get("Idempotency-Key")
        fake.requests.append(("POST", self.path, key))
        if self.path.startswith("/connect/onboarding/"):
            self._onboarding_page(self.path.rsplit("/", 1)[1], "POST")
            return
        if not self._authorised():
            return
        if self.path == "/v1/accounts":
            self._send_idempotent(key, parse_form(body), fake.create_account)
            return
        if self.path == "/v1/account_links":
            self._send(*fake.create_account_link(parse_form(body)))
            return
        parts = self.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["v1", "transfers"] and parts[3] == "reversals":
            self._send(*fake.create_reversal(parts[2], parse_form(body)))
            return
        if self.path != "/v1/transfers":
            self._send(
                404, _error("invalid_request_error", None, f"Unrecognized request URL {self.path}")
            )
            return
        params = parse_form(body)
        missing = [p for p in ("amount", "currency", "destination") if not params.get(p)]
        if missing:  # validation: nothing is stored for the key
            self._send(
                400,
                _error(
                    "invalid_request_error",
                    "parameter_missing",
                    f"Missing required param: {missing[0]}.",
                    param=missing[0],
                ),
            )
            return
        if not params["amount"].isdigit() or int(params["amount"]) <= 0:
            self._send(
                400,
                _error(
                    "invalid_request_error",
                    "parameter_invalid_integer",
                    "Invalid positive integer",
                    param="amount",
                ),
            )
            return
        with fake.lock:
            if key and key in fake.idempotent:
                stored_params, status, payload = fake.idempotent[key]
                if stored_params != params:
                    answer: tuple[int, dict[str, Any], bool] | None = (
                        400,
                        _error(
                            "idempotency_error",
                            None,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                        ),
                        False,
                    )
                else:
                    answer = (status, payload, True)
            else:
                answer = None
            fault = fake._take_fault() if answer is None else None
            server_error = (500, _error("api_error", None, "An unknown error occurred"), False)
            before = fault is not None and not fault.after_create
            if answer is None and fault is not None and before and fault.kind == "500":
                answer = server_error  # the endpoint began, failed, and that answer is stored
                if key:
                    fake.idempotent[key] = (params, *answer[:2])
            elif answer is None and not before:
                status, payload = fake.create_transfer(params)
                answer = (status, payload, False)
                if fault is not None and fault.kind == "500":
                    answer = server_error  # made, but Stripe answered 500 all the same
                if key:
                    fake.idempotent[key] = (params, *answer[:2])
        if fault is not None and fault.kind == "pause":
            fake.paused.set()
            fake.resume.wait()
        if fault is not None and fault.kind in ("drop", "pause"):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        assert answer is not None
        self._send(answer[0], answer[1], replayed=answer[2])
        if answer[0] == 200 and not answer[2]:
            fake.emit("transfer.created", answer[1])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeStripe


class StripeServer:
    """``with StripeServer() as stripe_server: ... stripe_server.url ...``"""

    def __init__(
        self, port: int = 0, *, forward_to: str | None = None, webhook_secret: str = ""
    ) -> None:
        self.fake = FakeStripe(forward_to=forward_to, webhook_secret=webhook_secret)
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self.fake
        self.fake.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> StripeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.fake.resume.set()
        self._server.shutdown()
        self._server.server_close()
