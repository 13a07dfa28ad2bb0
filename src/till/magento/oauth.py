"""OAuth 1.0a request signing (RFC 5849) with HMAC-SHA256, as Magento checks integration tokens.

From 2.4.4 Magento refuses an integration's access token as a plain bearer token (unless
`oauth/consumer/enable_integration_as_bearer` is on), so every call is signed instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from urllib.parse import quote, urlsplit


def encode(value: str) -> str:
    """RFC 3986 percent-encoding: only unreserved characters stay."""
    return quote(value, safe="~")


def base_string_uri(url: str) -> str:
    """Scheme and host in lower case, default ports dropped, no query (RFC 5849 3.4.1.2)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def signature_base(method: str, url: str, params: Sequence[tuple[str, str]]) -> str:
    """The signature base string: method, URI and the sorted, encoded parameters."""
    pairs = sorted((encode(k), encode(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), encode(base_string_uri(url)), encode(normalized)))


def sign(base: str, consumer_secret: str, token_secret: str) -> str:
    """HMAC-SHA256 of the base string, base64."""
    key = f"{encode(consumer_secret)}&{encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()


def authorization_header(
    method: str,
    url: str,
    query: Sequence[tuple[str, str]],
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> str:
    """The `Authorization: OAuth …` header for one request (query parameters are signed too)."""
    oauth = [
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", nonce or secrets.token_hex(16)),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", str(timestamp if timestamp is not None else int(time.time()))),
        ("oauth_token", token),
        ("oauth_version", "1.0"),
    ]
    signature = sign(signature_base(method, url, [*query, *oauth]), consumer_secret, token_secret)
    oauth.append(("oauth_signature", signature))
    return "OAuth " + ", ".join(f'{k}="{encode(v)}"' for k, v in oauth)
