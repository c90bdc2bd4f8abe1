"""``codecut staff``: who signs in to the brand console, and with which role."""

from __future__ import annotations

import click
from flask import current_app

from ..access import audit, login_links, staff
from ..db import transaction
from ..state import get_state
from ..web.urls import console_login_url
from ._common import echo_json, engine, group, info, json_option

staff_group = group("staff", "The brand console's users: admin, marketing or finance.")


@staff_group.command("add")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(staff.ROLES))
def staff_add(email: str, role: str) -> None:
    """Let someone sign in to the console with a role."""
    with transaction(engine()) as session:
        member = staff.add_staff(session, email=email, role=role)
        audit.record(
            session,
            actor=audit.os_actor(),
            action="staff.add",
            subject_type="staff",
            subject_id=member.id,
            detail={"email": member.email, "role": role},
        )
    info(
        f"{member.email} may sign in to the console as {role}: `codecut staff link {member.email}`"
    )


@staff_group.command("list")
@json_option
def staff_list(as_json: bool) -> None:
    with transaction(engine(), readonly=True) as session:
        records = [
            {"email": m.email, "role": m.role, "created_at": m.created_at}
            for m in staff.list_staff(session)
        ]
    if as_json:
        echo_json(records)
        return
    for r in records:
        click.echo(f"{r['email']}\t{r['role']}")


@staff_group.command("remove")
@click.argument("email")
def staff_remove(email: str) -> None:
    """They can no longer sign in; their sessions end now."""
    with transaction(engine()) as session:
        member = staff.remove_staff(session, email)
        audit.record(
            session,
            actor=audit.os_actor(),
            action="staff.remove",
            subject_type="staff",
            subject_id=member.id,
            detail={"email": member.email},
        )
    info(f"{member.email} removed from the console")


@staff_group.command("link")
@click.argument("email")
def staff_link(email: str) -> None:
    """Print a one-time console sign-in link (alone on stdout)."""
    settings = get_state().settings
    with transaction(engine()) as session:
        token = staff.issue_token(
            session,
            staff.get_staff(session, email),
            login_links.signing_key(settings, current_app.secret_key),
        )
    click.echo(console_login_url(settings, token))
