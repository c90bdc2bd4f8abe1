"""What every command shares: the app's engine, JSON on stdout, errors as one line.

An error the user can fix is one ``Error: ...`` line on stderr and exit 1 (Click's own usage
errors keep exit 2); the command's transaction has rolled back by then, so nothing was written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

import click
from flask.cli import AppGroup
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from ..dates import parse_day
from ..errors import CodecutError
from ..money import MoneyError
from ..state import get_state


@contextmanager
def user_errors() -> Iterator[None]:
    """Errors a user can fix become one ``Error:`` line and exit 1 (never a traceback)."""
    try:
        yield
    except (CodecutError, MoneyError) as error:
        raise click.ClickException(str(error)) from None
    except UnicodeDecodeError as error:  # a file given to a command (read as UTF-8)
        raise click.ClickException(
            f"the file is not UTF-8 text ({error.reason} at byte {error.start:,}); "
            "save it as CSV UTF-8"
        ) from None
    except IntegrityError as error:
        raise click.ClickException(f"conflicts with existing data: {error.orig}") from None
    except (OperationalError, ProgrammingError) as error:
        text = str(error.orig)
        if "no such table" in text or "does not exist" in text:
            raise click.ClickException(
                "the database has no Codecut tables yet: run `codecut db upgrade` first"
            ) from None
        raise click.ClickException(f"database error: {text.strip()}") from None


class CodecutGroup(AppGroup):
    """A command group whose commands run in an app context and turn known errors into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        with user_errors():
            return super().invoke(ctx)


class CodecutCommand(click.Command):
    """A top-level command with the same error handling (give it ``@with_appcontext`` too)."""

    def invoke(self, ctx: click.Context) -> Any:
        with user_errors():
            return super().invoke(ctx)


def group(name: str, help: str) -> CodecutGroup:
    return CodecutGroup(name=name, help=help)


def engine() -> Engine:
    """The current app's engine: commands open transactions on it with ``db.transaction``."""
    return get_state().engine


def day_option(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` option through the one date parser; a bad one is a usage error."""
    if value is None:
        return None
    try:
        return parse_day(value, f"--{(param.name or 'date').replace('_', '-')}")
    except CodecutError as error:
        raise click.BadParameter(error.message) from None


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
    with output_file(path, binary=False) as handle:
        yield handle


@contextmanager
def output_file(path: str, *, binary: bool) -> Iterator[Any]:
    """``path`` written whole or not at all: a write that fails (no such folder, a full disk)
    is one ``Error:`` line naming the file, and a file this command left half-written is
    removed (a device such as ``/dev/stdout`` is written to as it is)."""
    if not path:
        raise click.ClickException("the output file name is empty")
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(
                open(
                    path,
                    "wb" if binary else "w",
                    newline=None if binary else "",
                    encoding=None if binary else "utf-8",
                )
            )
        except OSError as error:
            raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
        regular = os.path.isfile(path)
        try:
            yield handle
            stack.close()  # the last flush can fail too (a full disk)
        except BaseException as error:
            if regular:
                with suppress(OSError):
                    os.unlink(path)
            if isinstance(error, OSError):
                message = f"cannot write {path}: {error.strerror or error}"
                raise click.ClickException(message) from None
            raise


def progress_bar(length: int, label: str) -> Any:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    return click.progressbar(length=length, label=label, file=sys.stderr)
