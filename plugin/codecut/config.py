"""Every ``CODECUT_`` setting in one place: its default, its environment name, and its type.

The extension reads these from ``app.config`` (``setdefault``, so a host app's values win); the
standalone service also takes them from the process environment, where every value is a string.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from .commissions.approval import MAX_HOLD_DAYS
from .commissions.leaks.coupon_site import read_sites
from .payouts.minimum import PayoutMinimum

#: The longest raw deliveries are kept, in days: a century, so that the purge's cut-off is a date.
MAX_RETENTION_DAYS = 36_500

#: name -> (default, type). ``None`` means unset; :meth:`Settings.from_config` derives the rest.
SETTINGS: dict[str, tuple[Any, type]] = {
    # Where Codecut keeps its tables. Default: a SQLite file in the app's instance folder.
    "CODECUT_DATABASE_URL": (None, str),
    # Signs portal sessions and magic links. The standalone service refuses production without it.
    "CODECUT_SECRET_KEY": (None, str),
    # Days a commission stays pending (the store's return window) before it becomes payable.
    "CODECUT_HOLD_DAYS": (30, int),
    # The smallest balance paid out, in major units: "50.00" for every currency, or per currency
    # ("USD=50.00,EUR=45.00,JPY=5000"; see codecut.payouts.minimum).
    "CODECUT_PAYOUT_MINIMUM": ("50.00", str),
    # The base of every absolute link Codecut prints or mails (magic links, share links).
    "CODECUT_PUBLIC_URL": ("http://127.0.0.1:5000", str),
    # Where the blueprints are mounted inside a host app ("" for the standalone service).
    "CODECUT_URL_PREFIX": ("", str),
    # Largest webhook body accepted (storefronts and Stripe); real orders are far smaller.
    "CODECUT_MAX_WEBHOOK_BYTES": (1024 * 1024, int),
    # Largest body any other route accepts (forms, API requests, uploads).
    "CODECUT_MAX_REQUEST_BYTES": (1024 * 1024, int),
    # Stripe Connect.
    "CODECUT_STRIPE_API_KEY": (None, str),
    "CODECUT_STRIPE_API_BASE": (None, str),
    "CODECUT_STRIPE_MAX_NETWORK_RETRIES": (2, int),
    "CODECUT_STRIPE_WEBHOOK_SECRET": (None, str),
    # The Connect endpoint's own signing secret (account.updated arrives there).
    "CODECUT_STRIPE_CONNECT_WEBHOOK_SECRET": (None, str),
    # The platform's country: influencers elsewhere get the `recipient` service agreement,
    # which Stripe requires for cross-border payouts.
    "CODECUT_STRIPE_PLATFORM_COUNTRY": ("US", str),
    # Where Stripe's hosted onboarding pages live (the set-up page's CSP lets its form go there).
    # Default: https://connect.stripe.com, or CODECUT_STRIPE_API_BASE's origin when that is set
    # (a local stand-in serves its onboarding pages itself).
    "CODECUT_STRIPE_CONNECT_ORIGIN": (None, str),
    # Outgoing mail for magic links; without a server the link is written to the log.
    "CODECUT_MAIL_SERVER": (None, str),
    "CODECUT_MAIL_PORT": (25, int),
    "CODECUT_MAIL_USERNAME": (None, str),
    "CODECUT_MAIL_PASSWORD": (None, str),
    "CODECUT_MAIL_USE_TLS": (False, bool),
    "CODECUT_MAIL_SENDER": ("codecut@localhost", str),
    # Magic links: lifetime in seconds.
    "CODECUT_LOGIN_TOKEN_MAX_AGE": (15 * 60, int),
    # Portal: the locale money is formatted in when the browser names none we know.
    "CODECUT_DEFAULT_LOCALE": ("en_US", str),
    # Logs: "text" for people, "json" (one object per line) for a log pipeline.
    "CODECUT_LOG_FORMAT": ("text", str),
    # Prometheus metrics at /metrics; behind a bearer token when one is set.
    "CODECUT_METRICS": (False, bool),
    "CODECUT_METRICS_TOKEN": (None, str),
    # How many proxies in front of Codecut set X-Forwarded-For/-Proto (0: trust no such header).
    "CODECUT_TRUSTED_PROXIES": (0, int),
    # Days a raw storefront delivery keeps its buyers' personal data; `codecut events purge`
    # strips it from older ones, keeping what replay and the leak rules need.
    "CODECUT_RAW_RETENTION_DAYS": (400, int),
    # A brand's own coupon and deal sites (a file, one domain a line), beside the packaged list.
    "CODECUT_COUPON_SITES_FILE": (None, str),
    # Encrypts stores' Admin API credentials at rest: a Fernet key (python -c "from
    # cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"). Outside
    # development, credentials are refused without it.
    "CODECUT_CREDENTIALS_KEY": (None, str),
    # The Shopify Admin API version every call names (quarterly; each supported for a year).
    "CODECUT_SHOPIFY_API_VERSION": ("2025-10", str),
    # Seconds an outgoing webhook's receiver has to answer before the attempt counts as failed.
    "CODECUT_WEBHOOK_TIMEOUT": (10, int),
}

LOG_FORMATS = ("text", "json")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting has a value Codecut cannot use; raised at start-up, never mid-request."""


def coerce(name: str, value: Any) -> Any:
    """Turn an environment string (or a host app's value) into the setting's type."""
    kind = SETTINGS[name][1]
    if value is None or type(value) is kind:
        return value
    if kind is bool:
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false, not {value!r}")
    if kind is int:
        try:
            return int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    return str(value)


def load_environment(
    config: MutableMapping[str, Any], environ: Mapping[str, str] | None = None
) -> None:
    """Copy every ``CODECUT_*`` variable of the environment into ``config``, typed."""
    environ = os.environ if environ is None else environ
    for name in SETTINGS:
        if name in environ:
            config[name] = coerce(name, environ[name])


def apply_defaults(config: MutableMapping[str, Any]) -> None:
    """``setdefault`` every setting, so values the host app set before ``init_app`` win."""
    for name, (default, _kind) in SETTINGS.items():
        config.setdefault(name, default)
        config[name] = coerce(name, config[name])


@dataclass(frozen=True)
class Settings:
    """The settings one app runs with, read once in ``init_app`` and never changed afterwards."""

    database_url: str
    secret_key: str | None
    hold_days: int
    payout_minimum: PayoutMinimum
    public_url: str
    url_prefix: str
    max_webhook_bytes: int
    max_request_bytes: int
    stripe_api_key: str | None
    stripe_api_base: str | None
    stripe_max_network_retries: int
    stripe_webhook_secret: str | None
    stripe_connect_webhook_secret: str | None
    stripe_platform_country: str
    stripe_connect_origin: str | None
    mail_server: str | None
    mail_port: int
    mail_username: str | None
    mail_password: str | None
    mail_use_tls: bool
    mail_sender: str
    login_token_max_age: int
    default_locale: str
    log_format: str
    metrics: bool
    metrics_token: str | None
    trusted_proxies: int
    raw_retention_days: int
    coupon_sites_file: str | None
    webhook_timeout: int
    credentials_key: str | None
    shopify_api_version: str
    coupon_sites: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, instance_path: str) -> Settings:
        """Check and type every value; a :class:`ConfigError` names the first bad setting."""
        values = {name.removeprefix("CODECUT_").lower(): config[name] for name in SETTINGS}
        if not values["database_url"]:
            values["database_url"] = f"sqlite:///{os.path.join(instance_path, 'codecut.sqlite3')}"
        if not 0 <= values["hold_days"] <= MAX_HOLD_DAYS:
            raise ConfigError(f"CODECUT_HOLD_DAYS must be from 0 to {MAX_HOLD_DAYS} days")
        for name in ("max_webhook_bytes", "max_request_bytes"):
            if values[name] < 1:
                raise ConfigError(f"CODECUT_{name.upper()} must be a positive number of bytes")
        try:
            values["payout_minimum"] = PayoutMinimum.parse(values["payout_minimum"])
        except ValueError as error:
            raise ConfigError(f"CODECUT_PAYOUT_MINIMUM {error}") from None
        if values["log_format"] not in LOG_FORMATS:
            raise ConfigError(
                f"CODECUT_LOG_FORMAT must be text or json, not {values['log_format']!r}"
            )
        if values["trusted_proxies"] < 0:
            raise ConfigError("CODECUT_TRUSTED_PROXIES cannot be negative")
        if not 1 <= values["raw_retention_days"] <= MAX_RETENTION_DAYS:
            raise ConfigError(
                f"CODECUT_RAW_RETENTION_DAYS must be from 1 to {MAX_RETENTION_DAYS} days"
            )
        if not 1 <= values["webhook_timeout"] <= 120:
            raise ConfigError("CODECUT_WEBHOOK_TIMEOUT must be between 1 and 120 seconds")
        if values["credentials_key"]:
            try:
                Fernet(values["credentials_key"].encode())
            except ValueError:
                raise ConfigError(
                    "CODECUT_CREDENTIALS_KEY must be a Fernet key (32 url-safe base64-encoded "
                    "bytes, as Fernet.generate_key() makes)"
                ) from None
        if not re.fullmatch(r"\d{4}-\d{2}|unstable", values["shopify_api_version"]):
            raise ConfigError(
                "CODECUT_SHOPIFY_API_VERSION must look like 2025-10, not "
                f"{values['shopify_api_version']!r}"
            )
        if values["coupon_sites_file"]:
            try:
                with open(values["coupon_sites_file"], encoding="utf-8") as handle:
                    values["coupon_sites"] = read_sites(handle.read())
            except (OSError, UnicodeDecodeError) as error:
                raise ConfigError(
                    f"CODECUT_COUPON_SITES_FILE cannot be read: {values['coupon_sites_file']} "
                    f"({getattr(error, 'strerror', None) or error})"
                ) from None
        country = values["stripe_platform_country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ConfigError(
                "CODECUT_STRIPE_PLATFORM_COUNTRY must be a two-letter country code such as US"
            )
        values["stripe_platform_country"] = country
        if not values["stripe_connect_origin"]:
            base = urlsplit(values["stripe_api_base"] or "https://connect.stripe.com")
            values["stripe_connect_origin"] = f"{base.scheme}://{base.netloc}"
        values["public_url"] = values["public_url"].rstrip("/")
        values["url_prefix"] = values["url_prefix"].rstrip("/")
        return cls(**values)
