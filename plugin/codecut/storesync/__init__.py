"""Codecut talking to the store's Admin API: codes created in Shopify and WooCommerce
(:mod:`.push`), and orders whose webhooks were missed pulled back and booked (:mod:`.pull`).

Credentials are encrypted at rest (:mod:`.credentials`); every call goes through one HTTP client
that honours rate limits and retries what is worth retrying (:mod:`.http`); each platform's API
is one module (:mod:`.shopify_admin`, :mod:`.woocommerce_rest`) behind the :class:`.api.StoreApi`
the rest uses.
"""
