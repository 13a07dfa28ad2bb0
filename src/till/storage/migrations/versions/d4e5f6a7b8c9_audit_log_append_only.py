"""audit log: who by name, on which device, and append-only in the database

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8
Create Date: 2026-11-27 10:00:00

The audit log keeps the username and device beside the staff id, gets indexes for the admin's
filters, and the database refuses to change or remove a line: triggers raise on UPDATE and
DELETE (and on TRUNCATE on PostgreSQL) of `audit_log`, whoever asks. A later migration that
rebuilds `audit_log` on SQLite (a batch "move and copy") drops its triggers and must make them
again; tests/trust/test_audit_log.py checks they are there at the head revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d4e5f6a7b8c9"
down_revision = "c3d4e5f6a7b8"
branch_labels = None
depends_on = None

_REFUSED = "audit_log is append-only: {op} is refused"

_POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_REFUSED.format(op="%")}', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    # TRUNCATE fires no row trigger on PostgreSQL; this statement trigger refuses it too.
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]

_MARIADB = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log FOR EACH ROW "
    f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{_REFUSED.format(op=verb)}'"
    for verb in ("UPDATE", "DELETE")
]

_SQLITE = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSED.format(op=verb)}'); END"
    for verb in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("username", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("device_id", sa.String(length=36), nullable=True))
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_staff", "audit_log", ["staff_id", "id"])
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"])
    # Lines written before this revision get their username from the staff table, once.
    op.execute(
        "UPDATE audit_log SET username = "
        "(SELECT staff.username FROM staff WHERE staff.id = audit_log.staff_id) "
        "WHERE staff_id IS NOT NULL"
    )
    dialect = op.get_bind().dialect.name
    statements = {"postgresql": _POSTGRESQL, "sqlite": _SQLITE}.get(dialect, _MARIADB)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_index("ix_audit_log_staff", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("device_id")
        batch.drop_column("username")
