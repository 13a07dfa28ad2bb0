"""`till staff`: add, list, deactivate members of staff; reset a PIN or a password."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from till.domain.staff import Role

if TYPE_CHECKING:
    pass
from till.cli.base import app, console, open_engine

staff_app = typer.Typer(help="Manage staff.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")


@staff_app.command("add")
def staff_add(
    username: str,
    name: Annotated[str, typer.Option(help="full name")],
    role: Annotated[Role, typer.Option(help="cashier, manager or admin")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    pin: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    location: Annotated[list[str] | None, typer.Option(help="location code; repeat; none = all")] = None,
) -> None:
    """Add a member of staff."""
    from till.domain.errors import Invalid
    from till.services.auth import add_staff
    from till.services.errors import NotFound
    from till.storage.events import Actor

    try:
        staff_id = add_staff(
            open_engine(),
            username=username,
            name=name,
            role=role,
            password=password,
            pin=pin,
            locations=location or [],
            by=Actor.command_line("till staff add"),
        )
    except (Invalid, NotFound) as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"added {username} (id {staff_id})")


@staff_app.command("list")
def staff_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List staff."""
    from till.storage.uow import UnitOfWork

    with UnitOfWork(open_engine()) as uow:
        members = uow.staff.all()
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "username": m.username,
                        "role": m.role.value,
                        "locations": sorted(m.locations),
                        "active": m.active,
                    }
                    for m in members
                ]
            )
        )
        return
    table = Table("id", "username", "name", "role", "locations", "active")
    for m in members:
        table.add_row(
            str(m.id),
            m.username,
            m.name,
            m.role.value,
            ", ".join(sorted(m.locations)) or "all",
            "yes" if m.active else "no",
        )
    console.print(table)


@staff_app.command("deactivate")
def staff_deactivate(username: str) -> None:
    """Deactivate a member: their tokens stop working and tills forget them."""
    from till.services.auth import change_staff
    from till.services.errors import NotFound
    from till.storage.events import Actor

    try:
        change_staff(open_engine(), username, active=False, by=Actor.command_line("till staff deactivate"))
    except NotFound as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"deactivated {username}")


@staff_app.command("reset-pin")
def staff_reset_pin(
    username: str,
    pin: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Give a member a new PIN (6 to 8 digits beyond a cashier's role): their sessions end and
    tills drop the old PIN at their next pull."""
    from till.domain.errors import Invalid
    from till.services.credentials import reset_pin
    from till.services.errors import NotFound
    from till.storage.events import Actor

    try:
        ended = reset_pin(open_engine(), username, pin, Actor.command_line("till staff reset-pin"))
    except (Invalid, NotFound) as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"new PIN set for {username}; {ended} session(s) ended")


@staff_app.command("reset-password")
def staff_reset_password(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Give a member a new password (at least 8 characters): their sessions end."""
    from till.domain.errors import Invalid
    from till.services.credentials import reset_password
    from till.services.errors import NotFound
    from till.storage.events import Actor

    try:
        ended = reset_password(
            open_engine(), username, password, Actor.command_line("till staff reset-password")
        )
    except (Invalid, NotFound) as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"new password set for {username}; {ended} session(s) ended")
