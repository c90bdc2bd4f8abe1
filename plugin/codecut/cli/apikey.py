"""``codecut apikey``: keys for the admin and finance API."""

from __future__ import annotations

import click

from ..access import apikeys, audit
from ..db import transaction
from ._common import echo_json, engine, group, info, json_option

apikey_group = group("apikey", "API keys (admin, finance, read); only their hash is stored.")


@apikey_group.command("create")
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option("--scope", required=True, type=click.Choice(apikeys.SCOPES))
def apikey_create(name: str, scope: str) -> None:
    """Create a key and print it once on stdout; it cannot be shown again."""
    with transaction(engine()) as session:
        row, key = apikeys.create_key(session, name=name, scope=scope, actor=audit.os_actor())
    click.echo(key)
    info(f"key {row.id} ({row.name}, {row.scope}) created; store it now, it is not kept")


@apikey_group.command("list")
@json_option
def apikey_list(as_json: bool) -> None:
    """Keys by id, with their first characters (never the key)."""
    with transaction(engine()) as session:
        records = [
            {
                "id": k.id,
                "name": k.name,
                "scope": k.scope,
                "prefix": k.prefix,
                "created_at": k.created_at,
                "last_used_at": k.last_used_at,
                "revoked": k.revoked_at is not None,
            }
            for k in apikeys.list_keys(session)
        ]
    if as_json:
        echo_json(records)
        return
    for r in records:
        state = "revoked" if r["revoked"] else "active"
        click.echo(f"{r['id']}\t{r['name']}\t{r['scope']}\t{r['prefix']}...\t{state}")


@apikey_group.command("revoke")
@click.argument("key_id", type=int)
def apikey_revoke(key_id: int) -> None:
    """Stop accepting a key."""
    with transaction(engine()) as session:
        apikeys.revoke_key(session, key_id, actor=audit.os_actor())
    info(f"key {key_id} revoked")
