"""A page of a data set (the sync protocol's pull), and which data sets have news."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field


class PullOut(BaseModel):
    dataset: str
    items: list[dict[str, Any]]
    deleted: list[str]
    cursor: int
    has_more: bool


class ChangesIn(BaseModel):
    cursors: dict[str, Annotated[int, Field(ge=0, le=2**63 - 1)]] = Field(
        description="the till's stored cursor of each data set (one left out counts as 0)",
        max_length=32,
    )


class ChangesOut(BaseModel):
    changed: list[str] = Field(description="data sets with a change after the cursor sent, in pull order")
    feed_position: int = Field(description="the newest change-feed sequence")
