"""`POST /api/magento/webhook`: a signed change notice from Magento (see till.magento.webhook).

The body only names what changed; Till re-reads it from Magento after answering (202).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.api.deps import public
from till.api.schemas import Problem
from till.magento.settings import MagentoSettings, get_magento_settings
from till.magento.webhook import BadNotice, read_notice, refresh, verify

router = APIRouter(tags=["magento"])


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": message})


def _settings(request: Request) -> MagentoSettings:
    found = getattr(request.app.state, "magento_settings", None)
    return found if isinstance(found, MagentoSettings) else get_magento_settings()


@router.post(
    "/api/magento/webhook",
    status_code=202,
    dependencies=[Depends(public("Magento signs each notice (X-Till-Signature) with the shared secret"))],
    responses={
        401: {"model": Problem, "description": "the signature is missing, wrong or too old"},
        404: {
            "model": Problem,
            "description": "Magento webhooks are off: the answer names the setting that is missing",
        },
        413: {"model": Problem, "description": "the body is over the size limit"},
        422: {"model": Problem, "description": "the body is not a list of events"},
    },
)
async def magento_webhook(
    request: Request,
    tasks: BackgroundTasks,
    x_till_signature: Annotated[str | None, Header()] = None,
) -> Any:
    """Accept a signed change notice from Magento; re-read the named entities after answering."""
    settings = _settings(request)
    missing = [
        name
        for name, present in (
            ("TILL_MAGENTO_BASE_URL", settings.configured),
            ("TILL_MAGENTO_WEBHOOK_SECRET", bool(settings.webhook_secret)),
        )
        if not present
    ]
    if missing:
        return _problem(404, f"Magento webhooks are off: set {' and '.join(missing)}")
    body = await request.body()
    if not x_till_signature:
        return _problem(401, "sign the request: X-Till-Signature header missing")
    why = verify(settings.webhook_secret, x_till_signature, body)
    if why is not None:
        return _problem(401, why)
    try:
        skus, ids = read_notice(body)
    except BadNotice as exc:
        return _problem(422, str(exc))
    engine: Engine = request.app.state.engine
    tasks.add_task(run_in_threadpool, refresh, engine, settings, skus, ids)
    return {"accepted": {"skus": skus, "customers": ids}}
