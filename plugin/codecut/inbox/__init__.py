"""The webhook inbox: every signed delivery stored raw, in the transaction that processes it.

:mod:`.receive` verifies, stores and books a delivery; :mod:`.replay` runs stored ones again;
:mod:`.stripe_events` handles Stripe's events.
"""
