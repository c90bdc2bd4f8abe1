"""Codecut's tables. Importing this package registers all of them on ``SQLModel.metadata``."""

from .access import ApiKey, AuditEvent, LoginAttempt, Staff, StaffRole, WebSession
from .base import TABLE_PREFIX, id_of, overlong, storable, table_of, utcnow
from .catalog import (
    Campaign,
    Click,
    Code,
    CodePush,
    CodePushState,
    Influencer,
    InfluencerStatus,
    Platform,
    Store,
)
from .inbox import EventStatus, WebhookEvent
from .kpis import KEPT_FIGURES, KpiCampaignDay, KpiDay, KpiMark, KpiTotal
from .ledger import Approval, EntryKind, EntryStatus, LedgerEntry, Order
from .marketing import Post, Seeding
from .outbox import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint
from .payouts import (
    BatchStatus,
    Payout,
    PayoutBatch,
    PayoutMethod,
    PayoutStatus,
    Settlement,
    StripeEvent,
)

__all__ = [
    "KEPT_FIGURES",
    "TABLE_PREFIX",
    "ApiKey",
    "Approval",
    "AuditEvent",
    "BatchStatus",
    "Campaign",
    "Click",
    "Code",
    "CodePush",
    "CodePushState",
    "DeliveryStatus",
    "EntryKind",
    "EntryStatus",
    "EventStatus",
    "Influencer",
    "InfluencerStatus",
    "KpiCampaignDay",
    "KpiDay",
    "KpiMark",
    "KpiTotal",
    "LedgerEntry",
    "LoginAttempt",
    "Order",
    "OutboxEvent",
    "Payout",
    "PayoutBatch",
    "PayoutMethod",
    "PayoutStatus",
    "Platform",
    "Post",
    "Seeding",
    "Settlement",
    "Staff",
    "StaffRole",
    "Store",
    "StripeEvent",
    "WebSession",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "id_of",
    "overlong",
    "storable",
    "table_of",
    "utcnow",
]
