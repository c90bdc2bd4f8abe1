"""``GET /`` on the standalone service: a small page saying what this server is and where to go.

Mounted only by :func:`codecut.app.create_app`; inside a host app ``/`` belongs to the host.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from .pages import register_page_errors

landing = Blueprint("codecut_landing", __name__)
register_page_errors(landing)


@landing.get("/")
def home() -> str:
    return render_template("landing.html")
