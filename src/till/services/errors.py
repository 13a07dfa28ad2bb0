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


class RateLimited(Exception):
    """Too many attempts from one source: try again after `retry_after` seconds (429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
