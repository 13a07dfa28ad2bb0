"""Gift cards: a card's balance (any till), and the shop's rules for cards and store credit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from till.api.deps import EngineDep, PrincipalDep, staff
from till.api.schemas import CardNumberIn, GiftCardOut, LedgerRulesIn, LedgerRulesOut, problems
from till.domain.gift_cards import LedgerRules
from till.domain.staff import Permission
from till.services import gift_cards
from till.services.auth import Principal

router = APIRouter(prefix="/api", tags=["gift cards"])

Seller = Annotated[Principal, Depends(staff(Permission.SELL))]
Keeper = Annotated[Principal, Depends(staff(Permission.LEDGERS))]


@router.post("/gift-cards/balance", response_model=GiftCardOut, responses=problems(403, 404, 422))
async def card_balance(body: CardNumberIn, engine: EngineDep, principal: Seller) -> Any:
    """A gift card's balance and last entries, asked by its number in the body (a number is a
    bearer secret: never in a URL). Valid at every till of the shop."""
    return await run_in_threadpool(gift_cards.card_balance, engine, principal, body.number)


@router.get("/ledger-rules", response_model=LedgerRulesOut, responses=problems(403))
def get_rules(engine: EngineDep, principal: PrincipalDep) -> Any:
    """The shop's gift card and store credit rules (also in the sync bootstrap)."""
    return gift_cards.ledger_rules(engine).as_json()


@router.put("/ledger-rules", response_model=LedgerRulesOut, responses=problems(403, 422))
def set_rules(body: LedgerRulesIn, engine: EngineDep, principal: Keeper) -> Any:
    """Change the rules (ledgers permission: a manager); audited."""
    rules = LedgerRules(body.gift_card_offline_cap, body.gift_card_reload, body.store_credit_offline_cap)
    return gift_cards.set_ledger_rules(engine, principal, rules).as_json()
