"""Store credentials, encrypted at rest with ``CODECUT_CREDENTIALS_KEY`` (Fernet: AES-128-CBC
and HMAC-SHA256, from the ``cryptography`` package).

Without the key Codecut refuses to store credentials, except in development (the CLI's own app,
``codecut demo``, debug, tests), where a key derived from the app's secret key is used so the
demo works out of the box. Credentials are never printed, logged or returned by the API: what is
shown of a store is whether it has them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from ..errors import InvalidInput

_DEVELOPMENT_SALT = b"codecut-development-credentials"


def _fernet(key: str | None, *, development: bool, secret_key: str | None) -> Fernet:
    if key:
        return Fernet(key.encode())
    if development and secret_key:
        digest = hashlib.sha256(_DEVELOPMENT_SALT + secret_key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))
    raise InvalidInput(
        "CODECUT_CREDENTIALS_KEY is not set: store credentials are only kept encrypted. Make one "
        "with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )


def seal(
    values: dict[str, str], key: str | None, *, development: bool, secret_key: str | None
) -> str:
    """The credentials as one encrypted token."""
    fernet = _fernet(key, development=development, secret_key=secret_key)
    return fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(
    token: str, key: str | None, *, development: bool, secret_key: str | None
) -> dict[str, Any]:
    """The credentials back; a clear error if the key changed since they were stored."""
    fernet = _fernet(key, development=development, secret_key=secret_key)
    try:
        values = json.loads(fernet.decrypt(token.encode()))
    except (InvalidToken, ValueError):
        raise InvalidInput(
            "the store's credentials cannot be decrypted with this CODECUT_CREDENTIALS_KEY: "
            "run `codecut store connect` again"
        ) from None
    if not isinstance(values, dict):
        raise InvalidInput(
            "the store's stored credentials are damaged: run `codecut store connect`"
        )
    return values
