"""Paying influencers: the minimum, the run and its lease, settlement, sending to Stripe,
operator actions on one payout, and verification."""
