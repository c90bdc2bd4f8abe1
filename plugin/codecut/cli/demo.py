"""``codecut demo``: a working programme on SQLite, with real money in it, served."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import make_server

from .. import db as database
from ..access import login_links, payout_links, staff
from ..app import create_app
from ..db import transaction
from ..devtools import demo_data, demo_marketing
from ..devtools.demo_orders import replay_samples
from ..devtools.fake_shopify import ShopifyServer
from ..devtools.fake_stripe import StripeServer
from ..devtools.webhook_receiver import Receiver
from ..payouts import reconcile, stripe_client
from ..payouts.run import run
from ..programme.influencers import get_influencer
from ..reads import kpi_days, kpis
from ..reads.records import list_payouts
from ..state import CodecutState, get_state
from ..web.urls import console_login_url, login_url, payout_setup_url
from . import demo_outbox, demo_review, demo_store
from ._common import info

_DEMO_STRIPE_WEBHOOK_SECRET = "whsec_codecut_demo"
DEMO_STAFF = "admin@brand.example"
#: Rounds of sample orders placed long enough ago that their hold has passed, and one recent.
_SETTLED_ROUNDS = 6


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up and print, then exit instead of serving.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create a demo programme, send it signed orders, refunds and cancellations through the real
    webhook endpoint, pay out what is due through a local stand-in for Stripe, and serve it all.

    Safe to run again: the data is created once, replayed deliveries are absorbed as the
    duplicates they are, and what was paid is not paid again.
    """
    holder: dict[str, Flask] = {}
    server = make_server(host, port, lambda env, start: holder["app"](env, start), threaded=True)
    base_url = f"http://{host}:{server.server_port}"
    # The stand-in sends its events (transfers, account.updated) to the demo, signed.
    stripe_events = StripeServer(
        forward_to=f"{base_url}/webhooks/stripe", webhook_secret=_DEMO_STRIPE_WEBHOOK_SECRET
    )
    with stripe_events as stripe, Receiver() as receiver, ShopifyServer() as shop:
        stripe.fake.fund("usd", 10**9)
        app = _demo_app(base_url, stripe.url)
        holder["app"] = app
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            requests_log = logging.getLogger("werkzeug")
            level = requests_log.level
            requests_log.setLevel(logging.WARNING)  # the set-up's own deliveries are summarised
            try:
                _set_up(app, base_url, receiver, shop)
            finally:
                requests_log.setLevel(level)
            if no_serve:
                return
            info(f"Serving on {base_url} (Ctrl+C to stop)")
            thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()


def _demo_app(base_url: str, stripe_url: str) -> Flask:
    """The app the demo serves: this app's settings, links pointing at the demo server, and
    Stripe transfers going to the local stand-in."""
    settings = {k: v for k, v in current_app.config.items() if k.startswith("CODECUT_")}
    settings.update(
        CODECUT_PUBLIC_URL=base_url,
        CODECUT_URL_PREFIX="",
        CODECUT_STRIPE_API_KEY="sk_test_codecut_demo",
        CODECUT_STRIPE_API_BASE=stripe_url,
        CODECUT_STRIPE_WEBHOOK_SECRET=_DEMO_STRIPE_WEBHOOK_SECRET,
    )
    return create_app(settings, development=True)


def _set_up(app: Flask, base_url: str, receiver: Receiver, shop: ShopifyServer) -> None:
    state = get_state(app)
    database.upgrade(state.engine)
    endpoint_id = demo_outbox.listen(state.engine, receiver)
    with transaction(state.engine) as session:
        programme = demo_data.seed(session)
    codes = list(programme.codes.values())

    now = datetime.now(UTC)
    sent = []
    for round_ in range(_SETTLED_ROUNDS):
        turn = round_ % len(codes)
        sent += replay_samples(
            base_url,
            programme.store,
            programme.secret,
            codes[turn:] + codes[:turn],
            first_order_id=9_100_000 + 10 * round_,
            placed=now - timedelta(days=45),
        )
    sent += replay_samples(
        base_url, programme.store, programme.secret, codes, first_order_id=9_200_000
    )
    answers = Counter(f"{s.status} {s.answer.get('status', '')}".strip() for s in sent)
    clicked = demo_marketing.click_share_links(base_url, programme.codes)
    with transaction(state.engine) as session:
        demo_marketing.seed_posts(session, programme.campaign, now.date())

    reports = run(
        state.engine,
        as_of=now.date(),
        minimum=state.settings.payout_minimum,
        actor="codecut demo",
        client_factory=state.stripe_client,
    )
    kpi_days.refresh(state.engine)  # the report below reads the kept figures
    with transaction(state.engine) as session:
        listed = list_payouts(session, batch_id=reports[-1].batch_id)
        links = {
            email: login_url(
                state.settings,
                login_links.token_for_email(
                    session, email, login_links.signing_key(state.settings, app.secret_key)
                ),
            )
            for email in programme.codes
        }
        report = kpis.campaign_report(session, programme.campaign).campaign
        boss = staff.get_staff_or_none(session, DEMO_STAFF) or staff.add_staff(
            session, email=DEMO_STAFF, role="admin"
        )
        console_link = console_login_url(
            state.settings,
            staff.issue_token(
                session, boss, login_links.signing_key(state.settings, app.secret_key)
            ),
        )
        ben = get_influencer(session, "ben@example.com")
        payout_link = payout_setup_url(
            state.settings,
            payout_links.issue(ben, login_links.signing_key(state.settings, app.secret_key)),
        )
    transfers = stripe_client.list_transfers(state.stripe_client(), created_from=0)
    with transaction(state.engine, readonly=True) as session:
        reconciled = reconcile.compare(session, transfers, since=now)  # this run's
    _print(state, base_url, programme, answers, listed, links, clicked, report)
    command = _command_name()
    demo_review.send_leaked_order(base_url, programme, command)
    with app.app_context():
        keys = get_state().store_keys()
    demo_store.sync(state.engine, state.settings, keys, programme, shop, command)
    heard = demo_outbox.deliver(state.engine, receiver, state.settings.webhook_timeout)
    info("")
    info("Outgoing webhooks: a local receiver heard, signature verified:")
    info("  " + ", ".join(f"{n} {kind}" for kind, n in sorted(heard.items())))
    info(f"  What it heard     {receiver.url}   (while the demo serves)")
    info(f"  Deliveries        {command} webhook-endpoint deliveries {endpoint_id}")
    info(f"  Deliver (cron)    {command} worker --once   |   long-running: {command} worker")
    info("")
    info(
        "Stripe: reconciled with the stand-in's transfers: "
        + (
            "all match"
            if reconciled.ok
            else f"{len(reconciled.differences)} difference(s) ({command} payouts reconcile)"
        )
    )
    info("  Ben has no Stripe account and is paid by hand; his payout set-up link (a week):")
    info(f"    {payout_link}")
    info("  It opens the stand-in's onboarding form; after it, his payouts go through Stripe.")
    info("")
    info(f"Brand console (admin {DEMO_STAFF}; one-time link, 15 minutes):")
    info(f"    {console_link}")
    info(
        "  The overview (figures, weekly charts, leaky codes), campaigns (push codes from the"
        " page), influencers (CSV import), review, payouts (run and follow, exports),"
        " deliveries, admin (endpoints and keys); more staff:"
    )
    info(f"  {command} staff add --email EMAIL --role marketing|finance|admin")


def _print(
    state: CodecutState,
    base_url: str,
    programme: demo_data.DemoProgramme,
    answers: Counter[str],
    listed: list[dict[str, Any]],
    links: dict[str, str],
    clicked: tuple[int, int],
    report: dict[str, Any],
) -> None:
    codecut = _command_name()
    info("")
    info(f"Codecut demo on {state.engine.url.render_as_string()}")
    info(f"  store     {programme.store} (shopify, webhook secret: {programme.secret})")
    info(f"  campaign  {programme.campaign}: 10% of goods after discounts, 30-day hold")
    for email, code in programme.codes.items():
        info(f"  code      {code:<12} {email}")
    info("")
    info(f"Sent {sum(answers.values())} signed Shopify deliveries to {base_url}/webhooks/shopify:")
    for answer, count in sorted(answers.items()):
        info(f"  {count:>3} x HTTP {answer}")
    info(
        f"Followed share links {clicked[0]} times as followers would (counted) and "
        f"{clicked[1]} time as a search crawler (not counted)."
    )
    info(
        f"Campaign {report['slug']} so far: {report['clicks']} clicks "
        f"({report['unique_clicks']} unique), {report['orders']} orders, revenue "
        f"{report['revenue']} {report['currency']}, spend {report['spend']} (commission, "
        f"discounts, a gift, post fees), ROAS {report['roas']}"
    )
    info("")
    if listed:
        info("This run's payouts (orders placed 45 days ago are past their hold):")
        for p in listed:
            info(
                f"  #{p['payout_id']:<4} {p['influencer_email']:<20} {p['amount']:>8} "
                f"{p['currency']}  {p['method']:<7} {p['status']:<10} {p['reference'] or ''}"
            )
    else:
        info("Nothing new to pay: earlier runs of the demo paid what was due.")
    info("")
    info("Where to look:")
    info("  Influencer portal, signed in as each demo influencer (one-time links, 15 minutes):")
    for email, link in links.items():
        info(f"    {email:<20} {link}")
    info(f"  Sign-in page      {base_url}/portal/login   (links are written to this log)")
    info(f"  Share link        {base_url}/r/{programme.codes['anna@example.com']}")
    info(f"  Campaign report   {codecut} report campaign {programme.campaign}")
    info(f"  Leaderboard       {codecut} report leaderboard --by roas")
    info(f"  Health            {base_url}/healthz   |   {base_url}/readyz")
    info(f"  Integrity         {codecut} verify")
    info(f"  Balances          {codecut} influencer show anna@example.com")
    info(f"  Ledger (CSV)      {codecut} export ledger")
    info(f"  Payouts           {codecut} payouts list   |   {codecut} export payouts")
    manual = next((p["payout_id"] for p in listed if p["method"] == "manual"), "<id>")
    info(f"  Pay by hand       {codecut} payouts mark-paid {manual} --reference BANK-123")
    info(f"  Deliveries        {codecut} events list")
    exports = f"{base_url}/api/exports"
    info(f"  Finance API       {codecut} apikey create --name finance --scope finance, then")
    info(f"                    curl -H 'Authorization: Bearer <key>' {exports}/payouts.csv")
    info(
        f"                    curl -H 'Authorization: Bearer <key>' {exports}/ledger.xlsx -o l.xlsx"
    )
    info("")


def _command_name() -> str:
    """How the user can run ``codecut`` again from here (it may not be on their PATH)."""
    script = sys.argv[0]
    if os.path.basename(script) == "codecut" and os.sep in script:
        relative = os.path.relpath(script)
        return relative if not relative.startswith("..") else script
    return "codecut"
