"""The later tables of the initial schema (revision f924adb3e9b3), in the order Alembic generated
them: product values, tier prices, registers, orders, shifts, tokens, flags, lines and refunds.

It lives outside `versions/` because Alembic reads every module there as a revision. It is as
frozen as the revision itself: it creates what that revision created, whatever the models say now.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_later_tables() -> None:
    """The tables the revision creates after `customer_keys`."""
    op.create_table(
        "product_values_datetime",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("attribute_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_code"],
            ["attributes.code"],
            name=op.f("fk_product_values_datetime_attribute_code_attributes"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_values_datetime_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "attribute_code", name=op.f("pk_product_values_datetime")),
    )
    op.create_table(
        "product_values_decimal",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("attribute_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_code"],
            ["attributes.code"],
            name=op.f("fk_product_values_decimal_attribute_code_attributes"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_values_decimal_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "attribute_code", name=op.f("pk_product_values_decimal")),
    )
    op.create_table(
        "product_values_int",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("attribute_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_code"],
            ["attributes.code"],
            name=op.f("fk_product_values_int_attribute_code_attributes"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_values_int_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "attribute_code", name=op.f("pk_product_values_int")),
    )
    op.create_table(
        "product_values_text",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("attribute_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_code"],
            ["attributes.code"],
            name=op.f("fk_product_values_text_attribute_code_attributes"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_values_text_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "attribute_code", name=op.f("pk_product_values_text")),
    )
    op.create_table(
        "product_values_varchar",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("attribute_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_code"],
            ["attributes.code"],
            name=op.f("fk_product_values_varchar_attribute_code_attributes"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_values_varchar_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "attribute_code", name=op.f("pk_product_values_varchar")),
    )
    op.create_table(
        "registers",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("location_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_code"], ["locations.code"], name=op.f("fk_registers_location_code_locations")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_registers")),
    )
    op.create_table(
        "tier_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("customer_group_id", sa.Integer(), nullable=True),
        sa.Column("qty", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("price", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_tier_prices_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_prices")),
    )
    with op.batch_alter_table("tier_prices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tier_prices_product_id"), ["product_id"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("register_code", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["register_code"], ["registers.code"], name=op.f("fk_devices_register_code_registers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("receipt_number", sa.String(length=32), nullable=False),
        sa.Column("register_code", sa.String(length=12), nullable=False),
        sa.Column("location_code", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount_tax_compensation", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("grand_total", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("client_subtotal", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("client_discount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("client_tax", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("client_grand_total", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("change_due", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("total_refunded", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("coupon_code", sa.String(length=64), nullable=True),
        sa.Column("flags", sa.String(length=255), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["location_code"], ["locations.code"], name=op.f("fk_orders_location_code_locations")
        ),
        sa.ForeignKeyConstraint(
            ["register_code"], ["registers.code"], name=op.f("fk_orders_register_code_registers")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_orders_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_orders_idempotency_key")),
        sa.UniqueConstraint("register_code", "receipt_number", name="uq_orders_register_receipt"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_fulfilled_at", ["fulfilled_at"], unique=False)
        batch_op.create_index("ix_orders_location_day", ["location_code", "business_day"], unique=False)
        batch_op.create_index("ix_orders_received_at", ["received_at"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_code", sa.String(length=12), nullable=False),
        sa.Column("open_register", sa.String(length=12), nullable=True),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opening_float", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_cash", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("z_report", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["closed_by"], ["staff.id"], name=op.f("fk_shifts_closed_by_staff")),
        sa.ForeignKeyConstraint(["opened_by"], ["staff.id"], name=op.f("fk_shifts_opened_by_staff")),
        sa.ForeignKeyConstraint(
            ["register_code"], ["registers.code"], name=op.f("fk_shifts_register_code_registers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
        sa.UniqueConstraint("open_register", name=op.f("uq_shifts_open_register")),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_auth_tokens_device_id_devices")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_auth_tokens_staff_id_staff")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_tokens")),
    )
    op.create_table(
        "cash_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_cash_movements_shift_id_shifts")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_cash_movements_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_movements")),
    )
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_movements_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "order_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("flag", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_flags_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_flags")),
    )
    with op.batch_alter_table("order_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_flags_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("qty", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("price", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("price_incl_tax", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("row_total", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount_tax_compensation", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("row_grand_total", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("qty_refunded", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("amount_refunded", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")),
        sa.PrimaryKeyConstraint("order_id", "line_no", name=op.f("pk_order_lines")),
    )
    op.create_table(
        "order_payments",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_payments_order_id_orders")),
        sa.PrimaryKeyConstraint("order_id", "seq", name=op.f("pk_order_payments")),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("register_code", sa.String(length=12), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["register_code"], ["registers.code"], name=op.f("fk_refunds_register_code_registers")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_refunds_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)

    op.create_table(
        "refund_lines",
        sa.Column("refund_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("qty", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("restock", sa.Boolean(), nullable=False),
        sa.Column("row_total", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("discount_tax_compensation", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_refund_lines_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("refund_id", "line_no", name=op.f("pk_refund_lines")),
    )
