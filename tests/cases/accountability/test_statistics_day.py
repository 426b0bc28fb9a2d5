"""Public statistics count only cases received before the start of the current day in Jakarta:
no submission moves any published figure on the day it is made (issue 16, point 2)."""

from datetime import datetime, timedelta

import pytest
import pytz
from sqlalchemy.orm import Session

from cases.accountability.statistics import Figures, compute, day_start
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report

NOW = datetime(2026, 5, 20, 9, 30)  # 16:30 in Jakarta (UTC+7)
TODAY = datetime(2026, 5, 19, 17, 0)  # 00:00 on 20 May in Jakarta, as naive UTC


def _submit_at(
    session: Session, config: Config, monkeypatch: pytest.MonkeyPatch, at: datetime, *, unit: int = 0, kind: int = 0
) -> None:
    monkeypatch.setattr("cases.reporting.submission.utc_now", lambda: at)
    submit_report(
        session,
        category_id=active_categories(session)[kind].id,
        opd_id=active_opds(session)[unit].id,
        content=ReportContent(what="Setoran dari staf setiap awal bulan."),
        receipt_key=config.receipt_key_bytes,
    )
    session.commit()


def _figures(session: Session, now: datetime = NOW) -> Figures:
    return compute(session, k=5, first_response_hours=24, now=now)


def test_the_day_starts_at_midnight_in_jakarta() -> None:
    assert day_start(NOW) == TODAY
    assert day_start(datetime(2026, 5, 20, 16, 59)) == TODAY  # 23:59 in Jakarta
    assert day_start(datetime(2026, 5, 20, 17, 0)) == datetime(2026, 5, 20, 17, 0)  # midnight: a new day
    assert day_start(TODAY) == TODAY
    assert day_start(datetime(2026, 1, 1, 3, 0)) == datetime(2025, 12, 31, 17, 0)  # 10:00 on New Year's Day
    # the zone the portal passes (Flask-Babel's, from pytz) gives the same
    assert day_start(NOW, pytz.timezone("Asia/Jakarta")) == TODAY


def test_a_submission_made_today_moves_no_figure(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given eleven reports received yesterday (Jakarta), about two units and two kinds
    for hour in range(11):
        _submit_at(session, config, monkeypatch, TODAY - timedelta(hours=1 + hour), unit=hour % 2, kind=hour % 2)
    before = _figures(session)
    assert before.total == 11

    # when reports arrive today: at the first hour of the day, and just now, about a unit and a kind
    # that had none (a new row in every table if they counted)
    _submit_at(session, config, monkeypatch, TODAY)
    for _ in range(6):
        _submit_at(session, config, monkeypatch, NOW, unit=5, kind=3)

    # then every published figure is the same, whenever today it is computed (no cache involved)
    assert _figures(session) == before
    assert _figures(session, datetime(2026, 5, 20, 16, 59)) == before

    # and from tomorrow on (Jakarta) they count
    tomorrow = _figures(session, datetime(2026, 5, 20, 17, 0))
    assert tomorrow.total == 18 and tomorrow != before


def test_a_case_received_yesterday_counts(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given five reports in the last hour of yesterday in Jakarta (16:00 UTC)
    for _ in range(5):
        _submit_at(session, config, monkeypatch, TODAY - timedelta(hours=1))
    # then they are counted today
    assert _figures(session).total == 5


def test_months_are_those_of_jakarta(
    session: Session, config: Config, recovery_secret: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given five reports received at 18:00 UTC on 30 April: 01:00 on 1 May in Jakarta
    for _ in range(5):
        _submit_at(session, config, monkeypatch, datetime(2026, 4, 30, 18, 0))
    figures = _figures(session)
    # then they are May's reports
    assert figures.per_month is not None
    months = {cell.label: cell.value for cell in figures.per_month.cells}
    assert months["2026-05"] == 5 and months["2026-04"] == 0
