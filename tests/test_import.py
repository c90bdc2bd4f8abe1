"""Bulk import: every row gets a unique code, and one bad row means nothing is written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from codecut.models import Code, Influencer


@pytest.fixture
def campaign(cli):  # type: ignore[no-untyped-def]
    cli(
        "store",
        "add",
        "--platform",
        "woocommerce",
        "--domain",
        "shop.example.com",
        "--secret",
        "s",
        "--currency",
        "EUR",
    )
    cli("campaign", "add", "--store", "shop.example.com", "--name", "Launch", "--slug", "launch")
    return cli


def counts(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Influencer)),
            session.scalar(select(func.count()).select_from(Code)),
        )


def write(tmp_path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "influencers.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_issues_one_unique_code_each(campaign, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = ["email,name,handle,followers,commission,code"]
    rows += [f"user{i}@example.com,Anna Person {i},h{i},{i},," for i in range(1500)]
    rows.append("vip@example.com,Vip,vip,10,15%,VIP2026")
    result = campaign(
        "influencer",
        "import",
        write(tmp_path, "\n".join(rows) + "\n"),
        "--campaign",
        "launch",
        "--json",
    )
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)["codes"]
    codes = [c["code"] for c in issued]
    assert len(codes) == 1501 == len(set(codes))
    assert ("vip@example.com", "VIP2026") in {(c["influencer_email"], c["code"]) for c in issued}
    assert counts(engine) == (1501, 1501)
    vip = json.loads(campaign("influencer", "show", "vip@example.com", "--json").stdout)
    assert vip["commission"] == "15%"


BAD_FILES = [
    ("email,name\nok@example.com,Ok\nnot-an-email,Bad\n", "row 3", "not a valid email"),
    ("email,name\na@example.com,A\nA@EXAMPLE.com,B\n", "row 3", "appears twice"),
    ("email,name,code\na@example.com,A,X1\nb@example.com,B,x1\n", "row 3", "taken"),
    ("email,name,commission\na@example.com,A,110%\n", "row 2", "between 0% and 100%"),
    ("email,name,followers\na@example.com,A,many\n", "row 2", "whole number"),
    ("email,name\na@example.com,A,extra\n", "row 2", "columns"),
    ("email,name\na@example.com,\n", "row 2", "name must not be empty"),
    ("mail,nom\nx,y\n", "header", "email"),
    ("email,name\n", "no rows", "no rows"),
    ("email,name,email\na@example.com,A,b@example.com\n", "header", "email more than once"),
    ("email,name\na@example.com,A\x00B\n", "row 2", "NUL characters"),  # PostgreSQL's text cannot
    ("email,name,followers\na@example.com,A,99999999999999999999\n", "", "cannot hold"),
]


@pytest.mark.parametrize(("text", "where", "what"), BAD_FILES)
def test_bad_rows_abort_the_whole_import(campaign, engine, tmp_path, text, where, what) -> None:  # type: ignore[no-untyped-def]
    result = campaign("influencer", "import", write(tmp_path, text), "--campaign", "launch")
    assert result.exit_code == 1
    assert what in result.stderr
    if where.startswith("row"):
        assert where in result.stderr
    assert "Traceback" not in result.output
    assert counts(engine) == (0, 0)


def test_import_refuses_existing_influencer(campaign, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    campaign("influencer", "add", "--email", "a@example.com", "--name", "A")
    result = campaign(
        "influencer",
        "import",
        write(tmp_path, "email,name\nb@x.com,B\na@example.com,A\n"),
        "--campaign",
        "launch",
    )
    assert result.exit_code == 1
    assert "row 3" in result.stderr and "exists already" in result.stderr
    assert counts(engine) == (1, 0)


def test_import_into_unknown_campaign(campaign, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = campaign(
        "influencer", "import", write(tmp_path, "email,name\na@b.com,A\n"), "--campaign", "nope"
    )
    assert result.exit_code == 1
    assert "no campaign" in result.stderr


def test_a_stripe_account_column_is_imported_and_validated(campaign, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = "email,name,stripe_account\nanna@example.com,Anna,acct_1Anna\nben@example.com,Ben,\n"
    result = campaign("influencer", "import", write(tmp_path, good), "--campaign", "launch")
    assert result.exit_code == 0, result.output
    shown = json.loads(campaign("influencer", "list", "--json").stdout)
    assert {r["email"]: r["stripe_account"] for r in shown} == {
        "anna@example.com": "acct_1Anna",
        "ben@example.com": None,
    }
    bad = "email,name,stripe_account\ncleo@example.com,Cleo,acct_ok\ndan@example.com,Dan,ba_123\n"
    result = campaign("influencer", "import", write(tmp_path, bad), "--campaign", "launch")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: row 3: 'ba_123' is not a Stripe account id (acct_...)"
    )
    assert counts(engine) == (2, 2)


def test_a_file_that_is_not_utf8_is_refused_in_one_line(campaign, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,name\nzoe@example.com,Zoë\n".encode("latin-1"))
    result = campaign("influencer", "import", str(path), "--campaign", "launch")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: the file is not UTF-8 text (invalid continuation byte at byte 29); "
        "save it as CSV UTF-8"
    ]
    assert counts(engine) == (0, 0)


def test_a_header_of_many_unknown_columns_is_named_briefly(campaign, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = ",".join(["email", "name", *(f"extra{n}" for n in range(100_000))])
    path = write(tmp_path, header + "\n")
    result = campaign("influencer", "import", path, "--campaign", "launch")
    assert result.exit_code == 1
    assert "unknown CSV column(s): 'extra0', 'extra1', " in result.stderr
    assert "and 99,995 more" in result.stderr and len(result.stderr) < 500


def test_a_header_naming_a_column_many_times_is_refused_at_once(campaign, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, ",".join(["name", *(["email"] * 100_000)]) + "\n")
    result = campaign("influencer", "import", path, "--campaign", "launch")
    assert result.exit_code == 1 and "names email more than once" in result.stderr
