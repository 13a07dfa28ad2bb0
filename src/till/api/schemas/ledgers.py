"""Gift cards and customers' accounts: balances, rules, credit limits, payments on account."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from till.api.schemas.common import ActedByIn, Key, Money, MoneyOut, RegisterCode, Strict, TimeOut
from till.api.schemas.sales import CardNumber


class CardNumberIn(Strict):
    """A card's number travels in a body, never in a URL (URLs end up in access logs)."""

    number: CardNumber


class LedgerEntryOut(BaseModel):
    kind: str = Field(description="gift card: sold, reloaded, redeemed, refunded; account: refunded, "
                      "spent, charged, paid")  # fmt: skip
    amount: MoneyOut = Field(description="signed: what the entry did to the balance")
    order_id: str | None = None
    refund_id: str | None = None
    register_code: str | None = None
    method: str | None = None
    created_at: TimeOut


class GiftCardOut(BaseModel):
    card: str = Field(description="the card masked, e.g. `**** 1234`")
    kind: str
    balance: MoneyOut
    offline_cap: MoneyOut = Field(description="the most a till offline may take from this card")
    entries: list[LedgerEntryOut]


class LedgerRulesIn(Strict):
    gift_card_offline_cap: Money = Field(
        description="the most a till offline may take from one gift card, against the balance it last saw"
    )
    gift_card_reload: bool = Field(description="whether an active card may be sold again (topped up)")
    store_credit_offline_cap: Money = Field(
        description="the most a till offline may take from one customer's credit or account"
    )


class LedgerRulesOut(BaseModel):
    gift_card_offline_cap: MoneyOut
    gift_card_reload: bool
    store_credit_offline_cap: MoneyOut


class AccountOut(BaseModel):
    customer_id: int
    balance: MoneyOut = Field(description="positive: credit the customer holds; negative: what they owe")
    credit_limit: MoneyOut
    credit: MoneyOut = Field(description="store credit the customer may spend")
    owed: MoneyOut
    available_on_account: MoneyOut = Field(description="what may still be charged to the account")
    offline_cap: MoneyOut
    entries: list[LedgerEntryOut] = []


class CreditLimitIn(Strict):
    credit_limit: Money


class AccountPaymentIn(Strict):
    idempotency_key: Key
    register_code: RegisterCode
    amount: Annotated[Money, Field(gt=0)]
    method: Literal["cash", "card", "other"] = "cash"
    acted_by: ActedByIn | None = None


class AccountPaymentOut(BaseModel):
    customer_id: int
    amount: MoneyOut
    method: str
    register_code: str
    shift_id: int | None
    created_at: TimeOut
    duplicate: bool = False
