"""What every command shares: one transaction per command, JSON on stdout, errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlmodel import Session

from ..db import transaction
from ..errors import CodecutError
from ..extension import get_state
from ..money import MoneyError


class CodecutGroup(AppGroup):
    """A command group whose commands run in an app context and turn known errors into one line.

    Bad input exits 1 with ``Error: ...`` on stderr and no traceback; the command's transaction
    has rolled back by then, so nothing was written.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (CodecutError, MoneyError) as error:
            raise click.ClickException(str(error)) from None
        except IntegrityError as error:
            raise click.ClickException(f"conflicts with existing data: {error.orig}") from None
        except (OperationalError, ProgrammingError) as error:
            text = str(error.orig)
            if "no such table" in text or "does not exist" in text:
                raise click.ClickException(
                    "the database has no Codecut tables yet: run `codecut db upgrade` first"
                ) from None
            raise click.ClickException(f"database error: {text.strip()}") from None


def group(name: str, help: str) -> CodecutGroup:
    return CodecutGroup(name=name, help=help)


@contextmanager
def session_scope() -> Iterator[Session]:
    """The command's one transaction: committed when it succeeds, rolled back otherwise."""
    with transaction(get_state().engine) as session:
        yield session


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_json(data: Any) -> None:
    """Data alone on stdout, so ``| jq`` always works."""
    click.echo(json.dumps(data, default=_default, ensure_ascii=False, indent=2))


def info(message: str) -> None:
    """Human messages go to stderr, keeping stdout for data."""
    click.echo(message, err=True)


def json_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")(function)


@contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    """The file named by ``-o``, or stdout when there is none."""
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", newline="", encoding="utf-8") as handle:
        yield handle


def progress_bar(length: int, label: str) -> Any:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    return click.progressbar(length=length, label=label, file=sys.stderr)
