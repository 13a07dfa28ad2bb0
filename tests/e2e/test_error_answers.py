"""Error answers: a Till error answers its status with a stable `code`; anything else, a stray
ValueError included, is a defect: a logged 500, never a 422 that blames the caller."""

from __future__ import annotations

import logging
import warnings

import pytest
from sqlalchemy import create_engine

from till.api.app import create_app
from till.domain.errors import Conflict, NotFound
from till.domain.sales import OrderError
from till.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _client() -> TestClient:
    engine = create_engine("sqlite://")
    app = create_app(Settings(database_url="sqlite://", web_dist="/nonexistent"), engine)

    @app.get("/api/test/domain")
    def domain() -> None:
        raise OrderError("receipt number ZZ-1 does not belong to register AB")

    @app.get("/api/test/missing")
    def missing() -> None:
        raise NotFound("no sale 7")

    @app.get("/api/test/clash")
    def clash() -> None:
        raise Conflict("a shift is open")

    @app.get("/api/test/defect")
    def defect() -> None:
        raise ValueError("int() got a bad literal")

    return TestClient(app, raise_server_exceptions=False)


def test_till_errors_answer_their_status_and_code() -> None:
    client = _client()
    domain = client.get("/api/test/domain")
    assert domain.status_code == 422
    assert domain.json() == {
        "detail": "receipt number ZZ-1 does not belong to register AB",
        "code": "sale_invalid",
    }
    assert client.get("/api/test/missing").json() == {"detail": "no sale 7", "code": "not_found"}
    clash = client.get("/api/test/clash")
    assert clash.status_code == 409 and clash.json()["code"] == "conflict"


def test_a_stray_value_error_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="till.api.app"):
        answer = _client().get("/api/test/defect")
    assert answer.status_code == 500
    assert answer.json()["code"] == "internal"
    assert "bad literal" not in answer.text  # the cause is logged, not told to the caller
    assert any("/api/test/defect" in r.getMessage() and r.exc_info for r in caplog.records)
