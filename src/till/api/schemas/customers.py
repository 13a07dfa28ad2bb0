"""Customers a till adds or looks up."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
)

from till.api.schemas.common import (
    Key,
    Strict,
)


class CustomerIn(Strict):
    email: Annotated[str, Field(min_length=3, max_length=255)]
    firstname: Annotated[str, Field(min_length=1, max_length=128)]
    lastname: Annotated[str, Field(min_length=1, max_length=128)]
    phone: Annotated[str, Field(max_length=32)] | None = None
    group_id: Annotated[int, Field(ge=0, le=2**31 - 1)] = 1
    client_key: Key | None = Field(
        default=None, description="the till's key: a retry creates no second customer"
    )


class CustomerOut(BaseModel):
    id: int
    email: str
    firstname: str
    lastname: str
    phone: str | None
    group_id: int
