"""Connector settings, from the environment (prefix `TILL_MAGENTO_`) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LocationMapping(BaseModel):
    """Which Magento MSI source a Till location hands goods over from, and which stock it sells."""

    source: str
    stock_id: int
    #: The Magento store view its orders belong to; the connector's store code if empty.
    store_code: str = ""
    #: Magento's region id (`directory_country_region`) of the shop's address, for its orders.
    region_id: int | None = None


class MagentoSettings(BaseSettings):
    """Where Magento is and how to sign in; `base_url` empty means Till runs standalone."""

    model_config = SettingsConfigDict(env_prefix="TILL_MAGENTO_", env_file=".env", extra="ignore")

    base_url: str = Field(default="", description="e.g. https://shop.example.com (no /rest)")
    store_code: str = Field(default="default", description="store view the REST calls address")
    website_code: str = Field(default="base", description="website of customers made at tills")
    #: Integration (System > Extensions > Integrations): signed with OAuth 1.0a HMAC-SHA256.
    consumer_key: str = ""
    consumer_secret: str = ""
    access_token: str = ""
    access_token_secret: str = ""
    #: Or an admin user. Magento_TwoFactorAuth (on by default) refuses their password alone, so
    #: the token comes from /V1/tfa/provider/google/authenticate with a code made from the
    #: user's Google Authenticator secret (`admin_totp_secret`, base32); without 2FA, from
    #: /V1/integration/admin/token. Renewed before it runs out (its JWT `exp`) and after a 401.
    admin_username: str = ""
    admin_password: str = ""
    admin_totp_secret: str = ""
    admin_token_hours: float = Field(
        default=1.0,
        gt=0,
        description="admin token lifetime if the token does not say (webapi/jwtauth/admin_expiration)",
    )
    #: How Magento signs a path holding `/ & + , : @ = $ ;` (a sku): `laminas` (2.4.6, 2.4.7
    #: decode them first), `as_sent` (2.4.4, 2.4.5, 2.4.8), or `auto`: learnt from the store.
    oauth_path_form: Literal["auto", "laminas", "as_sent"] = "auto"
    #: Till location code -> Magento source and stock, e.g. {"NYC": {"source": "nyc", "stock_id": 2}}.
    locations: dict[str, LocationMapping] = Field(default_factory=dict)
    #: Till tender (`cash`, `card`, `other`) -> the Magento payment method code POS orders of that
    #: tender are recorded with. It must be a method the store declares (`payment/<code>/model`):
    #: Magento invoices only those. A tender left out is not exported (no silent "Check / Money
    #: order"); Magento has no card method of its own, so a card needs one from a module.
    payment_methods: dict[str, str] = Field(default_factory=lambda: {"cash": "cashondelivery"})
    barcode_attribute: str = "barcode"
    #: At most 300: Magento's `maximum_page_size` when a store turns Web API input limits on.
    page_size: int = Field(default=200, ge=1, le=300)
    #: Objects per array in one call (source items per stock push): Magento's input list limit
    #: (`webapi/validation/complex_array_limit`, 20) when input limits are on.
    input_list_limit: int = Field(default=20, ge=1, le=10000)
    concurrency: int = Field(default=4, ge=1, le=32)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=0.5, ge=0)
    #: Delta pulls ask again for this much before the last `updated_at` seen (clock skew, slow commits).
    overlap_seconds: int = Field(default=300, ge=0)
    #: Shared secret a Magento webhook extension signs its pushes with (HMAC-SHA256); empty = off.
    webhook_secret: str = ""
    #: What the `magento_reconcile` job does with a stock difference: `report` it only, or
    #: `pull` (Till re-reads those skus and follows Magento). Pushing Till's figure to Magento
    #: is not offered: see docs/magento.md ("Reconciliation").
    reconcile_policy: Literal["report", "pull"] = "report"

    @property
    def configured(self) -> bool:
        """True when a Magento store is set; otherwise Till is standalone."""
        return bool(self.base_url)

    @property
    def uses_integration(self) -> bool:
        """True when integration (OAuth 1.0a) credentials are set."""
        return bool(self.consumer_key and self.access_token)


@lru_cache
def get_magento_settings() -> MagentoSettings:
    """The process's connector settings, read once."""
    return MagentoSettings()
