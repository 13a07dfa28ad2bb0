"""OAuth 1.0a request signing (RFC 5849) with HMAC-SHA256, as Magento checks integration tokens.

From 2.4.4 Magento refuses an integration's access token as a plain bearer token (unless
`oauth/consumer/enable_integration_as_bearer` is on), so every call is signed instead.

Magento rebuilds the base string from the request as it arrived, not quite as RFC 5849 says:

- the query is split on `&`/`=` and decoded with `rawurldecode` up to 2.4.7 (a `+` stays a
  plus) and `urldecode` from 2.4.8: so the query is sent with spaces as `%20`, never `+`
  (`query_string`), which both decode to the space that was signed;
- 2.4.6 and 2.4.7 normalise the path with Laminas Uri first, decoding `%XX` of `: @ & = + $ , / ;`
  (a sku `ABC/10` sent as `ABC%2F10` is signed as `ABC%2F10`, not `ABC%252F10`); 2.4.4, 2.4.5
  and 2.4.8 sign the path as sent. `PATH_FORMS` names the two; the client learns the store's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

PathForm = Literal["as_sent", "laminas"]
PATH_FORMS: tuple[PathForm, ...] = ("laminas", "as_sent")
#: What Laminas Uri::normalizePath decodes: unreserved characters and these.
_LAMINAS_DECODED = frozenset(":@&=+$,/;%")


def encode(value: str) -> str:
    """RFC 3986 percent-encoding: only unreserved characters stay."""
    return quote(value, safe="~")


def query_string(params: Sequence[tuple[str, str]]) -> str:
    """The query as sent: RFC 3986 encoding (a space is `%20`), so Magento's decoding of every
    release gives back exactly the values that were signed."""
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in params)


def differs_by_form(path: str) -> bool:
    """True when the two path forms sign this (percent-encoded) path differently."""
    return any(unquote(m) in _LAMINAS_DECODED for m in re.findall(r"%[0-9A-Fa-f]{2}", path))


def _laminas_path(path: str) -> str:
    def decode(match: re.Match[str]) -> str:
        char = unquote(match.group(0))
        return char if char in _LAMINAS_DECODED else match.group(0)

    # Laminas Uri::encodePath then encodes a `%` that does not start an escape again.
    return re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", re.sub(r"%[0-9A-Fa-f]{2}", decode, path))


def base_string_uri(url: str, path_form: PathForm = "as_sent") -> str:
    """Scheme and host in lower case, default ports dropped, no query (RFC 5849 3.4.1.2); the
    path as sent, or as Magento 2.4.6/2.4.7's Laminas normalisation rewrites it."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    path = parts.path or "/"
    if path_form == "laminas":
        path = _laminas_path(path)
    return f"{scheme}://{host}{path}"


def signature_base(
    method: str, url: str, params: Sequence[tuple[str, str]], path_form: PathForm = "as_sent"
) -> str:
    """The signature base string: method, URI and the sorted, encoded parameters."""
    pairs = sorted((encode(k), encode(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), encode(base_string_uri(url, path_form)), encode(normalized)))


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
    path_form: PathForm = "as_sent",
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
    base = signature_base(method, url, [*query, *oauth], path_form)
    signature = sign(base, consumer_secret, token_secret)
    oauth.append(("oauth_signature", signature))
    return "OAuth " + ", ".join(f'{k}="{encode(v)}"' for k, v in oauth)
