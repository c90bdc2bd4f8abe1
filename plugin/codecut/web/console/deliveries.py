"""Deliveries that need a person: failed and waiting storefront events, with a replay button."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from ...db import transaction
from ...inbox import replay
from ...models import EventStatus, Staff
from ...reads.records import event_record
from ...state import get_state
from ...storefronts import get_adapter
from .auth import console, role_required


@console.get("/console/deliveries")
@role_required("admin")
def deliveries(member: Staff) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        rows = [
            event_record(row)
            for status in (EventStatus.FAILED, EventStatus.WAITING)
            for row in replay.list_events(session, status=status, limit=200)
        ]
    return render_template(
        "console/deliveries.html", member=member, events=rows, done=request.args.get("done")
    )


@console.post("/console/deliveries/<int:event_id>/replay")
@role_required("admin")
def replay_event(member: Staff, event_id: int) -> Any:
    settings = get_state().settings
    receipt = replay.replay(
        get_state().engine,
        event_id,
        get_adapter,
        hold_days=settings.hold_days,
        coupon_sites=settings.coupon_sites,
    )
    return redirect(url_for(".deliveries", done=f"delivery {event_id}: {receipt.status}"), 303)
