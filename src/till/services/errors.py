"""Errors a use case raises: they live in `till.domain.errors` (so the queue, storage and the
Magento connector can share them without importing services); kept here for existing imports."""

from __future__ import annotations

from till.domain.errors import AuthFailed, Conflict, DomainError, Invalid, Locked, NotFound, RateLimited

__all__ = ["AuthFailed", "Conflict", "DomainError", "Invalid", "Locked", "NotFound", "RateLimited"]
