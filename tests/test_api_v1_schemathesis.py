"""Schemathesis against the live admin API (WSGI, both databases): generated requests, valid and
not, never get a 5xx, and every answer matches the OpenAPI document (status, content type,
schema). ``CODECUT_FUZZ_EXAMPLES`` sets the examples per operation (a longer run is ``slow``)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from builders import make_app
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from codecut.access import apikeys
from codecut.db import transaction
from codecut.state import get_state

EXAMPLES = int(os.environ.get("CODECUT_FUZZ_EXAMPLES", "15"))


def _run(app: Any, examples: int) -> None:
    with transaction(get_state(app).engine) as session:
        _row, key = apikeys.create_key(session, name="fuzz", scope="admin", actor="test")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
            response = case.call()
            assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
            # A syntactically valid string may still not be a cursor this API gave out (a 400,
            # as documented): the one rule of a valid-looking request that the schema cannot say.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as error:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:2000])
    assert failures == []


def test_generated_requests_get_documented_answers(database_url, tmp_path) -> None:
    app = make_app(database_url, tmp_path)
    _run(app, EXAMPLES)
    get_state(app).engine.dispose()


@pytest.mark.slow
def test_generated_requests_at_length(database_url, tmp_path) -> None:
    app = make_app(database_url, tmp_path)
    _run(app, 200)
    get_state(app).engine.dispose()
