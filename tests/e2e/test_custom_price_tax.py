"""A typed price is Magento's custom price: the store's "Apply Tax On" setting decides which price
the server taxes when it re-checks a sale (`tax/calculation/apply_tax_on`)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, update

from tests.e2e.conftest import Live, priced, sale_payload
from till.storage.tables.store import settings

CENT = Decimal("0.01")


def _apply_tax_on(live: Live, value: str) -> None:
    with live.engine.begin() as conn:
        config = conn.execute(select(settings.c.value).where(settings.c.key == "tax_config")).scalar_one()
        conn.execute(
            update(settings)
            .where(settings.c.key == "tax_config")
            .values(value={**config, "apply_tax_on": value})
        )


def _taxed_sku(live: Live) -> tuple[str, Decimal]:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    for product in found:
        if product["type"] != "simple" or product["special_price"] or Decimal(product["price"]) < 10:
            continue
        return product["sku"], Decimal(product["price"])
    raise LookupError("no plain simple product of 10 or more")


def _line(sku: str, price: Decimal, override: bool) -> dict[str, object]:
    return {"sku": sku, "qty": "2", "unit_price": str(price), "price_override": override}


def _server_totals(live: Live, sku: str, price: Decimal, receipt: str) -> dict[str, str]:
    """What the shared engine makes of 2 units at `price`, not overridden."""
    probe = sale_payload(live, key=f"probe-{uuid.uuid4()}", receipt=receipt, lines=[_line(sku, price, False)])
    totals: dict[str, str] = priced(live, probe)["totals"]
    return totals


def test_original_price_only_taxes_the_catalog_price_of_an_overridden_line(live: Live) -> None:
    """With "Original price only", a line sold at a typed price is taxed on the catalog's price
    (Magento's `CommonTaxCollector::mapItem`), the row and subtotal stay at the typed price: the
    till's totals, computed that way, match the server's and the order keeps them."""
    _apply_tax_on(live, "original")
    sku, catalog = _taxed_sku(live)
    typed = (catalog / 2).quantize(CENT, ROUND_HALF_UP)
    at_catalog = _server_totals(live, sku, catalog, "NYC1-000700")
    at_typed = _server_totals(live, sku, typed, "NYC1-000701")
    tax_on_catalog = Decimal(at_catalog["tax"])
    assert tax_on_catalog > Decimal(at_typed["tax"]) > 0  # the product is taxed at the shop
    subtotal = typed * 2
    shown = {
        "subtotal": str(subtotal),
        "discount": "0.00",
        "tax": str(tax_on_catalog),
        "grand_total": str(subtotal + tax_on_catalog),
    }
    payload = sale_payload(
        live,
        key=f"sale-{uuid.uuid4()}",
        receipt="NYC1-000702",
        lines=[_line(sku, typed, True)],
        totals=shown,
        payments=[{"method": "cash", "amount": shown["grand_total"]}],
    )
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [payload]}).json()["sales"]
        listed = till.get("/api/orders", params={"receipt_number": "NYC1-000702"}).json()
    assert result["status"] == "accepted", result
    assert "totals_mismatch" not in result["flags"], result["flags"]
    assert "price_override" in result["flags"]
    assert listed[0]["grand_total"] == shown["grand_total"]


def test_custom_price_taxes_the_typed_price_by_default(live: Live) -> None:
    """Magento's default ("Custom price if available"): the typed price is taxed, so a till that
    taxed the catalog's price instead is flagged."""
    sku, catalog = _taxed_sku(live)
    typed = (catalog / 2).quantize(CENT, ROUND_HALF_UP)
    at_catalog = _server_totals(live, sku, catalog, "NYC1-000710")
    subtotal = typed * 2
    wrong = {
        "subtotal": str(subtotal),
        "discount": "0.00",
        "tax": at_catalog["tax"],
        "grand_total": str(subtotal + Decimal(at_catalog["tax"])),
    }
    payload = sale_payload(
        live,
        key=f"sale-{uuid.uuid4()}",
        receipt="NYC1-000711",
        lines=[_line(sku, typed, True)],
        totals=wrong,
        payments=[{"method": "cash", "amount": wrong["grand_total"]}],
    )
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [payload]}).json()["sales"]
    assert result["status"] == "accepted", result
    assert "totals_mismatch" in result["flags"]
