"""Demo data: a small retailer to sign in to, and catalogs the size of Magento's toolkit profiles."""

from till.demo.common import ean13, is_valid_ean13
from till.demo.profile_catalog import PROFILES, ProfileCounts, ProfileSpec, ProgressCallback
from till.demo.profiles import seed_profile
from till.demo.store import (
    DemoLocation,
    DemoRegister,
    DemoStaff,
    DemoStore,
    SeedError,
    seed_demo,
)

__all__ = [
    "PROFILES",
    "DemoLocation",
    "DemoRegister",
    "DemoStaff",
    "DemoStore",
    "ProfileCounts",
    "ProfileSpec",
    "ProgressCallback",
    "SeedError",
    "ean13",
    "is_valid_ean13",
    "seed_demo",
    "seed_profile",
]
