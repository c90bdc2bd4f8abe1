"""Settings are checked once, at start-up: a bad one stops the app and every command with one line.

The payout minimum is one rule (``codecut.payouts.minimum``): parsed when the settings are read,
rounded half-up to each currency's minor unit, and the same figure for the portal and the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from builders import make_app

from codecut.config import ConfigError
from codecut.payouts.minimum import PayoutMinimum
from codecut.state import get_state

CODECUT = str(Path(sys.executable).with_name("codecut"))


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("50.00", "USD", 5000),
        ("50.005", "USD", 5001),  # half-up to the cent
        ("50.005", "JPY", 50),  # no decimals in yen
        ("50.005", "KWD", 50005),  # three in dinars
        ("0", "USD", 0),
        ("USD=50.00,EUR=45.00,JPY=5000", "EUR", 4500),
        ("USD=50.00,EUR=45.00,JPY=5000", "JPY", 5000),
        ("USD=50.00,EUR=45.00,JPY=5000", "GBP", 0),  # not named, no default: any positive balance
        ("25,JPY=3000", "GBP", 2500),  # a bare figure is the default
        ("25,JPY=3000", "JPY", 3000),
        (" usd = 10 , 5 ", "USD", 1000),
    ],
)
def test_minimum_per_currency(text: str, currency: str, minor: int) -> None:
    assert PayoutMinimum.parse(text).minor(currency) == minor


FULL_WIDTH_100 = "\uff11\uff10\uff10"


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "-1",
        "",
        "50.0.0",
        "1e3",
        FULL_WIDTH_100,
        "USD=",
        "XXX=5",
        "USD=1,USD=2",
        "5,6",
        "NaN",
    ],
)
def test_a_bad_minimum_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        PayoutMinimum.parse(text)


def test_reached_needs_a_positive_balance() -> None:
    minimum = PayoutMinimum.parse("0")
    assert not minimum.reached(0, "USD") and minimum.reached(1, "USD")
    assert PayoutMinimum.parse("50").reached(5000, "USD")
    assert not PayoutMinimum.parse("50").reached(4999, "USD")
    assert str(PayoutMinimum.parse("USD=50,10")) == "10,USD=50"
    assert PayoutMinimum.parse("50.005").figure("usd") == Decimal("50.005")


def test_the_app_refuses_a_bad_minimum_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^CODECUT_PAYOUT_MINIMUM 'abc' is not"):
        make_app(f"sqlite:///{tmp_path}/x.sqlite3", tmp_path, CODECUT_PAYOUT_MINIMUM="abc")
    app = make_app(f"sqlite:///{tmp_path}/x.sqlite3", tmp_path, CODECUT_PAYOUT_MINIMUM="50.005")
    assert get_state(app).settings.payout_minimum.minor("USD") == 5001


@pytest.mark.parametrize("value", ["abc", "50.0.1", "-5"])
def test_every_command_stops_with_one_line(tmp_path: Path, value: str) -> None:
    environment = {
        **os.environ,
        "CODECUT_PAYOUT_MINIMUM": value,
        "CODECUT_INSTANCE_PATH": str(tmp_path),
    }
    for command in (["influencer", "list"], ["payouts", "run", "--dry-run"], ["db", "current"]):
        done = subprocess.run(
            [CODECUT, *command], env=environment, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: CODECUT_PAYOUT_MINIMUM"), lines


def test_postgres_without_its_extra_says_which_to_install(tmp_path: Path) -> None:
    """The quickstart installs no PostgreSQL driver: one line naming the extra, not a traceback."""
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['psycopg'] = None\n")
    environment = {
        **os.environ,
        "PYTHONPATH": str(blocker),
        "CODECUT_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "CODECUT_INSTANCE_PATH": str(tmp_path),
        "CODECUT_SECRET_KEY": "k",
    }
    done = subprocess.run(
        [CODECUT, "db", "upgrade"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: PostgreSQL needs the [postgres] extra: pip install -e '.[postgres]' "
        "(or pip install 'codecut[postgres]')"
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CODECUT_HOLD_DAYS", "-1", "CODECUT_HOLD_DAYS must be from 0 to 3650 days"),
        ("CODECUT_HOLD_DAYS", "99999999", "CODECUT_HOLD_DAYS must be from 0 to 3650 days"),
        ("CODECUT_RAW_RETENTION_DAYS", "0", "from 1 to 36500 days"),
        ("CODECUT_RAW_RETENTION_DAYS", "99999999", "from 1 to 36500 days"),
    ],
)
def test_day_counts_that_are_no_date_are_refused_at_start_up(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_app(f"sqlite:///{tmp_path}/x.sqlite3", tmp_path, **{name: value})
    app = make_app(f"sqlite:///{tmp_path}/x.sqlite3", tmp_path, **{name: "3650"})
    assert getattr(get_state(app).settings, name.removeprefix("CODECUT_").lower()) == 3650
