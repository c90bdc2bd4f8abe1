"""Commissions: whose order it is, what it earns, booking it in the ledger exactly once, taking it
back on refunds and cancellations, approval after the hold, and manual adjustments."""
