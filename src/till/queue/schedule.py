"""Schedules: five-field cron (`m h dom mon dow`, UTC) or `@every 30s|5m|2h`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from till.domain.errors import Invalid

_EVERY = re.compile(r"^@every\s+(\d+)\s*([smh])$")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


class BadSchedule(Invalid):
    """A schedule that cannot be read."""


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise BadSchedule(f"step {step} in {text!r}")
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(part)
            end = high if step > 1 else start
        if not (low <= start <= end <= high):
            raise BadSchedule(f"{text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def check(schedule: str) -> None:
    """Raise BadSchedule unless the schedule can be read."""
    next_run(schedule, datetime(2026, 1, 1, tzinfo=UTC))


def next_run(schedule: str, after: datetime) -> datetime:
    """The first moment strictly after `after` the schedule names."""
    text = schedule.strip()
    every = _EVERY.match(text)
    if every:
        amount = int(every.group(1))
        if amount < 1:
            raise BadSchedule("@every needs a positive interval")
        unit = {"s": 1, "m": 60, "h": 3600}[every.group(2)]
        return after + timedelta(seconds=amount * unit)
    parts = text.split()
    if len(parts) != 5:
        raise BadSchedule(f"{schedule!r}: write 'minute hour day month weekday' or '@every 30s'")
    try:
        minutes, hours, days, months, weekdays = (
            _field(p, lo, hi) for p, (lo, hi) in zip(parts, _RANGES, strict=True)
        )
    except ValueError as exc:
        raise BadSchedule(f"{schedule!r}: {exc}") from None
    moment = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = moment + timedelta(days=366 * 5)
    while moment < limit:
        if moment.month not in months:
            moment = (moment.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            continue
        # cron's weekday: 0 = Sunday; Python's: 0 = Monday
        if moment.day not in days or (moment.weekday() + 1) % 7 not in weekdays:
            moment = moment.replace(hour=0, minute=0) + timedelta(days=1)
            continue
        if moment.hour not in hours:
            moment = moment.replace(minute=0) + timedelta(hours=1)
            continue
        if moment.minute not in minutes:
            moment += timedelta(minutes=1)
            continue
        return moment
    raise BadSchedule(f"{schedule!r} never comes")
