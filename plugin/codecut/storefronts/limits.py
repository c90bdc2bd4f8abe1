"""What a signed storefront payload may hold: one home for every bound.

A signature proves who sent a delivery, not that it makes sense. Anything beyond these bounds is
the sender's mistake: the delivery is stored ``rejected`` with the reason, books nothing, and is
answered 2xx so the storefront stops retrying. At a bound a value is accepted; one above it is not.
The bounds are far beyond any real order, and keep every sum inside a 64-bit integer.
"""

from __future__ import annotations

from datetime import UTC, datetime

#: Each amount, and an order's total and base, in minor units (10^12 cents is 10 billion USD).
MAX_AMOUNT = 10**12
#: Lines in one order (or refunded lines in one refund).
MAX_LINES = 5_000
#: Discount codes on one order.
MAX_CODES = 100
#: Units of one line.
MAX_QUANTITY = 10**6
#: Refunds embedded in one order.
MAX_REFUNDS = 1_000
#: Characters of a storefront id (orders, lines, refunds), as text.
MAX_ID_LENGTH = 64
#: Characters of a discount code as typed, of an order's number, of a status word.
MAX_CODE_LENGTH = 255
MAX_NUMBER_LENGTH = 64
MAX_STATUS_LENGTH = 40
#: Moments outside this window are no real order's.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
