"""Send signed sample Shopify orders, refunds and cancellations to a running Codecut.

    python examples/send_sample_webhooks.py http://127.0.0.1:5000/affiliates \\
        --domain demo-shop.myshopify.com --secret demo-webhook-secret --code ANNA15 --code BEN10

Each code gets a paid order; the second also a partial refund (sent twice, to show the duplicate
being absorbed) and the third a cancellation. The deliveries are signed exactly as Shopify signs
them, so they go through the same checks as the real thing.
"""

from __future__ import annotations

import argparse

from codecut.devtools.demo_orders import replay_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="Codecut's address, with its URL prefix if embedded")
    parser.add_argument("--domain", required=True, help="the store's domain as registered")
    parser.add_argument("--secret", required=True, help="the store's webhook secret")
    parser.add_argument("--code", action="append", required=True, help="an issued code (repeat)")
    parser.add_argument("--first-order-id", type=int, default=9_300_000)
    args = parser.parse_args()
    for sent in replay_samples(
        args.base_url, args.domain, args.secret, args.code, first_order_id=args.first_order_id
    ):
        print(f"{sent.topic:<16} order {sent.order_id}  HTTP {sent.status}  {sent.answer}")


if __name__ == "__main__":
    main()
