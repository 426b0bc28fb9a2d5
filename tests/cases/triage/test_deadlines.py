"""cases.triage.deadlines: the three clocks of a case (DESIGN.md §6), in Python and in SQL."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from cases.models import Case, Reviewer
from cases.platform.clock import to_hour, to_next_hour
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import team_replies
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.triage.case_list import CaseFilter, dashboard, list_cases
from cases.triage.deadlines import DeadlineRules, next_due, overdue_kinds, start_clocks
from cases.triage.workflow import change_status
from crypto.keys import KeyPair
from tests.domain import as_actor, founder

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
RECEIVED = datetime(2024, 3, 1, 14, 0)
NOW = datetime(2024, 9, 2, 9, 30)
SECOND = timedelta(seconds=1)


def _active(session: Session, username: str) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username)
    return holder.reviewer, holder.keypair


def _submit(
    session: Session, config: Config, *, received: datetime | None = None, rules: DeadlineRules | None = None
) -> Case:
    category, opd = active_categories(session)[0], active_opds(session)[0]
    case_id = submit_report(
        session,
        category_id=category.id,
        opd_id=opd.id,
        content=ReportContent(what="setoran"),
        receipt_key=config.receipt_key_bytes,
        rules=rules,
    ).case_id
    case = session.get(Case, case_id)
    assert case is not None
    if received is not None:
        case.received_at = received
        start_clocks(case, DeadlineRules())
    session.flush()
    return case


def _clocked(status: str = "new", *, answered: datetime | None = None) -> Case:
    """An unsaved case received at RECEIVED, in `status`, first answered at `answered`."""
    case = Case(status=status, received_at=RECEIVED)
    start_clocks(case, DeadlineRules())
    if answered is not None:
        case.first_response_at = answered
        case.feedback_due = answered + timedelta(days=90)
    return case


def test_start_clocks_uses_the_default_rules() -> None:
    # given a case received at 14:00, when its clocks start with the default rules
    case = _clocked()
    # then first response is due in 24 hours, assessment in 30 days, feedback in 90 days
    assert case.first_response_due == datetime(2024, 3, 2, 14, 0)
    assert case.assessment_due == datetime(2024, 3, 31, 14, 0)
    assert case.feedback_due == datetime(2024, 5, 30, 14, 0)
    assert case.next_due == case.first_response_due


def test_start_clocks_uses_custom_rules() -> None:
    case = Case(status="new", received_at=RECEIVED)
    start_clocks(case, DeadlineRules(first_response_hours=48, assessment_days=14, feedback_days=60))
    assert (case.first_response_due, case.assessment_due, case.feedback_due) == (
        RECEIVED + timedelta(hours=48),
        RECEIVED + timedelta(days=14),
        RECEIVED + timedelta(days=60),
    )


@pytest.mark.parametrize("minute_second", [(0, 0), (0, 1), (30, 0), (59, 59)])
def test_rounding_never_gives_the_team_more_time(
    session: Session,
    config: Config,
    recovery_secret: bytes,
    monkeypatch: pytest.MonkeyPatch,
    minute_second: tuple[int, int],
) -> None:
    # given a report submitted at 14:mm:ss
    real = datetime(2024, 3, 1, 14, *minute_second)
    monkeypatch.setattr("cases.reporting.submission.utc_now", lambda: real)
    case = _submit(session, config)
    # then it is stored as 14:00, and every due time is at or before the exact rule
    assert case.received_at == datetime(2024, 3, 1, 14, 0)
    assert case.first_response_due == datetime(2024, 3, 2, 14, 0)
    assert case.first_response_due <= real + timedelta(hours=24)
    assert case.assessment_due is not None and case.assessment_due <= real + timedelta(days=30)
    assert case.feedback_due is not None and case.feedback_due <= real + timedelta(days=90)


def test_submission_applies_custom_rules(session: Session, config: Config, recovery_secret: bytes) -> None:
    case = _submit(session, config, rules=DeadlineRules(first_response_hours=8, assessment_days=10))
    assert case.first_response_due - case.received_at == timedelta(hours=8)
    assert case.assessment_due is not None and case.assessment_due - case.received_at == timedelta(days=10)


def test_team_reply_answers_once_and_restarts_feedback(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a case received at 14:00
    rina, keys = _active(session, "rina")
    case = _submit(session, config, received=RECEIVED)
    # when the team replies at 15:20, and again a week later
    first, second = RECEIVED + timedelta(minutes=80), RECEIVED + timedelta(days=7)
    for moment, text in ((first, "Terima kasih"), (second, "Mohon bukti tambahan")):
        monkeypatch.setattr("cases.reporting.conversation.utc_now", lambda moment=moment: moment)
        team_replies(session, actor=as_actor(rina, keys.private), case_id=case.id, text=text)
    # then the first response stays the first reply (kept as the hour it was made by: 16:00), and
    # feedback is due 90 days after the latest (from its hour: rounding never gives the team more time)
    assert case.first_response_at == to_next_hour(first)
    assert case.feedback_due == to_hour(second) + timedelta(days=90)
    assert case.next_due == case.assessment_due  # still new: the assessment clock is next


def test_status_change_answers_once_and_restarts_feedback(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a case received at 14:00
    rina, keys = _active(session, "rina")
    case = _submit(session, config, received=RECEIVED)
    first, second = RECEIVED + timedelta(hours=3), RECEIVED + timedelta(days=12)
    # when it is verified, then investigated later
    change_status(session, actor=as_actor(rina, keys.private), case_id=case.id, new_status="verifying", now=first)
    assert (case.first_response_at, case.next_due) == (first, case.assessment_due)
    change_status(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case.id,
        new_status="investigating",
        now=second,
        rules=DeadlineRules(feedback_days=60),
    )
    # then the first response is still the first change, and feedback follows the latest change (and its rules)
    assert case.first_response_at == first
    assert case.feedback_due == second + timedelta(days=60)
    assert case.next_due == case.feedback_due


def test_first_response_overdue_only_strictly_after_due_and_only_until_answered() -> None:
    case = _clocked()
    due = case.first_response_due
    assert overdue_kinds(case, due) == []
    assert overdue_kinds(case, due + SECOND) == ["first_response"]
    case.first_response_at = due + timedelta(hours=5)  # answered late: no longer pending
    assert overdue_kinds(case, due + timedelta(days=2)) == []


@pytest.mark.parametrize(
    ("status", "overdue"),
    [("new", ["assessment"]), ("verifying", ["assessment"]), ("investigating", []), ("referred", [])],
)
def test_assessment_overdue_while_not_yet_past_verification(status: str, overdue: list[str]) -> None:
    case = _clocked(status, answered=RECEIVED + timedelta(hours=2))
    assert case.assessment_due is not None
    assert overdue_kinds(case, case.assessment_due) == []
    assert overdue_kinds(case, case.assessment_due + SECOND) == overdue


@pytest.mark.parametrize("status", ["investigating", "referred"])
def test_feedback_overdue_90_days_after_last_contact(status: str) -> None:
    answered = RECEIVED + timedelta(days=3)
    case = _clocked(status, answered=answered)
    assert overdue_kinds(case, answered + timedelta(days=90)) == []
    assert overdue_kinds(case, answered + timedelta(days=90) + SECOND) == ["feedback"]


def test_unanswered_new_case_can_be_overdue_on_every_clock() -> None:
    assert overdue_kinds(_clocked(), RECEIVED + timedelta(days=91)) == ["first_response", "assessment", "feedback"]


@pytest.mark.parametrize("status", ["closed", "rejected"])
def test_concluded_cases_are_never_overdue(
    session: Session, config: Config, recovery_secret: bytes, status: str
) -> None:
    # given a case concluded through the normal workflow
    rina, keys = _active(session, "rina")
    case = _submit(session, config, received=RECEIVED)
    steps = ["verifying", status] if status == "closed" else [status]
    for step in steps:
        change_status(
            session,
            actor=as_actor(rina, keys.private),
            case_id=case.id,
            new_status=step,
            reason="selesai",
            outcome="Hasil",
            now=RECEIVED + timedelta(hours=1),
        )
    # then no clock is overdue however late it is, and nothing is next
    for later in (RECEIVED + timedelta(days=31), RECEIVED + timedelta(days=1000)):
        assert overdue_kinds(case, later) == []
    assert next_due(case) is None and case.next_due is None


def test_next_due_picks_the_pending_clock() -> None:
    unanswered = _clocked()
    assert next_due(unanswered) == unanswered.first_response_due
    for status in ("new", "verifying"):
        case = _clocked(status, answered=RECEIVED + timedelta(hours=1))
        assert next_due(case) == case.assessment_due
    for status in ("investigating", "referred"):
        case = _clocked(status, answered=RECEIVED + timedelta(hours=1))
        assert next_due(case) == case.feedback_due
    for status in ("closed", "rejected"):
        assert next_due(_clocked(status, answered=RECEIVED + timedelta(hours=1))) is None


# (received before NOW, [(status or "reply", at before NOW)]) — a spread of states around every clock.
HISTORIES: list[tuple[timedelta, list[tuple[str, timedelta]]]] = [
    (timedelta(hours=30), []),  # first response overdue
    (timedelta(hours=2), []),  # first response pending, not due
    (timedelta(days=40), [("verifying", timedelta(days=39))]),  # assessment overdue
    (timedelta(days=10), [("verifying", timedelta(days=9))]),  # assessment pending
    (timedelta(days=31), [("reply", timedelta(days=30, hours=20))]),  # answered, still new: assessment overdue
    (timedelta(days=200), [("verifying", timedelta(days=199)), ("investigating", timedelta(days=100))]),  # feedback
    (timedelta(days=200), [("verifying", timedelta(days=199)), ("investigating", timedelta(days=10))]),
    (
        timedelta(days=120),
        [("verifying", timedelta(days=119)), ("investigating", timedelta(days=118)), ("referred", timedelta(days=91))],
    ),  # feedback overdue
    (timedelta(days=300), [("verifying", timedelta(days=299)), ("closed", timedelta(days=200))]),
    (timedelta(days=400), [("rejected", timedelta(days=399))]),
    (timedelta(days=60), [("rejected", timedelta(days=59)), ("verifying", timedelta(days=1))]),  # reopened
]


def test_sql_overdue_agrees_with_python(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given cases in varied states, built with explicit times
    rina, keys = _active(session, "rina")
    cases = []
    for age, history in HISTORIES:
        case = _submit(session, config, received=NOW - age)
        for step, ago in history:
            if step == "reply":
                monkeypatch.setattr("cases.reporting.conversation.utc_now", lambda at=NOW - ago: at)
                team_replies(session, actor=as_actor(rina, keys.private), case_id=case.id, text="Diterima")
            else:
                change_status(
                    session,
                    actor=as_actor(rina, keys.private),
                    case_id=case.id,
                    new_status=step,
                    reason="alasan",
                    outcome="hasil",
                    now=NOW - ago,
                )
        cases.append(case)
    session.flush()
    # when listed with the overdue filter at several moments, then SQL and Python agree on which cases
    for now in (NOW, NOW + timedelta(days=20), NOW + timedelta(days=95), NOW + timedelta(days=400)):
        expected = {c.id for c in cases if overdue_kinds(c, now)}
        listed = list_cases(session, reviewer=rina, filters=CaseFilter(overdue=True), now=now, limit=100).rows
        assert {row.id for row in listed} == expected
        everything = list_cases(session, reviewer=rina, now=now, limit=100).rows
        assert {row.id for row in everything if row.overdue} == expected
        assert dashboard(session, viewer=rina, now=now).overdue == len(expected)
    # and at NOW exactly the annotated ones are overdue
    overdue_now = [i for i, c in enumerate(cases) if overdue_kinds(c, NOW)]
    assert overdue_now == [0, 2, 4, 5, 7, 10]
