"""The coupon-site rule: the order came from a coupon aggregator or deal site.

The sites are the documented list in ``coupon_sites.txt`` beside this module (one domain a line),
plus a brand's own file of the same form named by ``CODECUT_COUPON_SITES_FILE``. An order
matches when one of its sources (:attr:`~codecut.storefronts.base.OrderEvent.sources`: the
landing and referring hosts and their ``utm_source``/``ref`` values) is a listed domain or a
subdomain of one, or names one (``utm_source=retailmenot``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files

NAME = "coupon_site"


@cache
def sites() -> frozenset[str]:
    """The listed domains, lowercase, read once."""
    return read_sites(files(__package__).joinpath("coupon_sites.txt").read_text(encoding="utf-8"))


@cache
def _names() -> frozenset[str]:
    """Each listed domain's name without its suffix: ``retailmenot`` for ``retailmenot.com``."""
    return frozenset(site.split(".", 1)[0] for site in sites())


def read_sites(text: str) -> frozenset[str]:
    """Domains from a list's text: one a line, ``#`` comments and blank lines skipped."""
    lines = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line)


def matches(source: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether one source is a listed site (the packaged list or ``extra``), a subdomain of one,
    or names one."""
    source = source.lower().removeprefix("www.")
    if "." not in source:
        return source in _names() or any(site.split(".", 1)[0] == source for site in extra)
    labels = source.split(".")
    return any(
        ".".join(labels[i:]) in sites() or ".".join(labels[i:]) in extra
        for i in range(len(labels) - 1)
    )


def fires(sources: Iterable[str], extra: frozenset[str] = frozenset()) -> bool:
    return any(matches(source, extra) for source in sources)
