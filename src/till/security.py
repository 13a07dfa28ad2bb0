"""Secrets: slow hashes for passwords and PINs, random tokens stored only as digests."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with the library's defaults (RFC 9106 low-memory profile): slow for a guesser.
# The test suite may ask for a cheap profile, as Django's tests swap in a fast hasher; a
# production setting never honours it.
if os.environ.get("TILL_TEST_FAST_HASH") == "1" and os.environ.get("TILL_ENVIRONMENT") != "production":
    _hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
else:
    _hasher = PasswordHasher()


def hash_secret(secret: str) -> str:
    """An argon2id hash of a password or PIN, with its own salt."""
    return _hasher.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    """True if the secret matches the stored hash."""
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


#: Iterations of the offline PIN verifier (PBKDF2-HMAC-SHA256, OWASP's 2023 figure). A till
#: holds the verifier, so a cashier can search it offline: at 600,000 iterations one guess costs
#: one core about 135 ms (hashlib, measured: docs/trust.md), so the million PINs of 6 digits,
#: the shortest an elevated member may have, cost one core more than a day
#: (tests/trust/test_offline_pins.py checks the bound against a measured rate).
OFFLINE_PIN_ITERATIONS = 600_000

#: The test suite's cheap count (with TILL_TEST_FAST_HASH, never in production).
_FAST_PIN_ITERATIONS = 1_000


def offline_pin_iterations() -> int:
    """The iteration count new verifiers get, and the least a till is sent."""
    if os.environ.get("TILL_TEST_FAST_HASH") == "1" and os.environ.get("TILL_ENVIRONMENT") != "production":
        return _FAST_PIN_ITERATIONS
    return OFFLINE_PIN_ITERATIONS


def offline_pin_verifier(pin: str, iterations: int | None = None) -> str:
    """A salted PBKDF2-SHA256 verifier of a PIN, for a till to check while offline.

    Format `pbkdf2_sha256$iterations$salt_hex$hash_hex`. Only tills the member signed in on
    online get it (services.sync), and an elevated member's PIN has at least 6 digits.
    """
    rounds = iterations or offline_pin_iterations()
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, rounds)
    return f"pbkdf2_sha256${rounds}${salt.hex()}${digest.hex()}"


def verifier_iterations(verifier: str) -> int:
    """The iteration count of a stored verifier (0 for none or one unreadable)."""
    parts = verifier.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit():
        return 0
    return int(parts[1])


def check_offline_pin(verifier: str, pin: str) -> bool:
    """True if the PIN matches an offline verifier."""
    try:
        scheme, iterations, salt_hex, hash_hex = verifier.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex), int(iterations))
    return secrets.compare_digest(digest.hex(), hash_hex)


def demo_password(username: str) -> str:
    """The password the demo store gives each member; refused at sign-in in production."""
    return f"{username}-demo"


def new_token() -> str:
    """A random bearer token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, so a database leak leaks no live token."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign_approval(secret_key: str, staff_id: int, device_id: str, issued_at: int, expires_at: int) -> str:
    """A manager's approval on a till, signed with the deployment's secret (HMAC-SHA256):
    `staff_id.device_id.issued_at.expires_at.signature`, times in Unix seconds."""
    body = f"{staff_id}.{device_id}.{issued_at}.{expires_at}"
    return f"{body}.{_approval_mac(secret_key, body)}"


def read_approval(secret_key: str, approval: str) -> tuple[int, str, int, int]:
    """(staff id, device id, issued, expires in Unix seconds) of an approval this server signed;
    ValueError for anything else (malformed, altered, signed with another secret)."""
    parts = approval.split(".")
    if len(parts) != 5 or not all(p.isdigit() and len(p) < 16 for p in (parts[0], parts[2], parts[3])):
        raise ValueError("the approval is not one this server gives")
    body = ".".join(parts[:4])
    if not hmac.compare_digest(parts[4], _approval_mac(secret_key, body)):
        raise ValueError("the approval's signature does not check")
    return int(parts[0]), parts[1], int(parts[2]), int(parts[3])


def _approval_mac(secret_key: str, body: str) -> str:
    key = hashlib.sha256(b"till approval\0" + secret_key.encode()).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
