"""Errors a use case raises; the API turns each into one HTTP status with its message."""

from __future__ import annotations


class NotFound(LookupError):
    """The thing asked for does not exist (404)."""


class Conflict(Exception):
    """The request clashes with the current state, such as a second open shift (409)."""


class AuthFailed(Exception):
    """Wrong, expired or revoked credentials (401)."""


class Locked(Exception):
    """Too many failed attempts: the account is locked for a while (423)."""
