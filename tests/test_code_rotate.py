"""``codecut code rotate`` and the campaign's leaked-code policy (``--leaked-policy``)."""

from __future__ import annotations

import json

from builders import cli_for, make_app
from portal_factory import smtp_server
from programme import PLACED, book, entries, make_programme, order
from sqlalchemy import select

from codecut.db import transaction
from codecut.errors import InvalidInput
from codecut.models import AuditEvent, Campaign, Code
from codecut.programme.campaigns import parse_leaked_policy


def test_policy_parsing() -> None:
    assert [parse_leaked_policy(t) for t in ("none", " FULL ", "rate:5%", "rate: 2.5%")] == [
        "none", "full", "rate:5%", "rate:2.5%",
    ]  # fmt: skip
    for bad in ("half", "rate:5", "rate:150%", "rate:-1%", ""):
        try:
            parse_leaked_policy(bad)
        except InvalidInput:
            continue
        raise AssertionError(bad)


def _set_policy(engine, policy: str | None) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        for campaign in session.scalars(select(Campaign)):
            campaign.leaked_policy = policy
            session.add(campaign)


def test_campaign_add_takes_the_policy_and_refuses_a_bad_one(engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    base = ["campaign", "add", "--store", "shop.myshopify.com", "--name", "Leaky", "--json"]
    result = cli(*base, "--slug", "leaky", "--leaked-policy", "rate:5%")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["leaked_policy"] == "rate:5%"
    bad = cli(*base, "--slug", "leaky2", "--leaked-policy", "half")
    assert bad.exit_code == 1 and "--leaked-policy must be none, full or rate:5%" in bad.stderr
    with transaction(engine, readonly=True) as session:
        assert [c.slug for c in session.scalars(select(Campaign))] == ["shopify-launch", "leaky"]


def test_rotate_marks_leaked_issues_a_new_code_mails_it_and_applies_the_policy(
    database_url,  # type: ignore[no-untyped-def]
    tmp_path,
) -> None:
    with smtp_server() as (catcher, port):
        app = make_app(
            database_url, tmp_path, CODECUT_MAIL_SERVER="127.0.0.1", CODECUT_MAIL_PORT=port
        )
        engine = app.extensions["codecut"].engine
        cli = cli_for(app)
        make_programme(engine)
        result = cli("code", "rotate", "tenoff", "--reason", "on a coupon site", "--json")
        assert result.exit_code == 0, result.stderr
        record = json.loads(result.stdout)
        assert (record["code"], record["status"]) == ("TENOFF", "leaked")
        assert record["new_code"].startswith("ANNA") and record["share_link"].endswith(
            f"/r/{record['new_code']}"
        )
        message = catcher.wait_for(1)
        assert message["To"].endswith("<anna@example.com>")
        body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert "TENOFF" in body and record["new_code"] in body and record["share_link"] in body
        with transaction(engine, readonly=True) as session:
            old = session.scalars(select(Code).where(Code.code == "TENOFF")).one()
            new = session.scalars(select(Code).where(Code.code == record["new_code"])).one()
            (event,) = session.scalars(select(AuditEvent))
        assert (old.active, old.leaked_at is not None) == (False, True)
        assert (new.active, new.campaign_id, new.influencer_id) == (
            True, old.campaign_id, old.influencer_id,
        )  # fmt: skip
        assert event.action == "code.rotate" and event.actor
        assert json.loads(event.detail)["reason"] == "on a coupon site"

        # Orders still using the leaked code: none (default) earns nothing, rate:5% and full.
        book(engine, order("1", base=10000, placed_at=PLACED))
        _set_policy(engine, "rate:5%")
        book(engine, order("2", base=10000, placed_at=PLACED))
        _set_policy(engine, "full")
        book(engine, order("3", base=10000, placed_at=PLACED))
        book(engine, order("4", base=10000, codes=(record["new_code"],), placed_at=PLACED))
        assert [(k, a, r) for k, _k, _s, a, _b, r in entries(engine)] == [
            ("commission:1", 0, "code_leaked"),
            ("commission:2", 500, None),
            ("commission:3", 1000, None),
            ("commission:4", 1000, None),
        ]

        # Bad input: unknown, already rotated -- one line, exit 1, nothing written.
        for code, message_text in (("NOPE", "no code NOPE"), ("TENOFF", "rotated already")):
            bad = cli("code", "rotate", code)
            assert bad.exit_code == 1 and message_text in bad.stderr
        with transaction(engine, readonly=True) as session:
            assert len(list(session.scalars(select(Code)))) == 3
            assert len(list(session.scalars(select(AuditEvent)))) == 1
