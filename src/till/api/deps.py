"""Request dependencies: the engine, settings and the signed-in principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.services.auth import Principal, authenticate
from till.services.errors import AuthFailed
from till.services.sale_writer import SaleWriter
from till.settings import Settings


def get_engine(request: Request) -> Engine:
    """The process's engine, made at start-up."""
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    """The process's settings."""
    settings: Settings = request.app.state.settings
    return settings


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """The token of an `Authorization: Bearer …` header."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthFailed("sign in first: send Authorization: Bearer <token>")
    return authorization[7:].strip()


def get_sale_writer(request: Request) -> SaleWriter:
    """The process's sale writer (group commit of pushed sales)."""
    writer: SaleWriter = request.app.state.sale_writer
    return writer


async def current_principal(
    engine: Annotated[Engine, Depends(get_engine)], token: Annotated[str, Depends(bearer_token)]
) -> Principal:
    """The signed-in member of staff behind the request."""
    return await run_in_threadpool(authenticate, engine, token)


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
SaleWriterDep = Annotated[SaleWriter, Depends(get_sale_writer)]
