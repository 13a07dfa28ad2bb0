"""The tender mapping as `till magento check` would report it (issue 13 item 9)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from till.magento.check import CheckReport, check
from till.magento.orders import payment_method_problems
from till.magento.settings import MagentoSettings


def test_the_default_mapping_names_the_tenders_whose_sales_would_not_be_exported() -> None:
    problems = payment_method_problems(MagentoSettings(_env_file=None).payment_methods)  # type: ignore[call-arg]
    assert problems == [
        "the till's card tender has no Magento payment method: its sales are not exported "
        "(set it in TILL_MAGENTO_PAYMENT_METHODS)",
        "the till's other tender has no Magento payment method: its sales are not exported "
        "(set it in TILL_MAGENTO_PAYMENT_METHODS)",
        *(
            f"the till's {tender} tender has no Magento payment method: its sales are not exported "
            "(set it in TILL_MAGENTO_PAYMENT_METHODS)"
            for tender in ("gift_card", "store_credit", "on_account")
        ),
    ]


#: The ledger tenders (docs/ledgers.md) under a code stock Magento declares, as a shop may map them.
LEDGERS = {"gift_card": "checkmo", "store_credit": "checkmo", "on_account": "purchaseorder"}


def test_a_code_stock_magento_does_not_declare_is_named_for_a_person_to_confirm() -> None:
    mapping = {"cash": "cashondelivery", "card": "pos_card", "other": "checkmo", **LEDGERS}
    assert payment_method_problems(mapping) == [
        "'pos_card' (for card) is not a method stock Magento declares: make sure a module of the "
        "store declares payment/pos_card/model, or Magento will not invoice these sales"
    ]


def test_check_goes_red_for_a_tender_whose_sales_would_not_be_exported(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """`till magento check` says what the export would refuse: an unmapped tender is a problem,
    a code stock Magento does not declare a warning for a person to confirm."""
    seed_till_shop(sqlite_engine)

    async def go(mapping: dict[str, str]) -> CheckReport:
        async with client_for(magento, payment_methods=mapping) as client:
            return await check(sqlite_engine, client)

    red = run(go({"cash": "cashondelivery"}))
    assert not red.ok
    assert [p for p in red.problems if "tender" in p] == payment_method_problems({"cash": "cashondelivery"})
    green = run(go({"cash": "cashondelivery", "card": "pos_card", "other": "checkmo", **LEDGERS}))
    paying = [w for w in green.warnings if "Till_Pos" not in w]  # (the module's are elsewhere)
    assert green.ok and paying == payment_method_problems({"card": "pos_card"})[-1:]
