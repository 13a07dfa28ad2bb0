"""The REST client against the double: auth, paging, retries."""

from __future__ import annotations

import pytest

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from till.magento.client import MagentoError, MagentoUnavailable, criteria


def test_integration_token_is_signed_with_oauth_hmac_sha256(magento: MagentoDouble) -> None:
    async def go() -> list[dict[str, object]]:
        async with client_for(magento) as client:
            return await client.search_all("/V1/customerGroups/search")

    assert [g["code"] for g in run(go())] == ["NOT LOGGED IN", "General", "Wholesale", "Retailer"]


def test_a_wrong_secret_is_refused_with_magentos_message(magento: MagentoDouble) -> None:
    async def go() -> None:
        async with client_for(magento, consumer_secret="not-the-secret") as client:
            await client.get("/V1/store/websites")

    with pytest.raises(MagentoError, match="The signature is invalid"):
        run(go())


def test_paging_stops_on_total_count_although_magento_repeats_the_last_page(magento: MagentoDouble) -> None:
    async def go() -> list[list[str]]:
        pages = []
        async with client_for(magento, page_size=3) as client:
            async for items, total in client.search("/V1/products", sort=[("sku", "ASC")]):
                assert total == 8
                pages.append([i["sku"] for i in items])
        return pages

    pages = run(go())
    assert [len(p) for p in pages] == [3, 3, 2]
    assert len({sku for page in pages for sku in page}) == 8
    # The trap the client avoids: asking past the end answers the last page again.
    past_the_end = {
        "pageSize": "3",
        "currentPage": "9",
        "sortOrders": {"0": {"field": "sku", "direction": "ASC"}},
    }
    answer = magento.search(list(magento.products.values()), {"searchCriteria": past_the_end})
    assert [i["sku"] for i in answer["items"]] == pages[-1]


def test_filter_groups_and_filters_follow_magentos_and_or(magento: MagentoDouble) -> None:
    async def go() -> list[str]:
        async with client_for(magento) as client:
            items = await client.search_all(
                "/V1/products",
                [
                    [("type_id", "virtual", "eq"), ("type_id", "configurable", "eq")],
                    [("price", "50", "gteq")],
                ],
            )
            return sorted(i["sku"] for i in items)

    assert run(go()) == ["MH01"]


def test_429_and_5xx_are_retried_with_backoff(magento: MagentoDouble) -> None:
    magento.fail_before[("GET", "/V1/store/websites")] = [429, 503]

    async def go() -> tuple[object, int]:
        async with client_for(magento) as client:
            websites = await client.get("/V1/store/websites")
            return websites, client.stats.retries

    websites, retries = run(go())
    assert retries == 2 and isinstance(websites, list)


def test_a_post_that_may_have_been_done_is_not_repeated(magento: MagentoDouble) -> None:
    magento.fail_after[("POST", "/V1/customers")] = [504]

    async def go() -> None:
        async with client_for(magento) as client:
            await client.post(
                "/V1/customers", {"customer": {"email": "a@b.example", "firstname": "A", "lastname": "B"}}
            )

    before = len(magento.customers)
    with pytest.raises(MagentoUnavailable):
        run(go())
    assert len(magento.customers) == before + 1  # done once, and not a second time


def test_gives_up_after_max_attempts(magento: MagentoDouble) -> None:
    magento.fail_before[("GET", "/V1/store/websites")] = [503, 503, 503]

    async def go() -> None:
        async with client_for(magento, max_attempts=3) as client:
            await client.get("/V1/store/websites")

    with pytest.raises(MagentoUnavailable, match="503 after 3 tries"):
        run(go())


def test_criteria_are_magentos_query_parameters() -> None:
    assert criteria(
        [[("updated_at", "2026-01-01 00:00:00", "gteq")]], sort=[("updated_at", "ASC")], page_size=5, page=2
    ) == [
        ("searchCriteria[filter_groups][0][filters][0][field]", "updated_at"),
        ("searchCriteria[filter_groups][0][filters][0][value]", "2026-01-01 00:00:00"),
        ("searchCriteria[filter_groups][0][filters][0][condition_type]", "gteq"),
        ("searchCriteria[sortOrders][0][field]", "updated_at"),
        ("searchCriteria[sortOrders][0][direction]", "ASC"),
        ("searchCriteria[pageSize]", "5"),
        ("searchCriteria[currentPage]", "2"),
    ]
