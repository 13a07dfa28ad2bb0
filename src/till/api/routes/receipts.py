"""Receipts that leave the till: a sale's receipt as text, HTML or ESC/POS bytes; receipt
e-mails sent by the server; the registers' network printers and printing on them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, Field

from till.api.deps import EngineDep, SettingsDep, staff
from till.api.schemas import Key, problems
from till.api.schemas.common import RegisterCode, Strict
from till.domain import receipts as layout
from till.domain.staff import Permission
from till.services import receipts as service
from till.services.auth import Principal

router = APIRouter(prefix="/api", tags=["receipts"])

Reader = Annotated[Principal, Depends(staff(elsewhere=Permission.RETURN_ELSEWHERE))]
Seller = Annotated[Principal, Depends(staff(Permission.SELL))]
Manager = Annotated[Principal, Depends(staff(Permission.MANAGE_DEVICES))]
#: 80 or 58 (mm): bounded as an integer, the two widths checked by the service (422 otherwise).
Paper = Annotated[int, Field(ge=58, le=80, description="paper width in mm: 80 or 58")]
PrinterId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ReceiptMailIn(Strict):
    request_key: Key = Field(description="made by the till; the same key again sends nothing more")
    to: Annotated[str | None, Field(max_length=254)] = Field(
        default=None, description="the address; none: the sale's customer's e-mail"
    )
    gift: bool = False


class ReceiptMailOut(BaseModel):
    request_key: str
    order_id: str
    to: str
    gift: bool
    sent: bool = Field(description="the SMTP server took it")
    last_error: str | None = Field(description="why the last try failed (it is retried)")


class PrinterIn(Strict):
    register_code: RegisterCode
    name: Annotated[str, Field(min_length=1, max_length=64)]
    host: Annotated[str, Field(min_length=1, max_length=255)]
    port: Annotated[int, Field(ge=1, le=65535)] = 9100
    paper_mm: Paper = 80
    drawer: bool = Field(default=False, description="a cash drawer hangs on this printer")


class PrinterChangeIn(Strict):
    name: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    host: Annotated[str | None, Field(min_length=1, max_length=255)] = None
    port: Annotated[int | None, Field(ge=1, le=65535)] = None
    paper_mm: Paper | None = None
    drawer: bool | None = None


class PrinterOut(BaseModel):
    id: int
    register_code: str
    location_code: str
    name: str
    host: str
    port: int
    paper_mm: int
    drawer: bool


class PrintIn(Strict):
    order_id: Annotated[str, Field(min_length=1, max_length=36)]
    gift: bool = False
    open_drawer: bool = Field(default=True, description="kick the drawer if the sale took cash")


class PrintedOut(BaseModel):
    printer_id: int
    receipt_number: str
    bytes: int
    drawer_opened: bool


def _mail_out(request: service.MailRequest) -> ReceiptMailOut:
    return ReceiptMailOut(
        request_key=request.request_key,
        order_id=request.order_id,
        to=request.to,
        gift=request.gift,
        sent=request.sent,
        last_error=request.last_error,
    )


@router.get(
    "/orders/{order_id}/receipt",
    responses={
        **problems(404, 422),
        200: {
            "content": {"text/plain": {}, "text/html": {}, "application/octet-stream": {}},
            "description": "the receipt: text, HTML, or ESC/POS bytes for a printer",
        },
    },
    response_class=Response,
)
def get_receipt(
    order_id: str,
    engine: EngineDep,
    settings_: SettingsDep,
    principal: Reader,
    format: Annotated[Literal["text", "html", "escpos"], Query()] = "text",
    gift: bool = False,
    paper_mm: Annotated[int, Query(ge=58, le=80, description="paper width in mm: 80 or 58")] = 80,
    open_drawer: Annotated[bool, Query(description="escpos: kick the drawer if the sale took cash")] = False,
) -> Response:
    """A sale's receipt (or gift receipt), drawn by the server's one layout: the ESC/POS bytes
    are what a till sends its own USB or serial printer."""
    if format == "escpos":
        data, _ = service.receipt_bytes(
            engine,
            principal,
            order_id,
            paper_mm=paper_mm,
            gift=gift,
            drawer=open_drawer,
            return_days=settings_.return_days,
        )
        return Response(data, media_type="application/octet-stream")
    columns = service.columns_for(paper_mm)
    found = service.receipt(engine, principal, order_id, gift=gift, return_days=settings_.return_days)
    if format == "html":
        return Response(layout.html_document(found), media_type="text/html")
    return Response(layout.text(found, columns), media_type="text/plain")


@router.post(
    "/orders/{order_id}/receipt-mails",
    response_model=ReceiptMailOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(
        404, 409, 422, also={200: {"model": ReceiptMailOut, "description": "a replay: asked for already"}}
    ),
)
def request_receipt_mail(
    order_id: str, body: ReceiptMailIn, engine: EngineDep, principal: Reader, response: Response
) -> Any:
    """Ask the server to e-mail a sale's receipt to an address, or to the sale's customer. It is
    sent by the worker (retried while the SMTP server is away); `GET` says whether it went."""
    request = service.request_mail(
        engine, principal, order_id, request_key=body.request_key, to=body.to, gift=body.gift
    )
    if not request.created:
        response.status_code = status.HTTP_200_OK
    return _mail_out(request)


@router.get("/orders/{order_id}/receipt-mails", response_model=list[ReceiptMailOut], responses=problems(404))
def list_receipt_mails(order_id: str, engine: EngineDep, principal: Reader) -> Any:
    """The receipt e-mails asked for a sale and whether each was sent."""
    return [_mail_out(r) for r in service.mail_requests(engine, principal, order_id)]


@router.get("/printers", response_model=list[PrinterOut], responses=problems(404))
def list_printers(
    engine: EngineDep, principal: Seller, register_code: Annotated[str | None, Query(max_length=12)] = None
) -> Any:
    """The network receipt printers of a register (or all) at the member's locations."""
    return service.printers(engine, principal, register_code)


@router.post(
    "/printers",
    response_model=PrinterOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(403, 404, 409, 422),
)
def add_printer(body: PrinterIn, engine: EngineDep, principal: Manager) -> Any:
    """Set up a network printer (raw TCP, port 9100) on a register: a manager."""
    return service.add_printer(engine, principal, **body.model_dump())


@router.patch("/printers/{printer_id}", response_model=PrinterOut, responses=problems(403, 404, 422))
def change_printer(
    printer_id: PrinterId, body: PrinterChangeIn, engine: EngineDep, principal: Manager
) -> Any:
    """Change a printer's name, host, port, paper width or drawer."""
    return service.change_printer(engine, principal, printer_id, **body.model_dump())


@router.delete("/printers/{printer_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(403, 404))
def remove_printer(printer_id: PrinterId, engine: EngineDep, principal: Manager) -> Response:
    """Forget a printer."""
    service.remove_printer(engine, principal, printer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/printers/{printer_id}/print", response_model=PrintedOut, responses=problems(403, 404, 422, 502)
)
async def print_receipt(
    printer_id: PrinterId, body: PrintIn, engine: EngineDep, settings_: SettingsDep, principal: Seller
) -> Any:
    """Print a sale's receipt on a network printer; the drawer opens when the sale took cash and
    the printer has one. An unreachable, slow or erroring printer answers 502 with the reason
    within TILL_PRINTER_TIMEOUT_SECONDS: the sale is untouched, the till offers a reprint."""
    printed = await service.print_receipt(
        engine,
        principal,
        printer_id,
        body.order_id,
        gift=body.gift,
        open_drawer=body.open_drawer,
        return_days=settings_.return_days,
        timeout=settings_.printer_timeout_seconds,
    )
    return PrintedOut(
        printer_id=printed.printer_id,
        receipt_number=printed.receipt_number,
        bytes=printed.size,
        drawer_opened=printed.drawer_opened,
    )
