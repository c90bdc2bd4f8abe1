"""``codecut devtools``: local stand-ins for the services Codecut talks to, for trying it out.

They speak the services' documented protocols over real HTTP, so Codecut runs against them exactly
as it runs against the real ones, pointed there by its settings.
"""

from __future__ import annotations

import secrets
import time

import click

from ..devtools.fake_shopify import ShopifyServer
from ..devtools.fake_stripe import StripeServer
from ..devtools.fake_woocommerce import WooCommerceServer
from ..money import MoneyError, currency_code, to_minor

devtools_group = click.Group("devtools", help="Local stand-ins for Stripe and the stores.")


def _funds(values: tuple[str, ...]) -> list[tuple[str, int]]:
    funds = []
    for value in values:
        code, _, amount = value.partition("=")
        try:
            currency = currency_code(code)
            funds.append((currency, to_minor(amount.strip(), currency)))
        except MoneyError as error:
            raise click.BadParameter(f"{value!r}: {error} (write e.g. USD=100000.00)") from None
    return funds


@devtools_group.command("stripe")
@click.option("--port", type=int, default=12111, show_default=True)
@click.option(
    "--forward-to",
    default=None,
    help="Send the stand-in's signed events here, e.g. http://127.0.0.1:5000/webhooks/stripe.",
)
@click.option(
    "--fund",
    "funds",
    multiple=True,
    default=("USD=1000000.00", "EUR=1000000.00"),
    show_default=True,
    help="The platform balance transfers are paid from (repeat for each currency).",
)
def stripe_command(port: int, forward_to: str | None, funds: tuple[str, ...]) -> None:
    """Serve the local Stripe stand-in (transfers, reversals, events) until Ctrl+C."""
    balances = _funds(funds)
    secret = "whsec_" + secrets.token_hex(16)
    try:
        server = StripeServer(port, forward_to=forward_to, webhook_secret=secret)
    except OSError as error:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    with server:
        for currency, amount in balances:
            server.fake.fund(currency.lower(), amount)
        click.echo("# Point Codecut at the stand-in (paste into the shell that runs it):")
        click.echo(f"export CODECUT_STRIPE_API_BASE={server.url}")
        click.echo("export CODECUT_STRIPE_API_KEY=sk_test_codecut_local")
        click.echo(f"export CODECUT_STRIPE_WEBHOOK_SECRET={secret}")
        click.echo(
            f"# Reverse a transfer: curl -u sk_test_codecut_local: "
            f"{server.url}/v1/transfers/TRANSFER_ID/reversals -d amount=500"
        )
        if forward_to:
            click.echo(f"# Events are sent, signed, to {forward_to}")
        click.echo("# Serving until Ctrl+C", err=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def _serve_until_interrupted(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)
    click.echo("# Serving until Ctrl+C", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


@devtools_group.command("shopify")
@click.option("--port", type=int, default=12112, show_default=True)
@click.option("--domain", default="demo-shop.myshopify.com", show_default=True)
def shopify_command(port: int, domain: str) -> None:
    """Serve the local stand-in for Shopify's Admin GraphQL API (discounts, bulk code jobs,
    orders, cost throttling) until Ctrl+C."""
    try:
        server = ShopifyServer(port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    with server:
        _serve_until_interrupted(
            [
                "# Connect a Shopify store to the stand-in:",
                f"codecut store connect --domain {domain} --admin-token {server.fake.token} "
                f"--api-base {server.url}",
            ]
        )


@devtools_group.command("woocommerce")
@click.option("--port", type=int, default=12113, show_default=True)
@click.option("--domain", default="shop.example.com", show_default=True)
def woocommerce_command(port: int, domain: str) -> None:
    """Serve the local stand-in for WooCommerce's REST API (coupons, orders, refunds) until
    Ctrl+C."""
    try:
        server = WooCommerceServer(port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    with server:
        _serve_until_interrupted(
            [
                "# Connect a WooCommerce store to the stand-in:",
                f"codecut store connect --domain {domain} --consumer-key {server.fake.key} "
                f"--consumer-secret {server.fake.secret} --api-base {server.url}",
            ]
        )
