"""Catalog rules: EAV typing, final price, configurable variants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from till.domain.catalog import (
    Attribute,
    AttributeOption,
    CatalogError,
    Product,
    SpecialPrice,
    TierPrice,
    variant_for,
)

SIZE = Attribute("size", "Size", "int", "select", (AttributeOption("1", "S"), AttributeOption("2", "M")))


def test_attribute_values_are_typed_by_backend() -> None:
    assert Attribute("weight", "Weight", "decimal").coerce("1.250") == Decimal("1.250")
    assert Attribute("care", "Care", "int").coerce("3") == 3
    assert SIZE.coerce("2") == 2
    with pytest.raises(CatalogError, match="not an option"):
        SIZE.coerce("9")
    with pytest.raises(CatalogError, match="decimal values"):
        Attribute("weight", "Weight", "decimal").coerce(1.5)


def test_final_price_is_the_lowest_of_price_special_and_tier() -> None:
    product = Product(
        sku="TEE",
        name="Tee",
        price=Decimal("20.00"),
        special_price=SpecialPrice(Decimal("18.00"), date(2026, 11, 1), date(2026, 11, 30)),
        tier_prices=(TierPrice(Decimal("3"), Decimal("17.00")), TierPrice(Decimal("1"), Decimal("15.00"), 2)),
    )
    assert product.final_price(date(2026, 11, 25), 1) == Decimal("18.00")
    assert product.final_price(date(2026, 12, 1), 1) == Decimal("20.00")
    assert product.final_price(date(2026, 12, 1), 1, Decimal("3")) == Decimal("17.00")
    assert product.final_price(date(2026, 12, 1), 2) == Decimal("15.00")


def test_a_configurable_product_resolves_to_the_chosen_variant() -> None:
    parent = Product(sku="HOOD", name="Hoodie", type="configurable", configurable_attributes=("size",))
    small = Product(sku="HOOD-S", name="Hoodie S", parent_sku="HOOD", attributes={"size": 1})
    medium = Product(sku="HOOD-M", name="Hoodie M", parent_sku="HOOD", attributes={"size": 2})
    assert variant_for(parent, [small, medium], {"size": "2"}) is medium
    assert not parent.is_sellable and medium.is_sellable
    with pytest.raises(CatalogError, match="choose size"):
        variant_for(parent, [small, medium], {})
    with pytest.raises(CatalogError, match="no variant"):
        variant_for(parent, [small, medium], {"size": "3"})


def test_bad_products_are_refused() -> None:
    with pytest.raises(CatalogError):
        Product(sku="", name="Nothing")
    with pytest.raises(CatalogError):
        Product(sku="X", name="X", price=Decimal("-1"))
    with pytest.raises(CatalogError):
        Product(sku="X", name="X", type="configurable")
