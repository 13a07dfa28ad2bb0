"""Sign-in, sessions and devices."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
)

from till.api.schemas.common import (
    DecimalOut,
    RegisterCode,
    Strict,
    TimeOut,
)


class SignInIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class PinIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    pin: Annotated[str, Field(min_length=4, max_length=8, pattern=r"^\d+$")]


#: A PIN as typed: 4 to 8 digits (an elevated member's needs 6; refused with a 422 saying so).
PinDigits = Annotated[str, Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")]
Password = Annotated[str, Field(min_length=1, max_length=256)]


class ChangePinIn(Strict):
    """The member's current PIN and the new one (6 to 8 digits beyond a cashier's role)."""

    current_pin: PinDigits
    new_pin: PinDigits


class ChangePasswordIn(Strict):
    """The member's current password and the new one (at least 8 characters)."""

    current_password: Password
    new_password: Password


class ResetPinIn(Strict):
    """A member's new PIN, set by an admin."""

    pin: PinDigits


class ResetPasswordIn(Strict):
    """A member's new password, set by an admin."""

    password: Password


class SessionsEnded(BaseModel):
    sessions_ended: int = Field(description="sign-in sessions of the member this ended")


class StaffOut(BaseModel):
    id: int
    username: str
    name: str
    role: str
    locations: list[str]
    max_discount_percent: DecimalOut
    permissions: list[str]


class SessionOut(BaseModel):
    token: str
    expires_at: TimeOut
    staff: StaffOut
    register_code: str | None


class DeviceIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    register_code: RegisterCode


class DeviceOut(BaseModel):
    id: str
    name: str
    register_code: str
    created_at: TimeOut
    revoked_at: TimeOut | None


class DeviceRegistered(BaseModel):
    device_id: str
    device_token: str = Field(description="shown once: the till keeps it to allow PIN sign-in")
    receipt_series: str = Field(
        description="this till's own series on its register: its receipt numbers are "
        "REGISTER-SERIES-NUMBER (NYC1-B-000042), so tills sharing a register never collide"
    )


class ApprovalOut(BaseModel):
    approval: str = Field(
        description="the server's signed approval: attach it to the sale as `approval`, with "
        "`approved_by` = staff_id; good on this till until expires_at"
    )
    staff_id: int
    username: str
    expires_at: TimeOut
