"""Health: the server is up and its database answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import text

from till import __version__
from till.api.deps import EngineDep, public

router = APIRouter(prefix="/api")


@router.get("/health", tags=["health"], dependencies=[Depends(public("says only that the server is up"))])
def health(engine: EngineDep) -> dict[str, Any]:
    """Up, and the database answers."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": engine.dialect.name, "version": __version__}
