"""The review queue: commissions the leak rules held, cleared or voided with a memo, in bulk."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from ...commissions import review
from ...db import transaction
from ...errors import InvalidInput
from ...models import Staff
from ...state import get_state
from .auth import actor, console, role_required


@console.get("/console/review")
@role_required("marketing")
def review_queue(member: Staff) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        held = [row.as_record() for row in review.held(session)]
    done = request.args.get("done")
    return render_template("console/review.html", member=member, held=held, done=done)


@console.post("/console/review")
@role_required("marketing")
def decide(member: Staff) -> Any:
    decision = request.form.get("decision")
    memo = request.form.get("memo", "").strip()
    raw = request.form.getlist("entry_id")
    if decision not in ("clear", "void"):
        raise InvalidInput("choose clear or void")
    if not memo:
        raise InvalidInput("write a memo: why you decided so (it is kept with the decision)")
    if not raw or not all(value.isdigit() and len(value) < 10 for value in raw):
        raise InvalidInput("tick at least one held commission")
    decide_with = review.clear if decision == "clear" else review.void
    with transaction(get_state().engine) as session:
        decided = decide_with(session, [int(v) for v in raw], memo=memo, actor=actor(member))
    return redirect(url_for(".review_queue", done=f"{len(decided)} {decision}ed"), 303)
