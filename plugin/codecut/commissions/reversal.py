"""Refund arithmetic: how much of a commission the refunds so far take back.

Refunds are proportional and computed on cumulative totals, so refunding everything reverses
exactly the commission, to the minor unit, whatever the number and order of the refunds. Integers
only: no floats, one rounding (half-up).
"""

from __future__ import annotations

from ..money import divide_half_up


def reversal_target(
    commission: int, base: int, money_base: int, refunded_goods: int, refunded_money: int
) -> int:
    """How much of ``commission`` all refunds so far take back, rounded half-up once.

    The refunded fraction is ``min(goods, base) / base`` plus ``min(money, money_base) /
    money_base`` (refunds with goods detail count as goods, the others as money; ``money_base`` is
    the order total without shipping), capped at 1. A zero base with something refunded counts
    as fully refunded. Computed exactly with integers: no floats, one rounding.
    """
    goods_num, goods_den = _fraction(refunded_goods, base)
    money_num, money_den = _fraction(refunded_money, money_base)
    numerator = goods_num * money_den + money_num * goods_den
    denominator = goods_den * money_den
    if numerator >= denominator:
        return commission
    return divide_half_up(commission * numerator, denominator)


def _fraction(part: int, whole: int) -> tuple[int, int]:
    part = max(part, 0)
    if whole <= 0:
        return (1 if part > 0 else 0), 1
    return min(part, whole), whole


def next_reversal(commission: int, already_reversed: int, target: int) -> int:
    """What one more reversal takes back (positive): up to the target, never past the commission."""
    return max(0, min(target, commission) - already_reversed)
