"""Secrets at rest, production settings, security headers, CORS and signed webhooks."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select

from tests.e2e.conftest import Live
from tests.e2e.conftest import live as live  # the server fixture, shared with the e2e tests
from till.api.app import create_app
from till.demo.store import seed_demo
from till.queue.messages import Message
from till.queue.webhooks import InvalidSignature, deliver, sign, verify_signature
from till.security import offline_pin_iterations
from till.services.auth import add_staff
from till.settings import DEVELOPMENT_SECRET_KEY, Settings
from till.storage.events import Actor
from till.storage.tables import staff

with warnings.catch_warnings():
    # Starlette would rather the test client used httpx2; httpx is what this project has.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]
A_SECRET = "a-production-secret-of-forty-characters!"


def _client(engine: Engine, **settings: Any) -> TestClient:
    """The app in process (no lifespan needed for these requests)."""
    made = Settings(
        database_url=str(engine.url), web_dist=settings.pop("web_dist", "/nonexistent"), **settings
    )
    return TestClient(create_app(made, engine))


# --- secrets at rest ---------------------------------------------------------------------------


def test_passwords_and_pins_are_stored_as_argon2id_hashes(live: Live) -> None:
    with live.sign_in("admin") as admin:
        made = admin.post(
            "/api/admin/staff",
            json={
                "username": "lena",
                "name": "Lena Sol",
                "role": "cashier",
                "password": "correct horse battery",
                "pin": "8642",
                "locations": ["NYC"],
            },
        )
    assert made.status_code == 201, made.text
    with live.engine.connect() as conn:
        rows = {r.username: r for r in conn.execute(select(staff))}
    for member in [*live.store.staff, "lena"]:
        row = rows[member if isinstance(member, str) else member.username]
        assert row.password_hash.startswith("$argon2id$v=19$"), row.password_hash
        assert row.pin_hash.startswith("$argon2id$v=19$"), row.pin_hash
        assert row.password_hash != row.pin_hash
        # The offline verifier a till keeps is PBKDF2 (WebCrypto), salted; never the argon2 hash.
        # (At the test suite's cheap count: production's is checked in tests/trust/test_offline_pins.py.)
        rounds = offline_pin_iterations()
        assert re.fullmatch(rf"pbkdf2_sha256\${rounds}\$[0-9a-f]{{32}}\$[0-9a-f]{{64}}", row.pin_offline)
    lena = rows["lena"]
    stored = " ".join(str(v) for v in lena)
    assert "correct horse battery" not in stored and "8642" not in stored.replace(lena.pin_offline, "")


def test_production_hashes_with_argon2s_full_cost_whatever_the_test_switch_says() -> None:
    """The test suite hashes cheaply (TILL_TEST_FAST_HASH); production never honours that."""
    script = "from till.security import hash_secret; print(hash_secret('secret'))"
    env = {**os.environ, "TILL_TEST_FAST_HASH": "1", "TILL_ENVIRONMENT": "production"}
    made = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    # RFC 9106's low-memory profile, argon2-cffi's default: 64 MiB, 3 passes, 4 lanes.
    assert made.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), made.stdout


# --- production refuses development defaults --------------------------------------------------


def test_production_refuses_the_development_secret_key() -> None:
    for secret in (DEVELOPMENT_SECRET_KEY, "short"):
        with pytest.raises(ValidationError, match="TILL_SECRET_KEY"):
            Settings(environment="production", secret_key=secret)
    with pytest.raises(ValidationError, match="development"):
        Settings(environment="prod")  # a typo is not a way around the check
    assert Settings(environment="production", secret_key=A_SECRET).production
    assert not Settings().production


def test_the_till_command_stops_at_start_with_the_reason() -> None:
    env = {**os.environ, "TILL_ENVIRONMENT": "production", "TILL_DATABASE_URL": "sqlite://"}
    env.pop("TILL_SECRET_KEY", None)
    command = [sys.executable, "-c", "from till.cli import app; app()"]
    started = subprocess.run([*command, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 2
    assert "TILL_SECRET_KEY" in started.stdout and "Traceback" not in started.stdout + started.stderr
    demo = subprocess.run(
        [*command, "demo", "--no-serve"],
        env={**env, "TILL_SECRET_KEY": A_SECRET},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert demo.returncode == 1
    assert "not for production" in demo.stdout


def test_production_refuses_the_demo_passwords(sqlite_engine: Engine) -> None:
    store = seed_demo(sqlite_engine)
    add_staff(
        sqlite_engine,
        username="owner",
        name="Shop Owner",
        role=store.staff[-1].role,
        password="an owner's own password",
        pin="739104",
        locations=[],
        by=Actor(via="test"),
    )
    production = _client(sqlite_engine, environment="production", secret_key=A_SECRET)
    development = _client(sqlite_engine)
    grace = store.staff_member("grace")
    refused = production.post("/api/auth/sign-in", json={"username": "grace", "password": grace.password})
    own = production.post(
        "/api/auth/sign-in", json={"username": "owner", "password": "an owner's own password"}
    )
    assert refused.status_code == 401
    assert "demo password" in refused.json()["detail"]
    assert own.status_code == 200, own.text
    assert (
        development.post(
            "/api/auth/sign-in", json={"username": "grace", "password": grace.password}
        ).status_code
        == 200
    )


# --- security headers and CORS ---------------------------------------------------------------


@pytest.fixture
def built_pwa(tmp_path: Path) -> Path:
    """A stand-in for web/dist: the shell, the service worker and one hashed asset."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<!doctype html><script type="module" src="/assets/index-1.js"></script>'
    )
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (tmp_path / "assets" / "index-1.js").write_text("console.log('till');")
    return tmp_path


def _csp(answer: httpx.Response) -> dict[str, list[str]]:
    found = {}
    for directive in answer.headers["content-security-policy"].split(";"):
        name, *values = directive.split()
        found[name] = values
    return found


def test_every_answer_carries_the_security_headers(sqlite_engine: Engine, built_pwa: Path) -> None:
    seed_demo(sqlite_engine)
    client = _client(sqlite_engine, web_dist=built_pwa)
    answers = {
        "the till": client.get("/"),
        "its service worker": client.get("/sw.js"),
        "an asset": client.get("/assets/index-1.js"),
        "the API": client.get("/api/health"),
        "a 401": client.get("/api/auth/me"),
        "a 404": client.get("/api/nothing-here"),
        "a 413": client.post("/api/auth/sign-in", content=b" " * (6 * 1024 * 1024)),
    }
    for what, answer in answers.items():
        assert answer.headers["x-content-type-options"] == "nosniff", what
        assert answer.headers["x-frame-options"] == "DENY", what
        assert answer.headers["referrer-policy"] == "no-referrer", what
        assert "strict-transport-security" not in answer.headers, what  # development: plain HTTP is fine
        csp = _csp(answer)
        assert csp["frame-ancestors"] == ["'none'"], what
        # Scripts only from the till's own origin: no inline script, no eval, no CDN.
        assert csp["script-src"] == ["'self'"], what
        assert csp["worker-src"] == ["'self'"] and csp["connect-src"] == ["'self'"], what
        # MUI (emotion) injects <style> elements; index.html has inline styles.
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"], what
    assert [a.status_code for a in answers.values()] == [200, 200, 200, 200, 401, 404, 413]
    docs = client.get("/docs")
    assert "https://cdn.jsdelivr.net" in _csp(docs)["script-src"]
    production = _client(sqlite_engine, environment="production", secret_key=A_SECRET, web_dist=built_pwa)
    for path in ("/", "/api/health"):
        assert (
            production.get(path).headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        )


def test_the_pwa_shell_needs_no_inline_script_so_the_csp_holds() -> None:
    """script-src 'self' blocks inline scripts: the shell (and the build of it, when there is
    one) must load every script from a file and carry no inline event handler."""
    pages = [REPO / "web/index.html"] + [p for p in [REPO / "web/dist/index.html"] if p.is_file()]
    for page in pages:
        html = page.read_text()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.DOTALL | re.IGNORECASE)
        assert scripts, page
        for attributes, body in scripts:
            assert "src=" in attributes and not body.strip(), (page, attributes)
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE), (
            f"an inline event handler in {page}"
        )


def test_cors_answers_only_the_origins_named_in_the_setting(sqlite_engine: Engine) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    default = _client(sqlite_engine)
    assert (
        "access-control-allow-origin"
        not in default.options(
            "/api/sync/push", headers={"Origin": "https://office.example.com", **preflight}
        ).headers
    )
    assert (
        "access-control-allow-origin"
        not in default.get("/api/health", headers={"Origin": "https://office.example.com"}).headers
    )
    named = _client(sqlite_engine, cors_origins="https://office.example.com, https://hq.example.com/")
    allowed = named.options("/api/sync/push", headers={"Origin": "https://office.example.com", **preflight})
    other = named.options("/api/sync/push", headers={"Origin": "https://evil.example.com", **preflight})
    simple = named.get("/api/health", headers={"Origin": "https://hq.example.com"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://office.example.com"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert simple.headers["access-control-allow-origin"] == "https://hq.example.com"


# --- signed webhooks ---------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    """A webhook receiver that keeps what it got and answers 204."""

    got: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.got = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.got
    server.shutdown()


def test_a_delivered_webhook_verifies_and_a_tampered_or_old_one_does_not(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, got = receiver
    secret = "the endpoint's secret"
    message = Message("msg-1", "sale.placed", {"order_id": "o-1", "grand_total": "10.00"}, "webhook.1")

    async def send() -> None:
        async with httpx.AsyncClient() as client:
            await deliver(client, {"url": url, "secret": secret}, message, allow_private=True)

    asyncio.run(send())
    [(headers, body)] = got
    header = headers["till-signature"]
    assert header.startswith(f"t={headers['till-timestamp']},v1=")
    verify_signature(secret, header, body)  # what a receiver does: no exception

    refusals = {
        "a tampered body": (secret, header, body.replace(b"10.00", b"99.00"), None),
        "another secret": ("not the secret", header, body, None),
        "replayed after 5 minutes": (secret, header, body, time.time() + 301),
        "a clock far ahead": (secret, sign(secret, int(time.time()) + 301, body), body, None),
        "no signature": (secret, None, body, None),
        "no timestamp": (secret, header.split(",", 1)[1], body, None),
        "a made-up signature": (secret, f"t={int(time.time())},v1={'0' * 64}", body, None),
    }
    reasons = {}
    for what, (key, signature, raw, now) in refusals.items():
        with pytest.raises(InvalidSignature) as refused:
            verify_signature(key, signature, raw, now=now)
        reasons[what] = str(refused.value)
    assert "does not match" in reasons["a tampered body"]
    assert "old" in reasons["replayed after 5 minutes"]
    assert "t=<unix seconds>" in reasons["no signature"]
