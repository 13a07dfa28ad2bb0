"""Signing in and signing calls as each Magento release 2.4.4 to 2.4.8 checks them (issue 13
items 1, 2 and 3): queries with spaces, skus with reserved characters, two-factor admin tokens."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pyotp
import pytest
from sqlalchemy import Engine

from tests.magento.conftest import client_for, connector_settings, run
from tests.magento.double import MagentoDouble
from tests.magento.store import add_simple, seed_till_shop
from till.magento.check import check
from till.magento.client import MagentoClient, MagentoError
from till.magento.pull import pull, pull_skus, salable_quantities
from till.storage.uow import UnitOfWork

#: Every character magento2#37830/#37913 name, in one sku.
ODD_SKU = "ABC/10&+,:@=$;x"


def _price(engine: Engine, sku: str) -> Decimal:
    with UnitOfWork(engine) as uow:
        return uow.catalog.products([sku])[sku].price


def test_a_delta_pull_reaches_every_release_although_its_filter_holds_a_space(
    sqlite_engine: Engine, any_magento: MagentoDouble
) -> None:
    """Item 1: `updated_at >= '2026-11-20 09:55:00'` — sent with `+` for the space, Magento up to
    2.4.7 (`rawurldecode`) signs a plus and answers 401 to every delta pull."""
    seed_till_shop(sqlite_engine)

    async def go(full: bool) -> None:
        async with client_for(any_magento) as client:
            await pull(sqlite_engine, client, full=full)

    run(go(True))
    any_magento.products["24-MB01"]["price"] = 41.0
    any_magento.products["24-MB01"]["updated_at"] = "2026-11-25 12:00:00"
    run(go(False))
    assert _price(sqlite_engine, "24-MB01") == Decimal("41.00")


def test_filter_values_with_spaces_and_plus_signs_are_signed_and_found(any_magento: MagentoDouble) -> None:
    any_magento.customers[next(iter(any_magento.customers))]["email"] = "ann+till@example.com"

    async def go() -> list[str]:
        async with client_for(any_magento) as client:
            found = await client.search_all(
                "/V1/customers/search",
                [[("email", "ann+till@example.com", "eq")], [("updated_at", "2000-01-01 00:00:00", "gteq")]],
            )
            return [c["email"] for c in found]

    assert run(go()) == ["ann+till@example.com"]


def test_skus_with_reserved_characters_are_signed_as_each_release_normalises_the_path(
    sqlite_engine: Engine, any_magento: MagentoDouble
) -> None:
    """Item 3: 2.4.6 and 2.4.7 decode `%2F`, `%26`… before signing the path; 2.4.4, 2.4.5 and
    2.4.8 sign it as sent. The webhook's re-read and every salable quantity use such paths."""
    seed_till_shop(sqlite_engine)
    add_simple(any_magento, 90, ODD_SKU, "12.50", nyc=4)

    async def go() -> dict[tuple[str, int], Decimal]:
        async with client_for(any_magento) as client:
            await pull(sqlite_engine, client, full=True, datasets=["inventory"])
            await pull_skus(sqlite_engine, client, [ODD_SKU])
            return await salable_quantities(client, [2], [ODD_SKU, "24-MB01"])

    salable = run(go())
    assert _price(sqlite_engine, ODD_SKU) == Decimal("12.50")
    assert salable == {(ODD_SKU, 2): Decimal("4.0000"), ("24-MB01", 2): Decimal("10.0000")}


def test_check_goes_red_when_the_store_would_refuse_a_paths_signature(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """A connector told to sign paths as sent, against a 2.4.7 store: its scopes are all there,
    but every salable quantity of a sku with a `/` would answer 401."""
    seed_till_shop(sqlite_engine)

    async def go(form: str) -> object:
        async with client_for(magento, oauth_path_form=form) as client:
            return await check(sqlite_engine, client)

    red = run(go("as_sent"))
    assert not red.ok  # type: ignore[attr-defined]
    assert any("signature" in p for p in red.problems)  # type: ignore[attr-defined]
    green = run(go("auto"))
    assert green.ok, (green.problems, green.missing)  # type: ignore[attr-defined]


def _admin(magento: MagentoDouble, **extra: object) -> dict[str, object]:
    return {
        "consumer_key": "",
        "access_token": "",
        "admin_username": magento.admin_username,
        "admin_password": magento.admin_password,
        **extra,
    }


def test_admin_mode_signs_in_through_two_factor_authentication(any_magento: MagentoDouble) -> None:
    """Item 2: Magento_TwoFactorAuth refuses /V1/integration/admin/token to every admin; the
    token comes from the Google Authenticator endpoint, and lives 60 minutes (a JWT)."""
    settings = connector_settings(
        any_magento, **_admin(any_magento, admin_totp_secret=any_magento.admin_totp_secret)
    )
    clock = {"now": 1_000_000.0}

    async def go() -> None:
        async with MagentoClient(settings, clock=lambda: clock["now"]) as client:
            await client.get("/V1/store/websites")
            assert len(any_magento.tokens) == 1
            clock["now"] += 50 * 60  # still young: the same token
            await client.get("/V1/store/websites")
            assert len(any_magento.tokens) == 1
            clock["now"] += 5 * 60  # 55 minutes: renewed before Magento's 60 run out
            await client.get("/V1/store/websites")
            assert len(any_magento.tokens) == 2

    run(go())


def test_admin_mode_without_a_totp_secret_says_why_magento_refuses(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    async def go() -> object:
        async with MagentoClient(connector_settings(magento, **_admin(magento))) as client:
            return await check(sqlite_engine, client)

    report = run(go())
    assert "TILL_MAGENTO_ADMIN_TOTP_SECRET" in (report.error or "")  # type: ignore[attr-defined]
    assert "2fa" in (report.error or "")  # type: ignore[attr-defined]

    # A wrong code is refused by Magento, not taken for a working sign-in.
    async def wrong() -> None:
        secret = pyotp.random_base32()
        settings = connector_settings(magento, **_admin(magento, admin_totp_secret=secret))
        async with MagentoClient(settings) as client:
            await client.get("/V1/store/websites")

    with pytest.raises(MagentoError, match="Invalid code"):
        run(wrong())


def test_calls_refused_together_renew_the_admin_token_once(magento: MagentoDouble) -> None:
    """Without 2FA (a store that turned it off): the plain admin token route; four calls refused
    at once with a token Magento forgot fetch one new token, not four."""
    magento.two_factor = False
    settings = connector_settings(magento, **_admin(magento))

    async def go() -> None:
        async with MagentoClient(settings) as client:
            await client.get("/V1/store/websites")
            magento.tokens.clear()  # Magento forgot the token (revoked, or it expired early)
            await asyncio.gather(*(client.get("/V1/store/websites") for _ in range(4)))

    run(go())
    assert len(magento.tokens) == 1
