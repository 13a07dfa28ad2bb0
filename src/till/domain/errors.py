"""The error vocabulary every layer shares, each kind with a stable `code`.

The domain and the use cases raise these; the API turns each kind into one HTTP status and puts
`code` in the problem answer, so a client can branch on the code and show the message. Anything
else that escapes a route (a bare `ValueError` included) is a defect: a logged 500.
"""

from __future__ import annotations


class TillError(Exception):
    """Base of every error Till raises on purpose; `code` is stable, the message says why."""

    code: str = "error"

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        if code is not None:
            self.code = code


class DomainError(TillError, ValueError):
    """Input that breaks a rule of the business, with what to fix (422)."""

    code = "invalid"


class Invalid(DomainError):
    """A request a use case refuses as given (a short password, a negative price...) (422)."""


class NotFound(TillError, LookupError):
    """The thing asked for does not exist (404)."""

    code = "not_found"


class Conflict(TillError):
    """The request clashes with the current state, such as a second open shift (409)."""

    code = "conflict"


class AuthFailed(TillError):
    """Wrong, expired or revoked credentials (401)."""

    code = "auth_failed"


class Locked(TillError):
    """Too many failed attempts: the account is locked for a while (423)."""

    code = "locked"


class RateLimited(TillError):
    """Too many attempts from one source: try again after `retry_after` seconds (429)."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeviceUnavailable(TillError):
    """A device the server talks to for a till (a network receipt printer) did not take the
    request: off, unreachable, too slow or erroring (502); the message says which."""

    code = "device_unavailable"
