"""Stored deliveries (list, replay) and outgoing webhook endpoints."""

from __future__ import annotations

from typing import Any, Literal

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response as Documented
from sqlalchemy import select
from sqlmodel import col

from ...access import apikeys
from ...db import transaction
from ...inbox import replay
from ...models import DeliveryStatus, EventStatus, WebhookEvent
from ...outbox import endpoints
from ...outbox.events import EVENT_TYPES
from ...programme import stores
from ...reads.records import event_record, iso, store_record
from ...state import get_state
from ...storefronts import get_adapter
from .base import PageQuery, actor, after_id, api_v1, engine, needs, page, record, spec
from .catalog import ERRORS, WRITE_ERRORS, Open, StoreOut


class EventOut(Open):
    id: int
    source: str
    via: str
    topic: str
    status: str


class EventList(BaseModel):
    items: list[EventOut]
    next_cursor: str | None = None


class EventQuery(PageQuery):
    status: EventStatus | None = None


class Replayed(BaseModel):
    status: str
    reason: str | None
    event: int | None


class EndpointOut(Open):
    id: int
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None = None


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="Shown once: verify Codecut-Signature with it.")


class EndpointList(BaseModel):
    items: list[EndpointOut]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000)
    events: list[str] = Field(
        min_length=1, max_length=len(EVENT_TYPES), description=", ".join(EVENT_TYPES)
    )
    description: str | None = Field(None, max_length=500)


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: DeliveryStatus | None = None
    limit: int = Field(50, ge=1, le=500)


class Deliveries(BaseModel):
    items: list[dict[str, Any]]


@api_v1.get("/api/v1/events")
@needs("read")
@spec.validate(query=EventQuery, resp=Documented(HTTP_200=EventList, **ERRORS), tags=["events"])
def list_events() -> Any:
    """Stored deliveries, newest first (never their bodies: they hold buyers' data)."""
    query: EventQuery = request.context.query  # type: ignore[attr-defined]
    start = after_id(query.cursor)
    with transaction(engine(), readonly=True) as session:
        statement = select(WebhookEvent)
        if start:
            statement = statement.where(col(WebhookEvent.id) < start)
        if query.status:
            statement = statement.where(col(WebhookEvent.status) == query.status.value)
        rows = session.scalars(
            statement.order_by(col(WebhookEvent.id).desc()).limit(query.limit)
        ).all()
        return page([event_record(r) for r in rows], [r.id or 0 for r in rows], query.limit)


@api_v1.post("/api/v1/events/<int:event_id>/replay")
@needs("admin")
@spec.validate(resp=Documented(HTTP_200=Replayed, **WRITE_ERRORS), tags=["events"])
def replay_event(event_id: int) -> Any:
    """Run a stored delivery through processing again (booked at most once, as always)."""
    settings = get_state().settings
    receipt = replay.replay(
        engine(),
        event_id,
        get_adapter,
        hold_days=settings.hold_days,
        coupon_sites=settings.coupon_sites,
    )
    with transaction(engine()) as session:
        record(session, "event.replay", "webhook_event", event_id, status=receipt.status)
    return receipt.as_json()


@api_v1.get("/api/v1/webhook-endpoints")
@needs("admin")
@spec.validate(resp=Documented(HTTP_200=EndpointList, **ERRORS), tags=["webhook endpoints"])
def list_endpoints() -> Any:
    with transaction(engine(), readonly=True) as session:
        return {
            "items": [
                endpoints.endpoint_record(session, e) for e in endpoints.list_endpoints(session)
            ]
        }


@api_v1.post("/api/v1/webhook-endpoints")
@needs("admin")
@spec.validate(
    json=EndpointIn,
    resp=Documented(HTTP_201=EndpointWithSecret, **WRITE_ERRORS),
    tags=["webhook endpoints"],
)
def add_endpoint() -> Any:
    """A new endpoint; its signing secret is in this answer only."""
    body: EndpointIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        endpoint = endpoints.add_endpoint(
            session,
            url=body.url,
            events=",".join(body.events),
            description=body.description,
            actor=actor(),
        )
        out = {**endpoints.endpoint_record(session, endpoint), "secret": endpoint.secret}
    return out, 201, {"Location": f"{request.path}/{out['id']}"}


def _change(endpoint_id: int, change: Any) -> Any:
    with transaction(engine()) as session:
        endpoint = change(session, endpoint_id, actor=actor())
        return endpoints.endpoint_record(session, endpoint)


@api_v1.post("/api/v1/webhook-endpoints/<int:endpoint_id>/disable")
@needs("admin")
@spec.validate(resp=Documented(HTTP_200=EndpointOut, **ERRORS), tags=["webhook endpoints"])
def disable_endpoint(endpoint_id: int) -> Any:
    return _change(endpoint_id, endpoints.disable_endpoint)


@api_v1.post("/api/v1/webhook-endpoints/<int:endpoint_id>/enable")
@needs("admin")
@spec.validate(resp=Documented(HTTP_200=EndpointOut, **ERRORS), tags=["webhook endpoints"])
def enable_endpoint(endpoint_id: int) -> Any:
    return _change(endpoint_id, endpoints.enable_endpoint)


@api_v1.post("/api/v1/webhook-endpoints/<int:endpoint_id>/rotate-secret")
@needs("admin")
@spec.validate(resp=Documented(HTTP_200=EndpointWithSecret, **ERRORS), tags=["webhook endpoints"])
def rotate_endpoint_secret(endpoint_id: int) -> Any:
    """A new secret, in this answer only; the old one signs beside it for 24 hours."""
    with transaction(engine()) as session:
        endpoint = endpoints.rotate_secret(session, endpoint_id, actor=actor())
        return {**endpoints.endpoint_record(session, endpoint), "secret": endpoint.secret}


@api_v1.delete("/api/v1/webhook-endpoints/<int:endpoint_id>")
@needs("admin")
@spec.validate(resp=Documented(HTTP_204=None, **ERRORS), tags=["webhook endpoints"])
def remove_endpoint(endpoint_id: int) -> Any:
    with transaction(engine()) as session:
        endpoints.remove_endpoint(session, endpoint_id, actor=actor())
    return "", 204


@api_v1.get("/api/v1/webhook-endpoints/<int:endpoint_id>/deliveries")
@needs("admin")
@spec.validate(
    query=DeliveryQuery, resp=Documented(HTTP_200=Deliveries, **ERRORS), tags=["webhook endpoints"]
)
def endpoint_deliveries(endpoint_id: int) -> Any:
    query: DeliveryQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        rows = endpoints.list_deliveries(
            session,
            endpoint_id,
            status=query.status.value if query.status else None,
            limit=query.limit,
        )
    return {
        "items": [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
            for r in rows
        ]
    }


# -- stores and keys (admin) ---------------------------------------------------------------------


class StoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Literal["shopify", "woocommerce", "generic"]
    domain: str = Field(max_length=255)
    secret: str = Field(min_length=1, max_length=255, description="The webhook signing secret.")
    currency: str = Field(min_length=3, max_length=3)
    url: str | None = Field(None, max_length=500)
    timezone: str = Field("UTC", max_length=64)


class KeyOut(BaseModel):
    id: int
    name: str
    scope: str
    prefix: str
    created_at: str
    last_used_at: str | None
    revoked: bool


class KeyWithSecret(KeyOut):
    key: str = Field(description="Shown once: it is not kept.")


class KeyList(BaseModel):
    items: list[KeyOut]


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scope: Literal["read", "marketing", "finance", "admin"]


def _key_record(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "scope": row.scope,
        "prefix": row.prefix,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked": row.revoked_at is not None,
    }


@api_v1.post("/api/v1/stores")
@needs("admin")
@spec.validate(json=StoreIn, resp=Documented(HTTP_201=StoreOut, **WRITE_ERRORS), tags=["stores"])
def add_store() -> Any:
    """A store whose signed webhooks Codecut accepts (its secret is never answered)."""
    body: StoreIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        store = stores.add_store(session, **body.model_dump())
        record(session, "store.add", "store", store.id, domain=store.domain)
        return store_record(store), 201


@api_v1.get("/api/v1/api-keys")
@needs("admin")
@spec.validate(resp=Documented(HTTP_200=KeyList, **ERRORS), tags=["api keys"])
def list_keys() -> Any:
    with transaction(engine(), readonly=True) as session:
        return {"items": [_key_record(k) for k in apikeys.list_keys(session)]}


@api_v1.post("/api/v1/api-keys")
@needs("admin")
@spec.validate(
    json=KeyIn, resp=Documented(HTTP_201=KeyWithSecret, **WRITE_ERRORS), tags=["api keys"]
)
def create_key() -> Any:
    """A new key, in this answer only (only its hash is kept)."""
    body: KeyIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        row, key = apikeys.create_key(session, name=body.name, scope=body.scope, actor=actor())
        return {**_key_record(row), "key": key}, 201


@api_v1.delete("/api/v1/api-keys/<int:key_id>")
@needs("admin")
@spec.validate(resp=Documented(HTTP_200=KeyOut, **ERRORS), tags=["api keys"])
def revoke_key(key_id: int) -> Any:
    with transaction(engine()) as session:
        row = apikeys.revoke_key(session, key_id, actor=actor())
        return _key_record(row)
