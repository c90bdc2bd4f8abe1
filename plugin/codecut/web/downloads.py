"""Exports sent to a browser or a script: CSV streamed as it is read, XLSX from a temporary file
(a zip is only complete once closed). Used by the finance API and the console alike."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from flask import Response, stream_with_context

from ..db import transaction
from ..errors import NotFound
from ..reads import exports
from ..state import get_state

TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_CHUNK = 64 * 1024


def export_format(fmt: str) -> str:
    """``csv`` or ``xlsx``; there is no file in any other format (404)."""
    if fmt not in TYPES:
        raise NotFound(f"no export format {fmt!r} (csv or xlsx)")
    return fmt


def _file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(_CHUNK):
            yield chunk
    finally:
        handle.close()


def download(export: exports.Export, fmt: str) -> Response:
    """Stream an export, read inside the response's own read-only transaction."""
    engine = get_state().engine
    headers = {"Content-Disposition": f'attachment; filename="{export.name}.{fmt}"'}
    if fmt == "csv":

        def generate() -> Iterator[bytes]:
            with transaction(engine, readonly=True) as session:
                yield from export.csv(session, exports.Tally())

        return Response(stream_with_context(generate()), mimetype=TYPES["csv"], headers=headers)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by _file_chunks once sent
    try:
        with transaction(engine, readonly=True) as session:
            export.write(session, fmt, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return Response(_file_chunks(spool), mimetype=TYPES["xlsx"], headers=headers)
