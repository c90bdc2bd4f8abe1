"""``codecut code push``: a campaign's codes created in Shopify (one discount, bulk jobs of 250)
and WooCommerce (coupon batches of 100), resumable and idempotent, through the stand-ins over
real HTTP with their limits and faults."""

from __future__ import annotations

import json

from sqlmodel import Session, select
from store_sync_support import ok, shopify_programme, woo_programme

from codecut.models import Campaign, CodePush
from codecut.state import get_state


def _states(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with Session(get_state(app).engine) as session:
        counts: dict[str, int] = {}
        for row in session.exec(select(CodePush)):
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts


def _push(cli, campaign: str = "launch", *extra: str) -> dict:  # type: ignore[no-untyped-def]
    result = cli("code", "push", "--campaign", campaign, "--json", *extra)
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def test_shopify_gets_one_discount_and_the_codes_in_bulk_jobs(sapp, scli, shop) -> None:
    codes = shopify_programme(scli, shop, influencers=260)
    assert _push(scli, "launch", "--dry-run")["to_push"] == 260
    assert shop.fake.discounts == {}  # a dry run calls nothing
    report = _push(scli)
    assert (report["pushed"], report["failed"], report["already_in_store"]) == (260, [], 0)
    [discount] = shop.fake.discounts.values()
    terms = discount["input"]
    assert terms["customerGets"]["value"] == {"percentage": 0.15}
    assert terms["appliesOncePerCustomer"] is True
    assert terms["combinesWith"] == {
        "productDiscounts": False,
        "orderDiscounts": False,
        "shippingDiscounts": True,
    }
    assert all(shop.fake.holds(code) for code in codes)
    # The first code makes the discount; 259 more go in two bulk jobs (250 + 9), each polled.
    ops = shop.fake.operations
    assert ops.count("discountCodeBasicCreate") == 1
    assert ops.count("discountRedeemCodeBulkAdd") == 2
    assert ops.count("discountRedeemCodeBulkCreation") >= 4  # one "not done" + done, per job
    with Session(get_state(sapp).engine) as session:
        campaign = session.exec(select(Campaign)).one()
        assert campaign.shop_discount_id in shop.fake.discounts
    # Idempotent: a second run pushes nothing.
    before = len(shop.fake.operations)
    again = _push(scli)
    assert (again["pushed"], again["already_in_store"]) == (0, 260)
    assert len(shop.fake.operations) == before


def test_codes_the_shop_holds_or_refuses_are_reported_by_name(sapp, scli, shop) -> None:
    codes = shopify_programme(scli, shop, influencers=4)
    ok(scli("code", "push", "--campaign", "launch", "--dry-run"))
    # Someone made LAUNCH0002 by hand in the shop, and the shop refuses LAUNCH0003.
    shop.fake.codes["LAUNCH0002"] = ("gid://shopify/DiscountCodeNode/1", "gid://x")
    shop.fake.refuse["LAUNCH0003"] = "Code contains invalid characters"
    result = scli("code", "push", "--campaign", "launch")
    assert result.exit_code == 1
    assert "failed\tLAUNCH0002\tTAKEN: Code must be unique" in result.output
    assert "failed\tLAUNCH0003\tINVALID: Code contains invalid characters" in result.output
    assert "pushed 2, failed 2" in result.output
    assert _states(sapp) == {"pushed": 2, "failed": 2}
    # Fixed in the shop: the next run pushes only the two that failed.
    del shop.fake.codes["LAUNCH0002"]
    shop.fake.refuse.clear()
    report = _push(scli)
    assert (report["pushed"], report["already_in_store"]) == (2, 2)
    assert all(shop.fake.holds(code) for code in codes)


def test_throttling_429_and_500_are_waited_out(sapp, scli, shop) -> None:
    shopify_programme(scli, shop, influencers=3)
    shop.fake.throttle_next()
    shop.fake.rate_limit_next(retry_after=0.2)
    shop.fake.fail_next(500)
    shop.fake.restore_rate = 500.0  # the bucket refills in 2 s
    report = _push(scli)
    assert report["pushed"] == 3 and report["failed"] == []
    assert report["seconds_waiting_on_store"] > 0.2


def test_a_killed_run_resumes_by_polling_its_job(sapp, scli, shop) -> None:
    codes = shopify_programme(scli, shop, influencers=5)
    shop.fake.job_polls = 10**6  # the bulk job never finishes while this run waits
    from codecut.storesync import push

    push.JOB_PATIENCE_SECONDS = 0.5
    try:
        result = scli("code", "push", "--campaign", "launch")
    finally:
        push.JOB_PATIENCE_SECONDS = 600
    assert result.exit_code == 1 and "still running" in result.output
    assert _states(sapp) == {"pushed": 1, "submitted": 4}
    adds = shop.fake.operations.count("discountRedeemCodeBulkAdd")
    for job in shop.fake.jobs.values():
        job["polls_left"] = 0
    shop.fake.job_polls = 0
    report = _push(scli)
    assert report["pushed"] == 4 and _states(sapp) == {"pushed": 5}
    assert shop.fake.operations.count("discountRedeemCodeBulkAdd") == adds  # polled, not re-added
    assert all(shop.fake.holds(code) for code in codes)


def test_a_paused_influencer_s_code_is_taken_out_of_the_shop(sapp, scli, shop) -> None:
    codes = shopify_programme(scli, shop, influencers=3)
    _push(scli)
    ok(scli("influencer", "set-status", "creator1@example.com", "paused"))
    report = _push(scli)
    assert report["deactivated"] == [codes[1]]
    assert not shop.fake.holds(codes[1]) and shop.fake.holds(codes[0])
    ok(scli("influencer", "set-status", "creator1@example.com", "active"))
    assert _push(scli)["pushed"] == 1 and shop.fake.holds(codes[1])


def test_woocommerce_coupons_in_batches_of_100(sapp, scli, woo) -> None:
    codes = woo_programme(scli, woo, influencers=205)
    woo.fake.rate_limit_next(retry_after=0.1)
    woo.fake.fail_next(500)
    report = _push(scli, "woo")
    assert (report["pushed"], report["failed"]) == (205, [])
    batches = [r for r in woo.fake.requests if r == ("POST", "/wp-json/wc/v3/coupons/batch")]
    assert len(batches) == 3 + 2  # 100 + 100 + 5, and the two that were answered 429 and 500
    coupon = woo.fake.coupon(codes[0])
    assert coupon is not None and coupon["code"] == codes[0].lower()  # WooCommerce lower-cases
    assert (coupon["discount_type"], coupon["amount"], coupon["individual_use"]) == (
        "fixed_cart",
        "5.00",
        True,
    )
    assert _push(scli, "woo")["already_in_store"] == 205


def test_woocommerce_names_an_existing_coupon_and_recognises_its_own(sapp, scli, woo) -> None:
    codes = woo_programme(scli, woo, influencers=3)
    woo.fake._create({"code": codes[0]})  # made by hand in the shop: not ours
    woo.fake._create(
        {"code": codes[1], "meta_data": [{"key": "_codecut_code_id", "value": "2"}]}
    )  # ours, from a run killed before it recorded the answer
    result = scli("code", "push", "--campaign", "woo")
    assert result.exit_code == 1
    assert f"failed\t{codes[0]}\twoocommerce_rest_coupon_code_already_exists" in result.output
    assert _states(sapp) == {"failed": 1, "pushed": 2}
    ok(scli("influencer", "set-status", "creator2@example.com", "terminated"))
    result = scli("code", "push", "--campaign", "woo")
    assert f"taken out\t{codes[2]}" in result.output
    coupon = woo.fake.coupon(codes[2])
    assert coupon is not None and coupon["status"] == "draft"


def test_bad_input_is_one_line(sapp, scli, shop) -> None:
    shopify_programme(scli, shop, influencers=1)
    unknown = scli("code", "push", "--campaign", "nope")
    assert unknown.exit_code == 1 and "no campaign" in unknown.output
    ok(
        scli(
            "campaign",
            "add",
            "--store",
            "sync-shop.myshopify.com",
            "--name",
            "Bare",
            "--slug",
            "bare",
        )
    )
    bare = scli("code", "push", "--campaign", "bare")
    assert bare.exit_code == 1 and "has no customer discount to push" in bare.output
    for args, message in [
        (("--customer-discount", "15"), "ambiguous"),
        (("--customer-discount", "150%"), "between 0% and 100%"),
        (("--customer-discount", "5.00 EUR"), "store's currency"),
        (("--combines-with", "everything"), "--combines-with takes product, order, shipping"),
    ]:
        result = scli("campaign", "update", "bare", *args)
        assert result.exit_code == 1 and message in result.output, result.output
    _push(scli)
    live = scli("campaign", "update", "launch", "--customer-discount", "20%")
    assert live.exit_code == 1 and "exists in the store already" in live.output
