"""The `till` command (`till = "till.cli:app"`): one module per concept registers its commands
on `app` (server, store, staff, backups, queue, magento, loadtest)."""

from __future__ import annotations

from till.cli import backups, loadtest, magento, queue, server, staff, store
from till.cli.base import app

__all__ = ["app", "backups", "loadtest", "magento", "queue", "server", "staff", "store"]
