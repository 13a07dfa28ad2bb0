"""What a saved report may be refused for: the errors the report checks and guards raise."""

from __future__ import annotations

from till.domain.errors import DomainError


class ReportRefused(DomainError):
    """A report that may not run as written (a write, bad parameters): 400 with the reason."""


class ReportTimeout(DomainError):
    """The report ran past its statement timeout."""
