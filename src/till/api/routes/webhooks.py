"""Webhook endpoints (back office): where Till POSTs which topics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from till.api.deps import (
    AdminDep,
    EngineDep,
    IdPath,
    SettingsDep,
)
from till.api.schemas import problems
from till.queue import webhooks

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


class WebhookIn(BaseModel):
    """A webhook endpoint: where to POST which topics."""

    name: str = Field(min_length=1, max_length=128)
    url: str = Field(min_length=8, max_length=512)
    topics: list[str] = Field(min_length=1, description="topics, or ['*'] for every topic")


class WebhookChange(BaseModel):
    """Fields to change (absent ones stay)."""

    name: str | None = Field(default=None, min_length=1, max_length=128)
    url: str | None = Field(default=None, min_length=8, max_length=512)
    topics: list[str] | None = Field(default=None, min_length=1)
    active: bool | None = None


@router.get("/webhooks")
def list_webhooks(engine: EngineDep, principal: AdminDep) -> list[dict[str, Any]]:
    """Webhook endpoints (secrets are shown only when made)."""
    return webhooks.list_endpoints(engine)


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
def create_webhook(
    body: WebhookIn, engine: EngineDep, settings: SettingsDep, principal: AdminDep
) -> dict[str, Any]:
    """Add an endpoint; the answer holds its signing secret, this once. A loopback or private
    address is refused (400) unless TILL_WEBHOOKS_ALLOW_PRIVATE is set."""
    return webhooks.add_endpoint(
        engine,
        body.name,
        body.url,
        body.topics,
        by=principal.actor(),
        allow_private=settings.webhooks_allow_private,
    )


@router.get("/webhooks/{endpoint_id}", responses=problems(404))
def get_webhook(endpoint_id: IdPath, engine: EngineDep, principal: AdminDep) -> dict[str, Any]:
    """One endpoint."""
    return webhooks.get_endpoint(engine, endpoint_id)


@router.patch("/webhooks/{endpoint_id}", responses=problems(404))
def change_webhook(
    endpoint_id: IdPath,
    body: WebhookChange,
    engine: EngineDep,
    settings: SettingsDep,
    principal: AdminDep,
) -> dict[str, Any]:
    """Change an endpoint's name, url, topics, or switch it off and on."""
    return webhooks.change_endpoint(
        engine,
        endpoint_id,
        by=principal.actor(),
        allow_private=settings.webhooks_allow_private,
        **body.model_dump(),
    )


@router.delete("/webhooks/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def delete_webhook(endpoint_id: IdPath, engine: EngineDep, principal: AdminDep) -> None:
    """Delete an endpoint."""
    webhooks.remove_endpoint(engine, endpoint_id, by=principal.actor())
