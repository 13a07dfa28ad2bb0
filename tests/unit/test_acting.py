"""Approvals the server signed count only within their life (red-team finding: a proof "good
for 10 minutes" approved sales for 12, the clock allowance added after its end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from till.domain.acting import ApprovalProof, judge_approval

GIVEN = datetime(2026, 12, 7, 12, 20, 43, tzinfo=UTC)
PROOF = ApprovalProof(staff_id=3, device_id="d1", issued_at=GIVEN, expires_at=GIVEN + timedelta(minutes=10))


def _judge(moment: datetime) -> str | None:
    return judge_approval(3, PROOF, None, device_id="d1", moment=moment, slack=timedelta(minutes=2))


def test_an_approval_counts_within_its_life_and_not_after_it() -> None:
    assert _judge(GIVEN + timedelta(minutes=9, seconds=59)) is None
    assert _judge(GIVEN + timedelta(minutes=10)) is None
    assert _judge(GIVEN + timedelta(minutes=10, seconds=33)) is not None
    assert _judge(GIVEN + timedelta(minutes=12)) is not None


def test_a_till_clock_a_little_behind_still_counts_at_the_start() -> None:
    assert _judge(GIVEN - timedelta(minutes=1)) is None
    assert _judge(GIVEN - timedelta(minutes=3)) is not None
