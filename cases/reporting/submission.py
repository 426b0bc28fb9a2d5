"""A reporter submits a report: one case, one encrypted report item, its grants.

Nothing here is logged and no exact time is kept: timestamps are rounded to
the hour. The receipt is returned to the caller to show once, and only its
keyed hash is stored.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.evidence.store import AttachmentInfo, Limits, PreparedFile, check_quota, store_file
from cases.identity.content import IdentityContent
from cases.identity.keeping import give_identity
from cases.items import add_item
from cases.models import Case, CaseStatus, Category, Opd, new_id
from cases.platform.clock import to_hour, utc_now
from cases.platform.seed import RETALIATION, ChoiceLists
from cases.reporting.errors import UnknownChoice
from cases.reporting.report_content import ReportContent
from cases.team.grants import eligible_reviewers, seal_new_case, sealing_recovery_key
from cases.team.notifications import mark_activity
from cases.triage.deadlines import RETALIATION_FIRST_RESPONSE_HOURS, DeadlineRules, start_clocks
from crypto import receipts
from crypto.keys import new_symmetric_key


@dataclass(frozen=True)
class SubmittedReport:
    case_id: str
    receipt: str
    files: tuple[AttachmentInfo, ...] = ()

    def __repr__(self) -> str:  # the receipt must never reach a log line
        return f"SubmittedReport(case_id={self.case_id!r})"


def _unused_receipt(session: Session, receipt_key: bytes) -> tuple[str, bytes]:
    while True:  # an 80-bit collision is astronomically unlikely; stay correct anyway
        receipt = receipts.new_receipt()
        lookup = receipts.lookup_hash(receipt, server_key=receipt_key)
        if session.scalars(select(Case.id).where(Case.receipt_lookup == lookup)).first() is None:
            return receipt, lookup


def _check_choices(
    session: Session, *, category_id: int, opd_id: int, retaliation: bool, lists: ChoiceLists | None
) -> None:
    """UnknownChoice unless the category and unit are active (and the category is the retaliation one
    exactly when `retaliation`). The lists hold only active entries, never the retaliation category;
    they were read under the token this request read, so an admin's change is seen (issue 21)."""
    if lists is not None and lists.token and not retaliation:
        if lists.has_category(category_id) and lists.has_opd(opd_id):
            return
        raise UnknownChoice()
    category = session.get(Category, category_id)
    opd = session.get(Opd, opd_id)
    if (
        category is None
        or not category.active
        or (category.code == RETALIATION) != retaliation
        or opd is None
        or not opd.active
    ):
        raise UnknownChoice()


def submit_report(
    session: Session,
    *,
    category_id: int,
    opd_id: int,
    content: ReportContent,
    receipt_key: bytes,
    first_response_hours: int = 24,
    rules: DeadlineRules | None = None,
    files: Sequence[PreparedFile] = (),
    limits: Limits | None = None,
    identity: IdentityContent | None = None,
    protection: bool = False,
    retaliation: bool = False,
    also_recused_units: Sequence[int] = (),
    lists: ChoiceLists | None = None,
) -> SubmittedReport:
    """A new case. With `identity`, the reporter's confidential identity in its own sealing
        (cases.identity.keeping), `protection` whether they ask for it. `retaliation`
        (cases.reporting.retaliation, which also links it): the category must be the retaliation
        category, which an ordinary report can never choose; the case is high priority and its first
        response is due within RETALIATION_FIRST_RESPONSE_HOURS at most. `also_recused_units`: units whose
        recused reviewers and custodians must not receive this case either (a retaliation report: its first
        report's unit). `lists`: the report form's lists as this request read them (`choice_lists`, under
    the database's current token): an ordinary report's choices are checked against them instead of
    being read again."""
    _check_choices(session, category_id=category_id, opd_id=opd_id, retaliation=retaliation, lists=lists)
    rules = rules or DeadlineRules(first_response_hours=first_response_hours)
    if retaliation:
        hours = min(rules.first_response_hours, RETALIATION_FIRST_RESPONSE_HOURS)
        rules = dataclasses.replace(rules, first_response_hours=hours)
    # refuse before doing work: no case without a verified recovery grant (kept per process while the
    # reference token this request read is the same: issue 21)
    recovery = sealing_recovery_key(session, version=lists.token if lists is not None else "")
    check_quota(session, case_id=None, files=list(files), limits=limits or Limits())

    receipt, lookup = _unused_receipt(session, receipt_key)
    # Reads before writes (issue 21, point 2): who receives the keys is known before anything is added,
    # so nothing is flushed in the middle; the case, its report and its grants go in one flush.
    readers = eligible_reviewers(session, opd_id=opd_id, also_recused_units=also_recused_units)
    salt = receipts.new_reporter_salt()
    reporter = receipts.reporter_keypair(receipt, salt=salt)
    hour = to_hour(utc_now())
    case = Case(
        id=new_id(),
        category_id=category_id,
        opd_id=opd_id,
        status=CaseStatus.NEW,
        priority="high" if retaliation else "normal",
        received_at=hour,
        updated_at=hour,
        first_response_due=hour,  # set by start_clocks below
        receipt_lookup=lookup,
        reporter_salt=salt,
        item_seq=1,
        reporter_seq=1,
    )
    start_clocks(case, rules)
    session.add(case)
    case_key, team_key = new_symmetric_key(), new_symmetric_key()
    add_item(
        session,
        case=case,
        key=case_key,
        key_kind="case",
        kind="report",
        author="reporter",
        plaintext=content.to_bytes(),
        seq=1,
        created_at=hour,
    )
    seal_new_case(
        session,
        case,
        case_key=case_key,
        team_key=team_key,
        reporter_public=reporter.public,
        recovery=recovery,
        readers=readers,
    )
    if files:
        session.flush()  # the files' rows refer to the case and its report
    stored = tuple(
        store_file(session, case=case, case_key=case_key, prepared=prepared, author="reporter", seq=seq)
        for seq, prepared in enumerate(files, start=2)
    )
    case.item_seq = case.reporter_seq = 1 + len(stored)
    # No flush of its own: the case, its report and its grants go in one flush with the form's claim
    # (portal/report.py) or at the commit (issue 21, point 2).
    if identity is not None:
        give_identity(
            session, case=case, content=identity, protection=protection, also_recused_units=also_recused_units
        )
    mark_activity(session, case_id=case.id)
    return SubmittedReport(case_id=case.id, receipt=receipt, files=stored)
