"""``codecut apikey``: the key is printed once, only its SHA-256 is stored."""

from __future__ import annotations

import hashlib

from payout_support import engine_of
from sqlalchemy import select

from codecut.access import apikeys
from codecut.db import transaction
from codecut.models import ApiKey, AuditEvent


def test_create_prints_the_key_once_and_stores_its_hash(papp, pcli) -> None:
    result = pcli("apikey", "create", "--name", "finance-bot", "--scope", "finance")
    assert result.exit_code == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("cc_") and len(key) > 40 and key not in result.stderr
    with transaction(engine_of(papp)) as s:
        (row,) = s.scalars(select(ApiKey))
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.name, row.prefix, row.key_hash)
        assert apikeys.verify_key(s, key).scope == "finance"
        assert apikeys.verify_key(s, key + "x") is None
        (event,) = s.scalars(select(AuditEvent))
        assert event.action == "apikey.create"
    listed = pcli("apikey", "list")
    assert "finance-bot\tfinance" in listed.stdout and key not in listed.stdout
    assert pcli("apikey", "revoke", str(row.id)).exit_code == 0
    with transaction(engine_of(papp)) as s:
        assert apikeys.verify_key(s, key) is None


def test_bad_scope_or_name(papp, pcli) -> None:
    assert pcli("apikey", "create", "--name", "x", "--scope", "owner").exit_code == 2
    assert pcli("apikey", "create", "--name", " ", "--scope", "read").exit_code == 1
    assert pcli("apikey", "revoke", "42").exit_code == 1
    with transaction(engine_of(papp)) as s:
        assert s.scalars(select(ApiKey)).first() is None


def test_scopes_nest() -> None:
    assert apikeys.allows("admin", "finance") and apikeys.allows("finance", "read")
    assert not apikeys.allows("read", "finance") and not apikeys.allows("finance", "admin")
