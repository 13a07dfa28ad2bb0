"""A small Magento store for the double (Luma-like names), and the Till side a shop needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from tests.magento.double import MagentoDouble
from till.domain.staff import Role
from till.services.auth import add_staff
from till.storage import tables as t
from till.storage.events import Actor
from till.storage.feed import ensure_sequencer

STAMP = "2026-11-20 10:00:00"
COLOR, SIZE, MATERIAL, BARCODE, DESCRIPTION, WEIGHT = 93, 144, 136, 150, 75, 82
#: Where each sku starts: (nyc_store, nj_warehouse).
START_STOCK = {
    "24-MB01": (10, 100),
    "24-MB02": (2, 0),
    "MH01-S-Black": (3, 20),
    "MH01-M-Black": (1, 20),
    "MH01-L-Red": (0, 5),
    "GC-25": (1000, 0),
}


def _attribute(
    attribute_id: int, code: str, backend: str, frontend: str, label: str, **extra: Any
) -> dict[str, Any]:
    return {
        "attribute_id": attribute_id,
        "attribute_code": code,
        "backend_type": backend,
        "frontend_input": frontend,
        "default_frontend_label": label,
        "is_required": False,
        "is_user_defined": True,
        "options": extra.get("options", []),
    }


def _product(
    product_id: int,
    sku: str,
    name: str,
    type_id: str,
    price: str,
    set_id: int,
    custom: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": product_id,
        "sku": sku,
        "name": name,
        "attribute_set_id": set_id,
        "price": float(price),
        "status": 1,
        "visibility": 4,
        "type_id": type_id,
        "created_at": STAMP,
        "updated_at": extra.get("updated_at", STAMP),
        "extension_attributes": extra.get("ext", {}),
        "media_gallery_entries": extra.get("media", []),
        "tier_prices": extra.get("tiers", []),
        "custom_attributes": [{"attribute_code": k, "value": v} for k, v in custom.items()],
    }


def seed_magento(double: MagentoDouble) -> MagentoDouble:
    """Websites, tax, groups, EAV attributes and sets, categories, products (simple, special and
    tier priced, configurable with children, virtual, bundle), customers and MSI stock."""
    d = double
    d.websites = [
        {"id": 0, "code": "admin", "name": "Admin"},
        {"id": 1, "code": "base", "name": "Main Website"},
    ]
    d.store_groups = [
        {
            "id": 1,
            "website_id": 1,
            "root_category_id": 2,
            "default_store_id": 1,
            "name": "Main Website Store",
            "code": "main_website_store",
        }
    ]
    d.store_views = [
        {
            "id": 1,
            "code": "default",
            "name": "Default Store View",
            "website_id": 1,
            "store_group_id": 1,
            "is_active": 1,
        }
    ]
    d.store_configs = [
        {
            "id": 1,
            "code": "default",
            "website_id": 1,
            "locale": "en_US",
            "base_currency_code": "USD",
            "default_display_currency_code": "USD",
            "timezone": "America/New_York",
        }
    ]
    d.tax_classes = [
        {"class_id": 2, "class_name": "Taxable Goods", "class_type": "PRODUCT"},
        {"class_id": 3, "class_name": "Retail Customer", "class_type": "CUSTOMER"},
        {"class_id": 5, "class_name": "Wholesale Customer", "class_type": "CUSTOMER"},
    ]
    d.tax_rates = [
        {
            "id": 1,
            "code": "US-NY-*-Rate 1",
            "tax_country_id": "US",
            "tax_region_id": 43,
            "region_name": "NY",
            "tax_postcode": "*",
            "rate": 8.875,
        },
        {
            "id": 2,
            "code": "US-CA-*-Rate 1",
            "tax_country_id": "US",
            "tax_region_id": 12,
            "region_name": "CA",
            "tax_postcode": "*",
            "rate": 8.25,
        },
    ]
    d.tax_rules = [
        {
            "id": 1,
            "code": "US retail",
            "priority": 0,
            "position": 0,
            "calculate_subtotal": False,
            "customer_tax_class_ids": [3, 5],
            "product_tax_class_ids": [2],
            "tax_rate_ids": [1, 2],
        },
    ]
    d.customer_groups = [
        {"id": 0, "code": "NOT LOGGED IN", "tax_class_id": 3, "tax_class_name": "Retail Customer"},
        {"id": 1, "code": "General", "tax_class_id": 3, "tax_class_name": "Retail Customer"},
        {"id": 2, "code": "Wholesale", "tax_class_id": 5, "tax_class_name": "Wholesale Customer"},
        {"id": 3, "code": "Retailer", "tax_class_id": 3, "tax_class_name": "Retail Customer"},
    ]
    d.attributes = [
        _attribute(
            COLOR,
            "color",
            "int",
            "select",
            "Color",
            options=[
                {"label": " ", "value": ""},
                {"label": "Black", "value": "49"},
                {"label": "Red", "value": "58"},
            ],
        ),
        _attribute(
            SIZE,
            "size",
            "int",
            "select",
            "Size",
            options=[
                {"label": " ", "value": ""},
                {"label": "S", "value": "167"},
                {"label": "M", "value": "168"},
                {"label": "L", "value": "169"},
            ],
        ),
        _attribute(MATERIAL, "material", "varchar", "text", "Material"),
        _attribute(BARCODE, "barcode", "varchar", "text", "Barcode"),
        _attribute(DESCRIPTION, "description", "text", "textarea", "Description"),
        _attribute(WEIGHT, "weight", "decimal", "weight", "Weight"),
        _attribute(77, "price", "decimal", "price", "Price"),
        _attribute(78, "special_price", "decimal", "price", "Special Price"),
        _attribute(79, "special_from_date", "datetime", "date", "Special Price From Date"),
        _attribute(80, "special_to_date", "datetime", "date", "Special Price To Date"),
        _attribute(132, "tax_class_id", "int", "select", "Tax Class"),
        _attribute(74, "sku", "static", "text", "SKU"),
    ]
    d.attribute_sets = [
        {"attribute_set_id": 4, "attribute_set_name": "Default", "entity_type_id": 4},
        {"attribute_set_id": 9, "attribute_set_name": "Top", "entity_type_id": 4},
    ]
    d.set_members = {
        4: ["material", "barcode", "description", "weight", "price", "special_price", "tax_class_id", "sku"],
        9: ["color", "size", "material", "barcode", "description", "weight", "price", "tax_class_id", "sku"],
    }
    d.categories = [
        {"id": 1, "parent_id": 0, "name": "Root Catalog", "position": 0, "level": 0, "updated_at": STAMP},
        {"id": 2, "parent_id": 1, "name": "Default Category", "position": 1, "level": 1, "updated_at": STAMP},
        {"id": 3, "parent_id": 2, "name": "Men", "position": 1, "level": 2, "updated_at": STAMP},
        {
            "id": 4,
            "parent_id": 3,
            "name": "Hoodies & Sweatshirts",
            "position": 1,
            "level": 3,
            "updated_at": STAMP,
        },
        {"id": 5, "parent_id": 2, "name": "Gear", "position": 2, "level": 2, "updated_at": STAMP},
    ]
    base = {"tax_class_id": "2"}
    d.products = {
        p["sku"]: p
        for p in [
            _product(
                1,
                "24-MB01",
                "Joust Duffle Bag",
                "simple",
                "34.00",
                4,
                {
                    **base,
                    "material": "Nylon",
                    "barcode": "0614141000012",
                    "description": "<p>A roomy bag.</p>",
                    "weight": "1.5000",
                },
                ext={"website_ids": [1], "category_links": [{"category_id": "5", "position": 0}]},
                media=[{"id": 1, "file": "/m/b/mb01-blue-0.jpg", "types": ["image", "small_image"]}],
            ),
            _product(
                2,
                "24-MB02",
                "Fusion Backpack",
                "simple",
                "59.00",
                4,
                {**base, "special_price": "49.0000", "special_from_date": "2020-01-01 00:00:00"},
                tiers=[
                    {"customer_group_id": 32000, "qty": 3, "value": 45},
                    {"customer_group_id": 2, "qty": 1, "value": 40},
                ],
                ext={"category_links": [{"category_id": "5", "position": 1}]},
            ),
            _product(
                10,
                "MH01",
                "Chaz Kangeroo Hoodie",
                "configurable",
                "52.00",
                9,
                {**base, "material": "Cotton"},
                ext={
                    "category_links": [{"category_id": "4", "position": 0}],
                    "configurable_product_options": [
                        {
                            "id": 1,
                            "attribute_id": str(COLOR),
                            "label": "Color",
                            "values": [{"value_index": 49}, {"value_index": 58}],
                        },
                        {
                            "id": 2,
                            "attribute_id": str(SIZE),
                            "label": "Size",
                            "values": [{"value_index": 167}, {"value_index": 168}, {"value_index": 169}],
                        },
                    ],
                    "configurable_product_links": [11, 12, 13],
                },
            ),
            _product(
                11,
                "MH01-S-Black",
                "Chaz Kangeroo Hoodie-S-Black",
                "simple",
                "52.00",
                9,
                {**base, "color": "49", "size": "167"},
            ),
            _product(
                12,
                "MH01-M-Black",
                "Chaz Kangeroo Hoodie-M-Black",
                "simple",
                "52.00",
                9,
                {**base, "color": "49", "size": "168"},
            ),
            _product(
                13,
                "MH01-L-Red",
                "Chaz Kangeroo Hoodie-L-Red",
                "simple",
                "52.00",
                9,
                {**base, "color": "58", "size": "169"},
            ),
            _product(20, "GC-25", "Gift Card $25", "virtual", "25.00", 4, {"tax_class_id": "0"}),
            _product(30, "BUNDLE-1", "Sprite Yoga Companion Kit", "bundle", "0", 4, base),
        ]
    }
    d.add_customer(
        {
            "email": "roni_cost@example.com",
            "firstname": "Veronica",
            "lastname": "Costello",
            "group_id": 1,
            "addresses": [{"telephone": "(555) 229-3326"}],
        }
    )
    d.add_customer(
        {"email": "buyer@wholesale.example.com", "firstname": "Wendy", "lastname": "Buyer", "group_id": 2}
    )
    d.sources = {
        "default": {"source_code": "default", "name": "Default Source", "enabled": True},
        "nyc_store": {"source_code": "nyc_store", "name": "Manhattan Store", "enabled": True},
        "nj_warehouse": {"source_code": "nj_warehouse", "name": "Newark Warehouse", "enabled": True},
    }
    d.stocks = {
        1: {
            "stock_id": 1,
            "name": "Default Stock",
            "extension_attributes": {"sales_channels": [{"type": "website", "code": "base"}]},
        },
        2: {"stock_id": 2, "name": "Manhattan Store", "extension_attributes": {"sales_channels": []}},
    }
    d.links = [
        {"stock_id": 1, "source_code": "nj_warehouse", "priority": 1},
        {"stock_id": 1, "source_code": "nyc_store", "priority": 2},
        {"stock_id": 2, "source_code": "nyc_store", "priority": 1},
    ]
    for sku, (shop, warehouse) in START_STOCK.items():
        d.source_items[(sku, "nyc_store")] = {
            "sku": sku,
            "source_code": "nyc_store",
            "quantity": float(shop),
            "status": int(shop > 0),
        }
        d.source_items[(sku, "nj_warehouse")] = {
            "sku": sku,
            "source_code": "nj_warehouse",
            "quantity": float(warehouse),
            "status": int(warehouse > 0),
        }
    return d


def seed_till_shop(engine: Engine) -> dict[str, int]:
    """The Till side Magento has no word for: a shop on the `nyc_store` source, a register and
    staff. Everything else comes from the pull."""
    with engine.begin() as conn:
        ensure_sequencer(conn)
        conn.execute(insert(t.sources).values(code="nyc_store", name="Manhattan Store", enabled=True))
        conn.execute(insert(t.stocks).values(id=2, name="Manhattan Store"))
        conn.execute(insert(t.stock_sources).values(stock_id=2, source_code="nyc_store", priority=1))
        conn.execute(
            insert(t.locations).values(
                code="NYC",
                name="Manhattan Store",
                source_code="nyc_store",
                stock_id=2,
                timezone="America/New_York",
                country="US",
                region="NY",
                postcode="10001",
                currency="USD",
            )
        )
        conn.execute(insert(t.registers).values(code="NYC1", location_code="NYC", name="Till 1"))
    cashier = add_staff(
        engine,
        username="casey",
        name="Casey Cashier",
        role=Role.CASHIER,
        password="casey-secret",
        pin="1234",
        locations=["NYC"],
        by=Actor.command_line("tests"),
    )
    manager = add_staff(
        engine,
        username="morgan",
        name="Morgan Manager",
        role=Role.MANAGER,
        password="morgan-secret",
        pin="567890",
        locations=["NYC"],
        by=Actor.command_line("tests"),
    )
    return {"cashier": cashier, "manager": manager}


def magento_salable(double: MagentoDouble, sku: str, stock_id: int) -> Decimal:
    """Magento's salable quantity as its API reports it."""
    return double.salable(sku, stock_id)


def add_simple(double: MagentoDouble, product_id: int, sku: str, price: str, nyc: int = 0) -> None:
    """One more simple product in the default set, `nyc` units on the shop's shelf."""
    double.products[sku] = _product(
        product_id, sku, f"Product {sku}", "simple", price, 4, {"tax_class_id": "2"}
    )
    double.source_items[(sku, "nyc_store")] = {
        "sku": sku,
        "source_code": "nyc_store",
        "quantity": float(nyc),
        "status": 1 if nyc > 0 else 0,
    }
