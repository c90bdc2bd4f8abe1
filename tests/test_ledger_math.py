"""The reversal arithmetic on its own: cumulative, proportional, never past the commission."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from codecut.commissions.reversal import next_reversal, reversal_target
from codecut.commissions.rule import CommissionRule as Rule


def test_percentage_is_applied_once_half_up() -> None:
    assert Rule(rate_bps=1000, flat=None).commission(58700) == 5870
    assert Rule(rate_bps=1250, flat=None).commission(1004) == 126  # 125.5 -> 126
    assert Rule(rate_bps=1250, flat=None).commission(1003) == 125  # 125.375 -> 125
    assert Rule(rate_bps=None, flat=500).commission(123456) == 500


def test_worked_example_two_partial_refunds_then_the_rest() -> None:
    # 10% of 587.00 = 58.70. Refund 195.66 of goods: 58.70 x 195.66 / 587.00 = 19.566 -> 19.57.
    assert reversal_target(5870, 58700, 59894, 19566, 0) == 1957
    # Then 195.67 more, cumulative 391.33: 39.133 -> 39.13, so this refund takes 39.13 - 19.57.
    second = reversal_target(5870, 58700, 59894, 39133, 0)
    assert next_reversal(5870, 1957, second) == 1956
    # Everything refunded reverses exactly what was earned.
    assert reversal_target(5870, 58700, 59894, 58700, 0) == 5870


def test_money_only_refunds_use_the_order_total_without_shipping() -> None:
    # No goods detail: 41.94 of a 419.40 total (shipping excluded) takes back 10%.
    assert reversal_target(1000, 40000, 41940, 0, 4194) == 100
    # Goods and money fractions add up, capped at the whole commission.
    assert reversal_target(1000, 40000, 41940, 30000, 20970) == 1000


def test_zero_base_and_zero_total_never_divide_by_zero() -> None:
    assert reversal_target(500, 0, 0, 0, 0) == 0
    assert reversal_target(500, 0, 0, 1, 0) == 500  # a flat commission on a free order


refund = st.tuples(st.booleans(), st.integers(min_value=0, max_value=200_000))


@given(
    base=st.integers(min_value=0, max_value=10_000_000),
    shipping_free_total=st.integers(min_value=0, max_value=12_000_000),
    rule=st.one_of(
        st.builds(lambda bps: Rule(rate_bps=bps, flat=None), st.integers(0, 10_000)),
        st.builds(lambda flat: Rule(rate_bps=None, flat=flat), st.integers(0, 100_000)),
    ),
    refunds=st.lists(refund, max_size=8),
)
def test_reversals_never_exceed_the_commission_and_a_full_refund_nets_to_zero(
    base: int, shipping_free_total: int, rule: Rule, refunds: list[tuple[bool, int]]
) -> None:
    commission = rule.commission(base)
    goods = money = reversed_ = 0
    for has_goods, value in refunds:
        if has_goods:
            goods += value
        else:
            money += value
        step = next_reversal(
            commission,
            reversed_,
            reversal_target(commission, base, shipping_free_total, goods, money),
        )
        assert step >= 0
        reversed_ += step
        assert reversed_ <= commission
    # Refund whatever goods are left: the commission nets to exactly zero.
    final = reversal_target(commission, base, shipping_free_total, goods + max(base, 1), money)
    reversed_ += next_reversal(commission, reversed_, final)
    assert reversed_ == commission


@given(
    base=st.integers(min_value=1, max_value=10_000_000),
    bps=st.integers(min_value=0, max_value=10_000),
    cuts=st.lists(st.integers(min_value=1, max_value=10_000_000), max_size=6),
)
def test_splitting_all_goods_into_any_refunds_reverses_exactly(
    base: int, bps: int, cuts: list[int]
) -> None:
    commission = Rule(rate_bps=bps, flat=None).commission(base)
    points = sorted({min(c, base) for c in cuts} | {base})
    reversed_ = 0
    for cumulative in points:
        reversed_ += next_reversal(
            commission, reversed_, reversal_target(commission, base, base, cumulative, 0)
        )
    assert reversed_ == commission
