"""Code normalization and generation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codecut.errors import InvalidInput
from codecut.programme import codes


def test_normalize_trims_and_uppercases() -> None:
    assert codes.normalize("  anna15 ") == "ANNA15"
    assert (
        codes.normalize("\uff21\uff2e\uff2e\uff21\uff11\uff15") == "ANNA15"
    )  # full-width, as some keyboards type


def test_generated_codes_avoid_look_alikes() -> None:
    for _ in range(200):
        code = codes.generate("Zoë")
        suffix = code[len("ZOE") :]
        assert code.startswith("ZOE")
        assert not set(suffix) & set("01OIL")


def test_generated_code_skips_taken_ones() -> None:
    taken = {f"ANNA{a}{b}{c}{d}" for a in "23" for b in "23" for c in "23" for d in "23"}
    assert codes.generate("Anna", taken) not in taken


def test_prefix_from_name() -> None:
    assert codes.name_prefix("Anna Müller") == "ANNAMULL"
    assert codes.name_prefix("李雷") == "LILEI"  # transliterated
    assert codes.name_prefix("Søren Lindqvist") == "SORENLIN"
    assert codes.name_prefix("!!!") == "CODE"


@pytest.mark.parametrize("bad", ["", "A", "has space", "ÄÖ!", "X" * 40])
def test_vanity_codes_are_validated(bad: str) -> None:
    with pytest.raises(InvalidInput):
        codes.validate_vanity(bad)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=20))
def test_normalize_is_idempotent_and_case_blind(text: str) -> None:
    assert (
        codes.normalize(text)
        == codes.normalize(text.upper())
        == codes.normalize(codes.normalize(text))
    )
