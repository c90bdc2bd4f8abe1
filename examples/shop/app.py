"""A small existing Flask shop that mounts Codecut under /affiliates.

    pip install -e .            # from the repository root
    FLASK_APP=examples/shop/app.py:create_shop flask codecut db upgrade
    FLASK_APP=examples/shop/app.py:create_shop flask run

Webhooks then arrive at /affiliates/webhooks/<platform>, the influencer portal is
/affiliates/portal/, and every Codecut command is under `flask codecut ...`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify

from codecut import Codecut

codecut = Codecut()

PRODUCTS = [
    {"sku": "WATCH-CLASSIC-36", "name": "Classic watch 36 mm", "price": "149.00"},
    {"sku": "STRAP-LEATHER", "name": "Leather strap", "price": "39.00"},
]


def create_shop(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.path.join(os.getcwd(), "instance"))
    app.config.update(
        SECRET_KEY=os.environ.get("SHOP_SECRET_KEY", "change-me"),
        CODECUT_URL_PREFIX="/affiliates",
        CODECUT_PUBLIC_URL="http://127.0.0.1:5000/affiliates",
    )
    app.config.update(config or {})
    app.config.setdefault("CODECUT_SECRET_KEY", app.config["SECRET_KEY"])

    @app.get("/")
    def catalogue():  # type: ignore[no-untyped-def]
        return jsonify(products=PRODUCTS)

    codecut.init_app(app)
    return app
