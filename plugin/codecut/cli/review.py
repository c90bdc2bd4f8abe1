"""``codecut review``: the commissions the leak rules hold, and a person's decision on them."""

from __future__ import annotations

import click

from ..access import audit
from ..commissions import review
from ..commissions.leaks import score
from ..db import transaction
from ._common import echo_json, engine, group, info, json_option

review_group = group("review", "Held commissions: list, show, clear or void them; leak scores.")

_RULE = click.option("--rule", help=f"One of: {', '.join(review.RULE_NAMES)}.")


def _line(record: dict[str, object]) -> str:
    rules = ",".join(str(r) for r in record["rules"]) or "-"  # type: ignore[attr-defined]
    return (
        f"{record['entry_id']}\t{record['status']}\t{record['amount']} {record['currency']}\t"
        f"{record['code']}\t{record['order_id']}\t{record['influencer_email']}\t{rules}"
    )


@review_group.command("list")
@click.option("--campaign", help="Only this campaign (its slug).")
@_RULE
@json_option
def review_list(campaign: str | None, rule: str | None, as_json: bool) -> None:
    """Held commissions, oldest first (``--rule self_referral``: the self-referrals)."""
    with transaction(engine(), readonly=True) as session:
        records = [r.as_record() for r in review.held(session, campaign=campaign, rule=rule)]
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(_line(record))
    info(f"{len(records)} entr{'y' if len(records) == 1 else 'ies'}")


@review_group.command("show")
@click.argument("entry_id", type=int)
@json_option
def review_show(entry_id: int, as_json: bool) -> None:
    """One commission entry: its order, code, influencer, rules, amount and status."""
    with transaction(engine(), readonly=True) as session:
        record = review.show(session, entry_id).as_record()
    if as_json:
        echo_json(record)
        return
    for name, value in record.items():
        click.echo(f"{name}: {value if value is not None else ''}")


def _decision(name: str, verb: str) -> click.Command:
    @review_group.command(name)
    @click.argument("entry_ids", nargs=-1, type=int)
    @click.option("--memo", default=None, help="Why (required); kept on the entry and audited.")
    @click.option("--code", help="Every held commission of this code.")
    @_RULE
    def command(
        entry_ids: tuple[int, ...], memo: str | None, code: str | None, rule: str | None
    ) -> None:
        decide = review.clear if name == "clear" else review.void
        with transaction(engine()) as session:
            done = decide(
                session, entry_ids, memo=memo or "", actor=audit.os_actor(), code=code, rule=rule
            )
            ids = [r.entry.id for r in done]
        info(f"{len(ids)} entr{'y' if len(ids) == 1 else 'ies'} {verb}: {' '.join(map(str, ids))}")

    command.__doc__ = (
        "Release held commissions to their normal hold (then payable)."
        if name == "clear"
        else "Void held commissions: never paid; the influencer sees the memo."
    )
    return command


review_clear = _decision("clear", "cleared")
review_void = _decision("void", "voided")


@review_group.command("codes")
@json_option
def review_codes(as_json: bool) -> None:
    """Each code's leak score (0-100) over the last 30 days, with the rules behind it."""
    with transaction(engine(), readonly=True) as session:
        records = [s.as_record() for s in score.code_scores(session)]
    if as_json:
        echo_json(records)
        return
    for r in records:
        reasons = ", ".join(f"{rule} {n}" for rule, n in r["reasons"].items()) or "-"
        click.echo(
            f"{r['code']}\t{r['score']:>3}\t{r['flagged']}/{r['orders']} orders\t"
            f"{r['influencer_email']}\t{reasons}"
        )
