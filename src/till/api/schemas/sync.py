"""A page of a data set (the sync protocol's pull)."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
)


class PullOut(BaseModel):
    dataset: str
    items: list[dict[str, Any]]
    deleted: list[str]
    cursor: int
    has_more: bool
