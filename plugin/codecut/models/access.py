"""Who may do what: API keys, the audit trail, and login throttling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from .base import utcnow


class ApiKey(SQLModel, table=True):
    """An admin, finance or read-only key. Only its SHA-256 is kept; the key is shown once."""

    __tablename__ = "codecut_api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    scope: str = Field(max_length=20)  # admin | finance | read
    prefix: str = Field(max_length=16)  # the first characters, to recognise a key in a list
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, for every operator action that changes money or access."""

    __tablename__ = "codecut_audit_event"
    __table_args__ = (Index(None, "subject_type", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    subject_type: str = Field(max_length=50)
    subject_id: str = Field(max_length=64)
    detail: str = Field(default="{}", sa_type=Text)  # JSON


class LoginAttempt(SQLModel, table=True):
    """One portal sign-in request, counted per email and per address to rate-limit them."""

    __tablename__ = "codecut_login_attempt"
    __table_args__ = (Index(None, "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)  # "email:<addr>" or "ip:<address>"
    at: datetime = Field(default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """One signed-in browser: its cookie carries a random token whose SHA-256 is kept here, so
    signing out ends this session on the server (a copied cookie stops working), and signing out
    everywhere ends them all. ``subject`` says whose: an influencer (the portal) or staff."""

    __tablename__ = "codecut_web_session"
    __table_args__ = (Index(None, "subject", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    subject: str = Field(max_length=20)  # influencer | staff
    subject_id: int
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = Field(default=None)


class StaffRole(StrEnum):
    """What a console user may do: the same split as the API keys' scopes."""

    ADMIN = "admin"  # everything, staff and webhook endpoints included
    MARKETING = "marketing"  # campaigns, influencers, codes, posts, seeding, review
    FINANCE = "finance"  # payouts and exports


class Staff(SQLModel, table=True):
    """Someone of the brand who signs in to the console (``codecut staff add``)."""

    __tablename__ = "codecut_staff"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lowercased
    role: str = Field(max_length=20)  # a StaffRole
    # Sign-in links are bound to this value; it changes when one is used.
    login_nonce: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
