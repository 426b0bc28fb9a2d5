"""Reading the links between a case and its retaliation reports (issue 20, point 4).

One `case_link` row links both ways: `case_id` is the retaliation report, `linked_case_id` the
report whose reporter suffered it. Each side sees the other: the reporter on either report's page
(both are theirs: the retaliation report was made from the other's page or with its receipt), and
the team on either case page, but only a linked case whose key is sealed to them (a recused
reviewer learns nothing about a case of their unit, not even that it is linked).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from cases.models import Case, CaseLink, Category
from cases.platform.clock import local_day

# The two roles a linked case can have, seen from the case being read.
RETALIATION_REPORT = "retaliation_report"  # the other case reports retaliation suffered for this one
RETALIATED_REPORT = "retaliated_report"  # this case reports retaliation suffered for the other one


@dataclass(frozen=True)
class LinkedCase:
    case_id: str
    role: str  # RETALIATION_REPORT or RETALIATED_REPORT
    status: str
    category_name_id: str
    category_name_en: str
    received_at: datetime  # the hour (the team's view); the reporter's view shows the day only


def linked_cases(session: Session, *, case_id: str, readable: ColumnElement[bool] | None = None) -> list[LinkedCase]:
    """The cases linked to `case_id`, retaliation reports first (newest first); `readable` is a clause
    on `Case` that the linked case must satisfy (the team's: its key is sealed to the reader)."""
    other = Case.id
    query = (
        select(Case, Category, CaseLink)
        .join(Category, Category.id == Case.category_id)
        .join(
            CaseLink,
            or_(
                (CaseLink.linked_case_id == case_id) & (CaseLink.case_id == other),
                (CaseLink.case_id == case_id) & (CaseLink.linked_case_id == other),
            ),
        )
    )
    if readable is not None:
        query = query.where(readable)
    found = [
        LinkedCase(
            case_id=case.id,
            role=RETALIATION_REPORT if link.linked_case_id == case_id else RETALIATED_REPORT,
            status=case.status,
            category_name_id=category.name_id,
            category_name_en=category.name_en,
            received_at=case.received_at,
        )
        for case, category, link in session.execute(query)
    ]
    return sorted(found, key=lambda linked: (linked.role != RETALIATION_REPORT, -linked.received_at.timestamp()))


@dataclass(frozen=True)
class ReporterLink:
    """A linked report as its reporter sees it: what it is, its status, the day it arrived."""

    role: str
    status: str
    received: date


def reporter_links(session: Session, *, case_id: str, zone: tzinfo = UTC) -> tuple[ReporterLink, ...]:
    return tuple(
        ReporterLink(
            role=linked.role,
            status=linked.status,
            received=local_day(linked.received_at, zone),
        )
        for linked in linked_cases(session, case_id=case_id)
    )
