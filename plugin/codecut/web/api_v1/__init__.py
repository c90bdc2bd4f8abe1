"""The admin API, ``/api/v1``: JSON with the API keys, pydantic models in and out, and an
OpenAPI 3.1 document generated from those same models (spectree) at ``/api/v1/openapi.json``,
rendered at ``/api/v1/docs`` from files shipped in the package (nothing from another host).

One module per resource group registers its routes on :data:`api_v1`; :mod:`.base` holds what
they share: the scope each route needs, problem details (RFC 9457) for every error, cursor
pagination, and the audit trail of writes with the key's name.
"""

from __future__ import annotations

from . import catalog, marketing, money, operations
from .base import api_v1, spec

__all__ = ["api_v1", "catalog", "marketing", "money", "operations", "spec"]
