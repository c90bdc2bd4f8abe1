"""For admins: webhook endpoints (add, disable, enable, rotate the secret, remove), API keys
(create, revoke; a key and a secret are shown once, on the page that made them) and the audit
trail -- the same operations as ``codecut webhook-endpoint``, ``codecut apikey`` and the API."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from sqlmodel import col

from ...access import apikeys
from ...db import transaction
from ...errors import CodecutError, NotFound
from ...models import AuditEvent, Staff
from ...outbox import endpoints
from ...outbox.events import EVENT_TYPES
from ...state import get_state
from .auth import actor, console, role_required

#: What the endpoint buttons do, by the word in their URL.
ENDPOINT_ACTIONS = {
    "disable": endpoints.disable_endpoint,
    "enable": endpoints.enable_endpoint,
    "rotate-secret": endpoints.rotate_secret,
}


def _admin_page(
    member: Staff,
    *,
    error: str | None = None,
    shown_once: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        hooks = [endpoints.endpoint_record(session, e) for e in endpoints.list_endpoints(session)]
        keys = apikeys.list_keys(session)
        trail = session.scalars(
            select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(100)
        ).all()
    page = render_template(
        "console/admin.html",
        member=member,
        hooks=hooks,
        keys=keys,
        trail=trail,
        scopes=apikeys.SCOPES,
        event_types=EVENT_TYPES,
        error=error,
        shown_once=shown_once,
        done=request.args.get("done"),
    )
    return page, (400 if error else status)


@console.get("/console/admin")
@role_required("admin")
def admin_page(member: Staff) -> Any:
    return _admin_page(member)


@console.post("/console/admin/endpoints")
@role_required("admin")
def endpoint_add(member: Staff) -> Any:
    events = ",".join(request.form.getlist("events")) or request.form.get("events_text", "")
    try:
        with transaction(get_state().engine) as session:
            made = endpoints.add_endpoint(
                session,
                url=request.form.get("url", "")[:2100],
                events=events,
                description=request.form.get("description", "")[:500],
                actor=actor(member),
            )
            shown = {"what": f"Signing secret of endpoint {made.id}", "value": made.secret}
    except CodecutError as error:
        return _admin_page(member, error=error.message)
    return _admin_page(member, shown_once=shown, status=201)


@console.post("/console/admin/endpoints/<int:endpoint_id>/<action>")
@role_required("admin")
def endpoint_action(member: Staff, endpoint_id: int, action: str) -> Any:
    shown = None
    try:
        with transaction(get_state().engine) as session:
            if action == "remove":
                endpoints.remove_endpoint(session, endpoint_id, actor=actor(member))
            elif action in ENDPOINT_ACTIONS:
                changed = ENDPOINT_ACTIONS[action](session, endpoint_id, actor=actor(member))
                if action == "rotate-secret":
                    what = f"New signing secret of endpoint {endpoint_id} (the old one signs too "
                    shown = {"what": what + "for 24 hours)", "value": changed.secret}
            else:
                raise NotFound(f"no endpoint action {action!r}")
    except NotFound:
        raise
    except CodecutError as error:
        return _admin_page(member, error=error.message)
    if shown is not None:
        return _admin_page(member, shown_once=shown)
    done = f"Endpoint {endpoint_id}: {action.replace('-', ' ')} done."
    return redirect(url_for(".admin_page", done=done), 303)


@console.post("/console/admin/keys")
@role_required("admin")
def key_create(member: Staff) -> Any:
    try:
        with transaction(get_state().engine) as session:
            row, key = apikeys.create_key(
                session,
                name=request.form.get("name", "")[:200],
                scope=request.form.get("scope", ""),
                actor=actor(member),
            )
            shown = {"what": f"API key {row.id} ({row.name}, {row.scope})", "value": key}
    except CodecutError as error:
        return _admin_page(member, error=error.message)
    return _admin_page(member, shown_once=shown, status=201)


@console.post("/console/admin/keys/<int:key_id>/revoke")
@role_required("admin")
def key_revoke(member: Staff, key_id: int) -> Any:
    with transaction(get_state().engine) as session:
        apikeys.revoke_key(session, key_id, actor=actor(member))
    return redirect(url_for(".admin_page", done=f"Key {key_id} revoked."), 303)
