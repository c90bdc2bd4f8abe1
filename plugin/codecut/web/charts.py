"""The weekly earnings chart, drawn on the server as inline SVG.

No script and no style attribute (both would break the strict Content-Security-Policy): shapes use
SVG presentation attributes and classes styled by ``portal.css``. The SVG is an image for screen
readers, with a title and a one-sentence summary; the page puts the same figures in a table next to
it for anyone who wants the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from markupsafe import Markup, escape

from ..money import exponent
from ..reads.portal import Week

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 60, 8, 14, 30
GRID_LINES = 4


def nice_step(span: int, currency: str | None) -> int:
    """A gridline step of 1, 2 or 5 x 10^n minor units, never below one whole currency unit
    (or below 1 for counts, ``currency=None``)."""
    raw = max(1, -(-span // GRID_LINES))
    power = int(10 ** (len(str(raw)) - 1))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return max(step, int(10 ** exponent(currency)) if currency else 1)


def weekly_chart(
    weeks: list[Week],
    currency: str | None,
    *,
    money: Callable[[int, str], str],
    tick: Callable[[int, str], str],
    day: Callable[[date], str],
    month: Callable[[date], str],
    chart_id: str = "earnings",
    title: str | None = None,
) -> Markup:
    """Bars for each week's figure (net earnings unless ``title`` says otherwise); negative
    weeks (refunds) hang below the zero line. ``currency=None`` draws a count, and ``money`` and
    ``tick`` are then called with an empty currency."""
    unit = currency or ""
    top_value = max([0, *(week.amount for week in weeks)])
    bottom_value = min([0, *(week.amount for week in weeks)])
    step = nice_step(max(1, top_value - bottom_value), currency)
    high = -(-top_value // step) * step if top_value else step
    low = (bottom_value // step) * step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: int) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    total = sum(week.amount for week in weeks)
    best = max(weeks, key=lambda week: week.amount) if weeks else None
    summary = f"Total {money(total, unit)} over {len(weeks)} weeks."
    if best and best.amount > 0:
        summary += f" Best week: {day(best.starts_on)}, {money(best.amount, unit)}."
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title or f"Earnings per week, {unit}")}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    value = low
    while value <= high:
        gy = round(y(value), 1)
        css = "axis" if value == 0 else "grid"
        parts.append(f'<line class="{css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{gy}" y2="{gy}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{gy + 4}" text-anchor="end">'
            f"{escape(tick(value, unit))}</text>"
        )
        value += step
    slot = plot_w / max(1, len(weeks))
    bar = slot * 0.7
    zero = y(0)
    previous_month = None
    for index, week in enumerate(weeks):
        x = LEFT + index * slot + (slot - bar) / 2
        top, bottom = sorted((y(week.amount), zero))
        css = "bar negative" if week.amount < 0 else "bar"
        label = f"Week of {day(week.starts_on)}: {money(week.amount, unit)}"
        parts.append(
            f'<rect class="{css}" x="{x:.1f}" y="{top:.1f}" width="{bar:.1f}" '
            f'height="{max(bottom - top, 0.5 if week.amount else 0):.1f}">'
            f"<title>{escape(label)}</title></rect>"
        )
        if week.starts_on.month != previous_month:
            previous_month = week.starts_on.month
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}">'
                f"{escape(month(week.starts_on))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
