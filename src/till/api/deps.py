"""Request dependencies: the parts the composition root built, and the signed-in principal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.domain.errors import AuthFailed
from till.domain.staff import Permission, PermissionDenied, Role
from till.queue.transport import Transport
from till.services.auth import Principal, authenticate
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


#: Declares the bearer scheme in the OpenAPI; a missing or malformed header is our own 401.
_bearer = HTTPBearer(auto_error=False, description="the token from sign-in (or refresh)")


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The token of an `Authorization: Bearer …` header."""
    if credentials is None or not credentials.credentials.strip():
        raise AuthFailed("sign in first: send Authorization: Bearer <token>")
    return credentials.credentials.strip()


def get_sale_writer(request: Request) -> SaleWriter:
    """The process's sale writer (group commit of pushed sales)."""
    writer: SaleWriter = request.app.state.sale_writer
    return writer


#: Makes a transport for a named user of it (the root's `make_transport` with this process's
#: engine and settings); the caller closes it.
Transports = Callable[[str], Transport]


def get_transports(request: Request) -> Transports:
    """The process's transport factory (to replay a dead letter)."""
    transports: Transports = request.app.state.transports
    return transports


async def current_principal(
    engine: Annotated[Engine, Depends(get_engine)], token: Annotated[str, Depends(bearer_token)]
) -> Principal:
    """The signed-in member of staff behind the request."""
    return await run_in_threadpool(authenticate, engine, token)


def require_manager(principal: Principal) -> None:
    """Managers and admins (the back office)."""
    principal.staff.require(Permission.REPORTS)


def require_admin(principal: Principal) -> None:
    """Admins only."""
    if principal.staff.role is not Role.ADMIN:
        raise PermissionDenied(
            f"only an admin may do this; {principal.staff.username} is a {principal.staff.role.value}"
        )


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
SaleWriterDep = Annotated[SaleWriter, Depends(get_sale_writer)]
TransportsDep = Annotated[Transports, Depends(get_transports)]
#: A row id in a path: an integer column's range, else 422 (never an overflow in the driver).
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: The same for a 64-bit id column (dead letters).
BigIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
TokenDep = Annotated[str, Depends(bearer_token)]
