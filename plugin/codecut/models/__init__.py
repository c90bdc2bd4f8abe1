"""Codecut's tables. Importing this package registers all of them on ``SQLModel.metadata``."""

from .access import ApiKey, AuditEvent, LoginAttempt
from .base import TABLE_PREFIX, utcnow
from .catalog import Campaign, Code, Influencer, Store
from .inbox import WebhookEvent
from .ledger import LedgerEntry, Order
from .payouts import Payout, PayoutBatch, StripeEvent

__all__ = [
    "TABLE_PREFIX",
    "ApiKey",
    "AuditEvent",
    "Campaign",
    "Code",
    "Influencer",
    "LedgerEntry",
    "LoginAttempt",
    "Order",
    "Payout",
    "PayoutBatch",
    "Store",
    "StripeEvent",
    "WebhookEvent",
    "utcnow",
]
