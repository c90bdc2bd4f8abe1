"""Outgoing webhooks: what Codecut books, told to other systems (a CRM, a warehouse, Slack).

Events are written to an outbox in the same transaction as the fact they report
(:mod:`.events`), so a rolled-back booking sends nothing and a committed one is never lost;
``codecut worker`` delivers them (:mod:`.delivery`), signed as Stripe signs its own
(:mod:`.signing`), at least once, retrying for about three days.
"""
