"""``codecut webhook-endpoint``: where other systems hear what Codecut books."""

from __future__ import annotations

import click

from ..access import audit
from ..db import transaction
from ..models import DeliveryStatus
from ..outbox import endpoints
from ..outbox.events import EVENT_TYPES
from ._common import echo_json, engine, group, info, json_option

webhook_endpoint_group = group(
    "webhook-endpoint", "Outgoing webhooks: endpoints, their secrets and their deliveries."
)


@webhook_endpoint_group.command("add")
@click.option("--url", required=True, help="Where events are POSTed (http:// or https://).")
@click.option(
    "--events",
    required=True,
    help=f"Comma-separated event types, or * for all: {', '.join(EVENT_TYPES)}.",
)
@click.option("--description", help="What the endpoint is for (a CRM, the warehouse, Slack).")
@json_option
def add(url: str, events: str, description: str | None, as_json: bool) -> None:
    """Add an endpoint; its signing secret is printed once, on stdout."""
    with transaction(engine()) as session:
        endpoint = endpoints.add_endpoint(
            session, url=url, events=events, description=description, actor=audit.os_actor()
        )
        record = endpoints.endpoint_record(session, endpoint)
    if as_json:
        echo_json({**record, "secret": endpoint.secret})
    else:
        click.echo(endpoint.secret)
    info(
        f"endpoint {endpoint.id} added for {', '.join(record['events'])}; its signing secret is "
        "shown this once: verify Codecut-Signature with it"
    )


@webhook_endpoint_group.command("list")
@json_option
def list_(as_json: bool) -> None:
    """Endpoints, their events and state (never their secrets)."""
    with transaction(engine(), readonly=True) as session:
        records = [endpoints.endpoint_record(session, e) for e in endpoints.list_endpoints(session)]
    if as_json:
        echo_json(records)
        return
    if not records:
        info("no webhook endpoints yet: codecut webhook-endpoint add --url URL --events ...")
    for r in records:
        state = "enabled" if r["enabled"] else f"disabled ({r['disabled_reason']})"
        click.echo(
            f"{r['id']}\t{r['url']}\t{','.join(r['events'])}\t{state}\t"
            f"{r['pending_deliveries']} pending"
        )


@webhook_endpoint_group.command("disable")
@click.argument("endpoint_id", type=int)
def disable(endpoint_id: int) -> None:
    """Stop delivering to an endpoint; what is pending waits for ``enable``."""
    with transaction(engine()) as session:
        endpoints.disable_endpoint(session, endpoint_id, actor=audit.os_actor())
    info(f"endpoint {endpoint_id} disabled")


@webhook_endpoint_group.command("enable")
@click.argument("endpoint_id", type=int)
def enable(endpoint_id: int) -> None:
    """Deliver to an endpoint again, pending deliveries included."""
    with transaction(engine()) as session:
        endpoints.enable_endpoint(session, endpoint_id, actor=audit.os_actor())
    info(f"endpoint {endpoint_id} enabled")


@webhook_endpoint_group.command("rotate-secret")
@click.argument("endpoint_id", type=int)
def rotate_secret(endpoint_id: int) -> None:
    """Print a new signing secret once; the old one keeps signing beside it for 24 hours."""
    with transaction(engine()) as session:
        endpoint = endpoints.rotate_secret(session, endpoint_id, actor=audit.os_actor())
    click.echo(endpoint.secret)
    info(f"endpoint {endpoint_id}: new secret; the previous one also signs for 24 hours")


@webhook_endpoint_group.command("remove")
@click.argument("endpoint_id", type=int)
def remove(endpoint_id: int) -> None:
    """Remove an endpoint and its delivery history."""
    with transaction(engine()) as session:
        endpoints.remove_endpoint(session, endpoint_id, actor=audit.os_actor())
    info(f"endpoint {endpoint_id} removed")


@webhook_endpoint_group.command("deliveries")
@click.argument("endpoint_id", type=int)
@click.option("--status", type=click.Choice([s.value for s in DeliveryStatus]))
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@json_option
def deliveries(endpoint_id: int, status: str | None, limit: int, as_json: bool) -> None:
    """An endpoint's latest deliveries: status codes, errors and response excerpts."""
    with transaction(engine(), readonly=True) as session:
        endpoint = endpoints.get_endpoint(session, endpoint_id)
        rows = endpoints.list_deliveries(session, endpoint_id, status=status, limit=limit)
        disabled_reason = None if endpoint.enabled else endpoint.disabled_reason
    if as_json:
        echo_json(rows)
        return
    if disabled_reason:
        info(f"endpoint {endpoint_id} is disabled: {disabled_reason}")
    for r in rows:
        answer = (
            f"HTTP {r['last_status_code']}"
            if r["last_status_code"] is not None
            else (r["last_error"] or "not tried yet")
        )
        excerpt = (r["last_response"] or "").replace("\n", " ")[:80]
        click.echo(
            f"{r['delivery_id']}\t{r['event_id']}\t{r['type']}\t{r['status']}\t"
            f"{r['attempts']} attempt(s)\t{answer}\t{excerpt}"
        )
