"""Sign-in, lockout, devices and PINs over HTTP on each database."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import Live


def _sign_in(live: Live, username: str, password: str, device_token: str | None = None) -> httpx.Response:
    with live.client(device_token=device_token) as anonymous:
        return anonymous.post("/api/auth/sign-in", json={"username": username, "password": password})


def _pin(live: Live, username: str, pin: str, device_token: str | None) -> httpx.Response:
    with live.client(device_token=device_token) as anonymous:
        return anonymous.post("/api/auth/pin", json={"username": username, "pin": pin})


def _me(live: Live, token: str) -> httpx.Response:
    with live.client(token) as client:
        return client.get("/api/auth/me")


def _register(live: Live, register_code: str, by: str = "grace") -> dict[str, Any]:
    with live.sign_in(by) as manager:
        answer = manager.post(
            "/api/devices", json={"name": f"iPad at {register_code}", "register_code": register_code}
        )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _detail(answer: httpx.Response) -> str:
    return str(answer.json()["detail"])


def test_the_right_password_gives_a_token_that_shows_who_signed_in(live: Live) -> None:
    maya = live.store.staff_member("maya")
    answer = _sign_in(live, "maya", maya.password)
    assert answer.status_code == 200, answer.text
    session = answer.json()
    assert session["staff"]["username"] == "maya"
    assert session["register_code"] is None
    me = _me(live, session["token"])
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "cashier"
    assert me.json()["locations"] == ["NYC"]
    assert "sell" in me.json()["permissions"]
    assert "refund" not in me.json()["permissions"]
    assert "stock_adjust" not in me.json()["permissions"]


def test_me_shows_a_managers_and_an_admins_permissions(live: Live) -> None:
    with live.sign_in("grace") as manager:
        grace = manager.get("/api/auth/me").json()
    with live.sign_in("admin") as admin:
        sam = admin.get("/api/auth/me").json()
    assert grace["role"] == "manager"
    assert sorted(grace["locations"]) == ["NYC", "WH"]
    assert {"refund", "stock_adjust", "shift_close", "manage_devices", "reports"} <= set(grace["permissions"])
    assert "manage_staff" not in grace["permissions"]
    assert sam["role"] == "admin"
    assert sam["locations"] == []
    assert "manage_staff" in sam["permissions"]


def test_a_wrong_password_is_401_with_a_message(live: Live) -> None:
    wrong = _sign_in(live, "maya", "not-her-password")
    nobody = _sign_in(live, "nobody-here", "whatever-password")
    assert wrong.status_code == 401
    assert _detail(wrong)
    assert "token" not in wrong.json()
    # An unknown username reads exactly like a wrong password: no hint who exists.
    assert nobody.status_code == 401
    assert _detail(nobody) == _detail(wrong)


def test_six_wrong_passwords_lock_the_account_even_for_the_right_one(live: Live) -> None:
    maya = live.store.staff_member("maya")
    statuses = [_sign_in(live, "maya", f"wrong-{i}").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 423
    right = _sign_in(live, "maya", maya.password)
    assert right.status_code == 423
    assert "locked" in _detail(right)
    assert "token" not in right.json()
    # Someone else is not locked by maya's failures.
    omar = live.store.staff_member("omar")
    assert _sign_in(live, "omar", omar.password).status_code == 200


def test_five_failures_then_the_right_password_resets_the_count(live: Live) -> None:
    maya = live.store.staff_member("maya")
    for i in range(5):
        assert _sign_in(live, "maya", f"wrong-{i}").status_code == 401
    assert _sign_in(live, "maya", maya.password).status_code == 200
    # The count started again: five more failures do not lock her.
    for i in range(5):
        assert _sign_in(live, "maya", f"again-{i}").status_code == 401
    assert _sign_in(live, "maya", maya.password).status_code == 200


def test_a_registered_device_allows_pin_sign_in(live: Live) -> None:
    device = _register(live, "NYC1")
    maya = live.store.staff_member("maya")
    answer = _pin(live, "maya", maya.pin, device["device_token"])
    assert answer.status_code == 200, answer.text
    session = answer.json()
    assert session["register_code"] == "NYC1"
    assert session["staff"]["username"] == "maya"
    assert _me(live, session["token"]).status_code == 200
    wrong_pin = _pin(live, "maya", "0000" if maya.pin != "0000" else "1111", device["device_token"])
    assert wrong_pin.status_code == 401
    with live.sign_in("grace") as manager:
        listed = manager.get("/api/devices")
    assert listed.status_code == 200
    [shown] = [d for d in listed.json() if d["id"] == device["device_id"]]
    assert shown["register_code"] == "NYC1"
    assert shown["revoked_at"] is None


def test_a_pin_without_a_device_token_is_refused(live: Live) -> None:
    maya = live.store.staff_member("maya")
    bare = _pin(live, "maya", maya.pin, None)
    forged = _pin(live, "maya", maya.pin, "not-a-real-device-token")
    assert bare.status_code == 401
    assert "X-Device-Token" in _detail(bare)
    assert "token" not in bare.json()
    assert forged.status_code == 401
    assert "token" not in forged.json()


def test_a_cashier_cannot_register_or_list_devices(live: Live) -> None:
    with live.sign_in("maya") as till:
        registered = till.post("/api/devices", json={"name": "my phone", "register_code": "NYC1"})
        listed = till.get("/api/devices")
    assert registered.status_code == 403
    assert _detail(registered)
    assert listed.status_code == 403
    with live.sign_in("grace") as manager:
        assert manager.get("/api/devices").json() == []


def test_registering_a_device_on_an_unknown_register_is_404(live: Live) -> None:
    with live.sign_in("grace") as manager:
        answer = manager.post("/api/devices", json={"name": "ghost", "register_code": "NOPE9"})
        listed = manager.get("/api/devices").json()
    assert answer.status_code == 404
    assert "NOPE9" in _detail(answer)
    assert listed == []


def test_revoking_a_device_ends_its_token_and_its_sign_ins_at_once(live: Live) -> None:
    device = _register(live, "NYC1")
    maya = live.store.staff_member("maya")
    on_device = _pin(live, "maya", maya.pin, device["device_token"]).json()["token"]
    by_password = _sign_in(live, "grace", live.store.staff_member("grace").password, device["device_token"])
    assert by_password.status_code == 200, by_password.text
    elsewhere = _sign_in(live, "maya", maya.password).json()["token"]
    assert _me(live, on_device).status_code == 200

    with live.sign_in("grace") as manager:
        revoked = manager.delete(f"/api/devices/{device['device_id']}")
        listed = manager.get("/api/devices").json()
    assert revoked.status_code == 204

    assert _me(live, on_device).status_code == 401
    assert _me(live, by_password.json()["token"]).status_code == 401
    assert _pin(live, "maya", maya.pin, device["device_token"]).status_code == 401
    assert _sign_in(live, "maya", maya.password, device["device_token"]).status_code == 401
    # A sign-in that was not on the revoked device goes on working.
    assert _me(live, elsewhere).status_code == 200
    [shown] = [d for d in listed if d["id"] == device["device_id"]]
    assert shown["revoked_at"] is not None


def test_a_cashier_cannot_revoke_a_device_and_an_unknown_device_is_404(live: Live) -> None:
    device = _register(live, "NYC1")
    with live.sign_in("maya") as till:
        denied = till.delete(f"/api/devices/{device['device_id']}")
    with live.sign_in("grace") as manager:
        unknown = manager.delete("/api/devices/no-such-device")
    assert denied.status_code == 403
    assert unknown.status_code == 404
    maya = live.store.staff_member("maya")
    assert _pin(live, "maya", maya.pin, device["device_token"]).status_code == 200


def test_sign_out_revokes_the_token(live: Live) -> None:
    maya = live.store.staff_member("maya")
    first = _sign_in(live, "maya", maya.password).json()["token"]
    second = _sign_in(live, "maya", maya.password).json()["token"]
    with live.client(first) as client:
        out = client.post("/api/auth/sign-out")
        after = client.get("/api/auth/me")
    assert out.status_code == 204
    assert after.status_code == 401
    assert _detail(after)
    # Only that session ended.
    assert _me(live, second).status_code == 200


def test_requests_without_a_valid_token_are_401(live: Live) -> None:
    with live.client() as anonymous:
        bare = anonymous.get("/api/auth/me")
        out = anonymous.post("/api/auth/sign-out")
    assert bare.status_code == 401
    assert "Bearer" in _detail(bare)
    assert out.status_code == 401
    assert _me(live, "made-up-token").status_code == 401


def test_a_nyc_cashier_cannot_pin_in_on_a_wh_till(live: Live) -> None:
    device = _register(live, "WH1")
    maya = live.store.staff_member("maya")
    omar = live.store.staff_member("omar")
    refused = _pin(live, "maya", maya.pin, device["device_token"])
    assert refused.status_code in (401, 403)
    assert "token" not in refused.json()
    assert "WH" in _detail(refused)
    by_password = _sign_in(live, "maya", maya.password, device["device_token"])
    assert by_password.status_code in (401, 403)
    allowed = _pin(live, "omar", omar.pin, device["device_token"])
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["register_code"] == "WH1"


def test_bad_sign_in_bodies_are_422_never_500(live: Live) -> None:
    maya = live.store.staff_member("maya")
    device = _register(live, "NYC1")
    with live.client() as anonymous:
        missing = anonymous.post("/api/auth/sign-in", json={"username": "maya"})
        extra = anonymous.post(
            "/api/auth/sign-in", json={"username": "maya", "password": maya.password, "remember": True}
        )
        not_json = anonymous.post(
            "/api/auth/sign-in", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        number = anonymous.post("/api/auth/sign-in", json={"username": "maya", "password": 1234})
    with live.client(device_token=device["device_token"]) as till:
        letters = till.post("/api/auth/pin", json={"username": "maya", "pin": "12ab"})
        short = till.post("/api/auth/pin", json={"username": "maya", "pin": "12"})
    for answer in (missing, extra, not_json, number, letters, short):
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"]
    assert "password" in str(missing.json()["detail"])
    assert "remember" in str(extra.json()["detail"])
    # None of these counted as a failed sign-in: six more wrong ones are needed to lock.
    for i in range(5):
        assert _sign_in(live, "maya", f"wrong-{i}").status_code == 401
    assert _sign_in(live, "maya", maya.password).status_code == 200


def test_bad_device_bodies_are_422_and_register_nothing(live: Live) -> None:
    with live.sign_in("grace") as manager:
        missing = manager.post("/api/devices", json={"name": "no register"})
        extra = manager.post("/api/devices", json={"name": "x", "register_code": "NYC1", "owner": "me"})
        empty = manager.post("/api/devices", json={"name": "", "register_code": "NYC1"})
        listed = manager.get("/api/devices").json()
    for answer in (missing, extra, empty):
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"]
    assert listed == []


def test_six_wrong_pins_lock_the_member_for_pin_and_password(live: Live) -> None:
    device = _register(live, "NYC1")
    maya = live.store.staff_member("maya")
    wrong = "0000" if maya.pin != "0000" else "1111"
    statuses = [_pin(live, "maya", wrong, device["device_token"]).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [423]
    assert _pin(live, "maya", maya.pin, device["device_token"]).status_code == 423
    assert _sign_in(live, "maya", maya.password).status_code == 423
