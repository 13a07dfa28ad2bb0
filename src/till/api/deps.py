"""Request dependencies: the parts the composition root built, and the signed-in principal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.domain.errors import AuthFailed
from till.domain.staff import Permission, PermissionDenied, Role
from till.queue.transport import Transport
from till.services.auth import Principal
from till.services.sale_writer import SaleWriter
from till.services.sessions import Sessions
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


async def current_principal(request: Request, token: Annotated[str, Depends(bearer_token)]) -> Principal:
    """The signed-in member of staff behind the request (remembered a few seconds per process:
    `Sessions`); a session remembered costs no database call and no thread."""
    sessions: Sessions = request.app.state.sessions
    principal = sessions.remembered(token)
    if principal is None:
        principal = await run_in_threadpool(sessions.authenticate, token)
    return principal


def require_manager(principal: Principal) -> None:
    """Managers and admins (the back office)."""
    principal.staff.require(Permission.REPORTS)


def require_admin(principal: Principal) -> None:
    """Admins only."""
    if principal.staff.role is not Role.ADMIN:
        raise PermissionDenied(
            f"only an admin may do this; {principal.staff.username} is a {principal.staff.role.value}"
        )


#: Who may call each route, by the dependency that enforces it. The app copies a route's
#: declaration into its OpenAPI operation as `x-till-access`; the route walk
#: (tests/trust/test_route_walk.py) reads it and fails on an operation without one, so a route
#: cannot be added without saying who may call it.
ACCESS: dict[Callable[..., Any], dict[str, Any]] = {}


def _declare(dependency: Callable[..., Any], **declaration: Any) -> Callable[..., Any]:
    ACCESS[dependency] = {key: value for key, value in declaration.items() if value is not None}
    return dependency


def public(why: str) -> Callable[..., None]:
    """A route anyone may call, signed out too (`why` says what guards it instead)."""

    def anyone() -> None:
        return None

    _declare(anyone, who="anyone", why=why)
    return anyone


def staff(
    permission: Permission | None = None,
    *,
    admin: bool = False,
    scoped: bool = True,
    elsewhere: Permission | None = None,
    acting: bool = False,
) -> Callable[..., Any]:
    """A route for signed-in members: any member, one whose role has `permission`, or admins.
    The role is checked here, before the request's body is read; `scoped` says the route keeps
    to the caller's locations (another location's register, order or shift is refused with
    403 or 404), which the route or its service checks against the thing named, except for a
    member whose role has `elsewhere` (e.g. reading another store's sale to take it back).

    `acting`: a till's queued step (refund, cash, shift) names who did it on the till
    (`acted_by`), who may not be the member whose session sends it (a manager's PIN on a
    cashier's till): the service judges `permission` against that member (403 and kept for a
    manager when they lack it), so the session's own role is not checked here."""

    async def signed_in(request: Request, token: Annotated[str, Depends(bearer_token)]) -> Principal:
        principal = await current_principal(request, token)
        if admin:
            require_admin(principal)
        elif permission is not None and not acting:
            principal.staff.require(permission)
        return principal

    if admin:
        return _declare(signed_in, who="admin")
    return _declare(
        signed_in,
        who="staff",
        permission=None if permission is None else permission.value,
        scoped=scoped,
        elsewhere=None if elsewhere is None else elsewhere.value,
        acting=acting or None,
    )


def access_of(dependant: Any) -> list[dict[str, Any]]:
    """The access declarations among a route's dependencies (FastAPI's `Dependant` tree). A
    members' route that also reads its own bearer token (to keep its session) is guarded by the
    member's check: the token's declaration then adds nothing."""
    found = _declarations(dependant)
    return [d for d in found if d["who"] != "token"] or found


def _declarations(dependant: Any) -> list[dict[str, Any]]:
    if dependant.call in ACCESS:
        return [ACCESS[dependant.call]]  # not its own parts (the bearer token)
    found: list[dict[str, Any]] = []
    for sub in dependant.dependencies:
        found += _declarations(sub)
    return found


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
#: Any signed-in member; what they may do there the route checks by the thing named.
PrincipalDep = Annotated[Principal, Depends(staff())]
#: Managers and admins (the back office's reading).
ManagerDep = Annotated[Principal, Depends(staff(Permission.REPORTS))]
#: Admins only.
AdminDep = Annotated[Principal, Depends(staff(admin=True))]
SaleWriterDep = Annotated[SaleWriter, Depends(get_sale_writer)]
TransportsDep = Annotated[Transports, Depends(get_transports)]
#: A row id in a path: an integer column's range, else 422 (never an overflow in the driver).
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: The same for a 64-bit id column (dead letters).
BigIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]

#: The bearer token itself, for a route that ends or swaps it (sign-out, refresh): `who: token`,
#: any token's holder, signed-in member or not (signing out a dead token ends nothing, as
#: OAuth's token revocation, RFC 7009, answers it).
TokenDep = Annotated[str, Depends(_declare(bearer_token, who="token"))]
