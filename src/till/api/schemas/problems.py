"""Error answers: the Problem body every error shares and what each status means."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
)


class FieldError(BaseModel):
    """One field a request got wrong: where (`["body", "sales", 0, "qty"]`), what, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """Every error answer: a message a person can act on, or (422) the fields that were wrong."""

    detail: str | list[FieldError]
    #: Stable for errors Till raises on purpose (`sale_invalid`, `not_found`, `conflict`...);
    #: absent on field validation errors.
    code: str | None = None


#: What each error status means, as the OpenAPI documents it.
PROBLEMS: dict[int, str] = {
    400: "the request cannot be read or run as written (a body that is not UTF-8; a report that "
    "would write or has bad parameters)",
    401: "not signed in, or the token is unknown, expired or revoked",
    403: "the member's role or locations do not allow this",
    404: "no such thing (or not at the member's locations)",
    409: "it clashes with the current state (e.g. a second open shift, a name in use)",
    413: "the request body is over the size limit (5 MiB); send smaller batches",
    422: "the request is malformed: a list of field errors, or a message",
    423: "the member is locked after repeated failed sign-ins",
    429: "too many attempts from this address; try again after Retry-After seconds",
    502: "a device the server drives for the till (a network receipt printer) did not take the "
    "request: the message says why; nothing else changed",
    503: "the database is not answering; keep the request and retry after Retry-After seconds",
}


def problems(
    *codes: int, also: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: these error statuses, each with the Problem body, and `also`."""
    answers: dict[int | str, dict[str, Any]] = {
        code: {"model": Problem, "description": PROBLEMS[code]} for code in codes
    }
    answers.update(also or {})
    return answers
