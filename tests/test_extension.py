"""The Flask extension pattern: init_app, per-app state, settings, embedding under a prefix."""

from __future__ import annotations

import pytest
from flask import Flask

from codecut import Codecut, get_state
from codecut.app import create_app
from codecut.config import ConfigError


def make_host(tmp_path, name: str, **config) -> Flask:  # type: ignore[no-untyped-def]
    app = Flask(name, instance_path=str(tmp_path / name))
    app.config.update(CODECUT_DATABASE_URL=f"sqlite:///{tmp_path}/{name}.sqlite3", **config)
    return app


def test_two_apps_do_not_share_state(tmp_path) -> None:  # type: ignore[no-untyped-def]
    extension = Codecut()
    first, second = make_host(tmp_path, "first"), make_host(tmp_path, "second", CODECUT_HOLD_DAYS=7)
    extension.init_app(first)
    extension.init_app(second)
    assert get_state(first).engine is not get_state(second).engine
    assert get_state(first).settings.hold_days == 30
    assert get_state(second).settings.hold_days == 7
    assert not hasattr(extension, "app")


def test_double_registration_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_host(tmp_path, "host")
    Codecut(app)
    with pytest.raises(RuntimeError, match="already registered"):
        Codecut(app)


def test_host_settings_win_over_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_host(
        tmp_path, "host", CODECUT_PAYOUT_MINIMUM="25.00", CODECUT_PUBLIC_URL="https://x.test/"
    )
    Codecut(app)
    settings = get_state(app).settings
    assert str(settings.payout_minimum) == "25.00"
    assert settings.public_url == "https://x.test"
    assert app.config["CODECUT_HOLD_DAYS"] == 30


def test_default_database_is_in_the_instance_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = Flask("host", instance_path=str(tmp_path / "inst"))
    Codecut(app)
    assert get_state(app).settings.database_url.endswith("inst/codecut.sqlite3")


def test_environment_configures_the_standalone_service(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CODECUT_SECRET_KEY", "from-env")
    monkeypatch.setenv("CODECUT_HOLD_DAYS", "14")
    monkeypatch.setenv("CODECUT_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("CODECUT_MAIL_SERVER", "smtp.example.com")
    app = create_app()
    assert get_state(app).settings.hold_days == 14
    assert app.secret_key == "from-env"


def test_bad_setting_is_refused_at_start(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CODECUT_SECRET_KEY", "k")
    monkeypatch.setenv("CODECUT_HOLD_DAYS", "thirty")
    with pytest.raises(ConfigError, match="CODECUT_HOLD_DAYS"):
        create_app()


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CODECUT_SECRET_KEY", raising=False)
    monkeypatch.setenv("CODECUT_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="CODECUT_SECRET_KEY"):
        create_app()
    development = create_app(development=True)
    assert development.secret_key == create_app(development=True).secret_key  # kept on disk


def test_production_refuses_to_log_sign_in_links(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Without a mail server, sign-in links would go to the log: fine for development, never
    in production, where anyone reading the logs could sign in as an influencer."""
    monkeypatch.setenv("CODECUT_SECRET_KEY", "k")
    monkeypatch.delenv("CODECUT_MAIL_SERVER", raising=False)
    monkeypatch.setenv("CODECUT_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"^CODECUT_MAIL_SERVER is not set"):
        create_app()
    assert create_app(development=True) is not None  # codecut run, codecut demo
    assert create_app({"TESTING": True}) is not None


def test_embedded_under_a_prefix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parent.parent / "examples" / "shop" / "app.py"
    spec = importlib.util.spec_from_file_location("example_shop", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader
    spec.loader.exec_module(module)
    shop = module.create_shop(
        {"CODECUT_DATABASE_URL": f"sqlite:///{tmp_path}/shop.sqlite3", "SECRET_KEY": "shop-secret"}
    )
    client = shop.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/affiliates/healthz").get_json() == {"status": "ok"}
    behind = client.get("/affiliates/readyz")  # nobody ran the migrations yet
    assert behind.status_code == 503 and "codecut db upgrade" in behind.get_json()["reason"]
    from codecut import db as database
    from codecut.state import get_state

    database.upgrade(get_state(shop).engine)
    assert client.get("/affiliates/health").get_json() == {"status": "ok"}
    assert "codecut" in shop.cli.commands


def test_unknown_urls_answer_like_their_neighbours(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/portal/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Page not found" in page.get_data(as_text=True)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    api = client.get("/api/no-such-endpoint")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    wrong_method = client.get("/webhooks/shopify")
    assert wrong_method.status_code == 405 and "error" in wrong_method.get_json()


def test_request_session_is_shared_within_a_context_and_closed_after(app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from codecut import db_session

    with app.app_context():
        session = db_session()
        assert db_session() is session
        assert session.execute(text("SELECT 1")).scalar() == 1
        assert session.in_transaction()
    assert not session.in_transaction()  # closed by teardown_appcontext
