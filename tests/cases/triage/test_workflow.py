"""cases.triage.workflow: status rules, notes, assignment, priority, labels, duplicates — key-gated and audited."""

from collections.abc import Callable
from itertools import product

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import CaseNotFound
from cases.models import AuditEvent, Case, CaseItem, CaseLabel, CaseStatus, Reviewer
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.conversation import thread
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from cases.team.grants import open_reviewer_key
from cases.triage.errors import InvalidChoice, ReasonRequired, TransitionNotAllowed
from cases.triage.workflow import (
    PRIORITIES,
    add_label,
    add_note,
    assign,
    change_status,
    mark_duplicate,
    remove_label,
    set_priority,
)
from crypto.keys import KeyPair
from tests.domain import as_actor, founder

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
ALLOWED = {
    ("new", "verifying"),
    ("new", "rejected"),
    ("verifying", "investigating"),
    ("verifying", "closed"),
    ("verifying", "rejected"),
    ("investigating", "referred"),
    ("investigating", "closed"),
    ("investigating", "rejected"),
    ("referred", "investigating"),
    ("referred", "closed"),
    ("closed", "verifying"),
    ("rejected", "verifying"),
}
PAIRS = list(product(CaseStatus, CaseStatus))


def _active(session: Session, username: str) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username)
    return holder.reviewer, holder.keypair


def _submit(session: Session, config: Config, what: str = "setoran bulanan") -> str:
    category, opd = active_categories(session)[0], active_opds(session)[0]
    case_id = submit_report(
        session,
        category_id=category.id,
        opd_id=opd.id,
        content=ReportContent(what=what),
        receipt_key=config.receipt_key_bytes,
    ).case_id
    session.flush()
    return case_id


def _case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    assert case is not None
    return case


def _events(session: Session, action: str | None = None) -> list[AuditEvent]:
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [e for e in events if action in (None, e.action)]


def _texts(session: Session, case_id: str, reviewer: Reviewer, keys: KeyPair, audience: str) -> list[str]:
    case_key = open_reviewer_key(
        session,
        case_id=case_id,
        reviewer=reviewer,
        private_key=keys.private,
    )
    team_key = open_reviewer_key(session, case_id=case_id, reviewer=reviewer, private_key=keys.private, key_kind="team")
    entries = thread(
        session,
        case=_case(session, case_id),
        case_key=case_key,
        audience="reporter" if audience == "reporter" else "team",
        team_key=team_key if audience == "team" else None,
    )
    return [entry.text or "" for entry in entries]


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{old}-{new}" for old, new in PAIRS])
def test_change_status_follows_the_transition_table(
    session: Session, config: Config, recovery_secret: bytes, old: str, new: str
) -> None:
    # given a case in status `old`
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)
    _case(session, case_id).status = old
    session.flush()

    def change() -> None:
        change_status(
            session,
            actor=as_actor(rina, keys.private),
            case_id=case_id,
            new_status=new,
            reason="alasan internal",
            outcome="hasil untuk pelapor",
        )

    if (old, new) in ALLOWED:
        # when the allowed change is made, then the case moves and it is audited
        change()
        assert _case(session, case_id).status == new
        assert [e.detail for e in _events(session, "status.change")] == [f"{old}->{new}"]
    else:
        # when a forbidden change is attempted, then it is refused and nothing is recorded
        with pytest.raises(TransitionNotAllowed):
            change()
        assert _case(session, case_id).status == old
        assert _events(session, "status.change") == []


REFUSALS = [  # (old, new, reason, outcome, the missing field)
    ("verifying", "closed", "", "hasil", "reason"),
    ("new", "rejected", "   ", "hasil", "reason"),
    ("closed", "verifying", "", "", "reason"),
    ("rejected", "verifying", " \n", "", "reason"),
    ("verifying", "closed", "alasan", "", "outcome"),
    ("investigating", "closed", "alasan", "  ", "outcome"),
    ("new", "rejected", "alasan", "", "outcome"),
]


@pytest.mark.parametrize(("old", "new", "reason", "outcome", "missing"), REFUSALS)
def test_concluding_and_reopening_need_a_reason_and_concluding_an_outcome(
    session: Session,
    config: Config,
    recovery_secret: bytes,
    old: str,
    new: str,
    reason: str,
    outcome: str,
    missing: str,
) -> None:
    # given a case in `old`, when moved to `new` without a (non-blank) reason or outcome
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)
    _case(session, case_id).status = old
    with pytest.raises(ReasonRequired) as refused:
        change_status(
            session,
            actor=as_actor(rina, keys.private),
            case_id=case_id,
            new_status=new,
            reason=reason,
            outcome=outcome,
        )
    # then ReasonRequired names the missing field and the case stays where it was
    assert refused.value.field == missing
    assert _case(session, case_id).status == old
    assert _events(session, "status.change") == []


def test_ordinary_progress_needs_neither_reason_nor_outcome(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a new case, when verified without reason or outcome, then it moves and writes no outcome
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)
    change_status(session, actor=as_actor(rina, keys.private), case_id=case_id, new_status="verifying")
    kinds = session.scalars(select(CaseItem.kind).where(CaseItem.case_id == case_id).order_by(CaseItem.seq)).all()
    assert _case(session, case_id).status == "verifying" and kinds == ["report", "status_note"]


def test_close_writes_team_note_and_reporter_outcome_and_reopen_clears_it(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a verified case with an internal note
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)
    change_status(session, actor=as_actor(rina, keys.private), case_id=case_id, new_status="verifying")
    add_note(session, actor=as_actor(rina, keys.private), case_id=case_id, text="CATATAN-INTERNAL")
    # when it is closed with a reason and an outcome
    change_status(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
        new_status="closed",
        reason="ALASAN-INTERNAL",
        outcome="HASIL-UNTUK-PELAPOR",
    )
    # then a team-key status note and a case-key outcome were written, and closed_at is set
    items = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id).order_by(CaseItem.seq)).all()
    assert [(i.kind, i.key_kind) for i in items[-2:]] == [("status_note", "team"), ("outcome", "case")]
    assert _case(session, case_id).closed_at is not None
    # and the reporter reads the outcome but never the reason or the note
    reporter = "\n".join(_texts(session, case_id, rina, keys, "reporter"))
    assert "HASIL-UNTUK-PELAPOR" in reporter
    assert "ALASAN-INTERNAL" not in reporter and "CATATAN-INTERNAL" not in reporter
    # while the team sees all three
    team = "\n".join(_texts(session, case_id, rina, keys, "team"))
    assert all(t in team for t in ("HASIL-UNTUK-PELAPOR", "ALASAN-INTERNAL", "CATATAN-INTERNAL", "verifying → closed"))
    # when it is reopened with a reason, then it is verifying again and no longer closed
    change_status(
        session,
        actor=as_actor(rina, keys.private),
        case_id=case_id,
        new_status="verifying",
        reason="pelapor menambah bukti",
    )
    assert _case(session, case_id).status == "verifying" and _case(session, case_id).closed_at is None


def test_note_is_team_only_and_never_empty(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case, when a reviewer adds a note
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)
    add_note(session, actor=as_actor(rina, keys.private), case_id=case_id, text="  cek ke BKD  ")
    # then it is a team-key item, shown in the team thread and never in the reporter's
    note = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "note")).one()
    assert note.key_kind == "team" and note.author == "team" and note.reviewer_id == rina.id
    assert _texts(session, case_id, rina, keys, "team") == ["cek ke BKD"]
    assert _texts(session, case_id, rina, keys, "reporter") == []
    # and an empty note is refused
    with pytest.raises(InvalidChoice):
        add_note(session, actor=as_actor(rina, keys.private), case_id=case_id, text=" \n ")


Operation = Callable[[Session, Reviewer, bytes, str], None]
OPERATIONS: dict[str, Operation] = {
    "change_status": lambda s, r, k, c: change_status(s, actor=as_actor(r, k), case_id=c, new_status="verifying"),
    "add_note": lambda s, r, k, c: add_note(s, actor=as_actor(r, k), case_id=c, text="catatan"),
    "assign": lambda s, r, k, c: assign(s, actor=as_actor(r, k), case_id=c, assignee_id=r.id),
    "set_priority": lambda s, r, k, c: set_priority(s, actor=as_actor(r, k), case_id=c, priority="high"),
    "add_label": lambda s, r, k, c: add_label(s, actor=as_actor(r, k), case_id=c, label="audit"),
    "mark_duplicate": lambda s, r, k, c: mark_duplicate(s, actor=as_actor(r, k), case_id=c, original_id=None),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_reviewer_without_a_grant_cannot_act(
    session: Session, config: Config, recovery_secret: bytes, operation: str
) -> None:
    # given a case submitted before joko was activated
    _active(session, "rina")
    case_id = _submit(session, config)
    joko, joko_keys = _active(session, "joko")
    # when joko tries the operation, then the case does not exist for him and nothing changes
    with pytest.raises(CaseNotFound):
        OPERATIONS[operation](session, joko, joko_keys.private, case_id)
    case = _case(session, case_id)
    assert (case.status, case.priority, case.assigned_to_id) == ("new", "normal", None)
    assert [e.action for e in _events(session) if e.case_id == case_id] == []


def test_assign_only_to_someone_who_holds_the_case(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given rina and sari (both sealed the case) and joko (activated later)
    rina, keys = _active(session, "rina")
    sari, _ = _active(session, "sari")
    case_id = _submit(session, config)
    joko, _ = _active(session, "joko")
    # when assigned to joko, then refused
    with pytest.raises(InvalidChoice):
        assign(session, actor=as_actor(rina, keys.private), case_id=case_id, assignee_id=joko.id)
    assert _case(session, case_id).assigned_to_id is None
    # when assigned to sari, then she owns it; when unassigned, nobody does
    assign(session, actor=as_actor(rina, keys.private), case_id=case_id, assignee_id=sari.id)
    assert _case(session, case_id).assigned_to_id == sari.id
    assign(session, actor=as_actor(rina, keys.private), case_id=case_id, assignee_id=None)
    assert _case(session, case_id).assigned_to_id is None
    assert [e.detail for e in _events(session, "case.assign")] == [f"to={sari.id}", "to=-"]


def test_priority_accepts_known_values_only(session: Session, config: Config, recovery_secret: bytes) -> None:
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)
    # when every known priority is set, then each sticks
    for priority in PRIORITIES:
        set_priority(session, actor=as_actor(rina, keys.private), case_id=case_id, priority=priority)
        assert _case(session, case_id).priority == priority
    # when an unknown one is set, then refused and the last value stays
    for bad in ("critical", "", "HIGH"):
        with pytest.raises(InvalidChoice):
            set_priority(session, actor=as_actor(rina, keys.private), case_id=case_id, priority=bad)
    assert _case(session, case_id).priority == PRIORITIES[-1]


def _labels(session: Session, case_id: str) -> list[str]:
    return list(session.scalars(select(CaseLabel.label).where(CaseLabel.case_id == case_id).order_by(CaseLabel.label)))


def test_labels_are_normalised_unique_and_removable(session: Session, config: Config, recovery_secret: bytes) -> None:
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)

    def label(text: str) -> None:
        add_label(session, actor=as_actor(rina, keys.private), case_id=case_id, label=text)

    # when labels are added with odd case, spacing and length
    label("  Perlu \t  AUDIT ")
    label("perlu audit")
    label("PERLU\nAudit")
    label("x" * 60)
    # then they are lower-cased, collapsed, cut to 40 characters, and stored once
    assert _labels(session, case_id) == ["perlu audit", "x" * 40]
    assert [e.detail for e in _events(session, "case.label")] == ["+perlu audit", "+" + "x" * 40]
    # when a label is removed however it is spelled, then it is gone; removing again changes nothing
    remove_label(session, actor=as_actor(rina, keys.private), case_id=case_id, label="Perlu  Audit")
    remove_label(session, actor=as_actor(rina, keys.private), case_id=case_id, label="perlu audit")
    assert _labels(session, case_id) == ["x" * 40]
    assert [e.detail for e in _events(session, "case.label")][2:] == ["-perlu audit"]
    # and an empty label is refused
    with pytest.raises(InvalidChoice):
        label(" \t ")


def test_label_cut_at_a_space_has_no_trailing_space_and_can_be_removed(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a label whose 41st character follows a space (the cut lands just after the space)
    rina, keys = _active(session, "rina")
    case_id = _submit(session, config)
    add_label(session, actor=as_actor(rina, keys.private), case_id=case_id, label="a" * 39 + " audit")
    [stored] = _labels(session, case_id)
    # then the stored label is already normalised (no trailing whitespace)
    assert stored == stored.strip()
    # and removing it by its stored spelling (what the case page posts back) removes it
    remove_label(session, actor=as_actor(rina, keys.private), case_id=case_id, label=stored)
    assert _labels(session, case_id) == []


def test_mark_duplicate_links_readable_cases_only(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given an early case only rina holds, then joko, then two cases both hold
    _active(session, "rina")
    hidden = _submit(session, config, "lama")
    joko, keys = _active(session, "joko")
    original, repeat = _submit(session, config, "asli"), _submit(session, config, "ulang")

    def mark(of: str | None) -> None:
        mark_duplicate(session, actor=as_actor(joko, keys.private), case_id=repeat, original_id=of)

    # when joko marks the case a duplicate of itself, of a case he cannot read, or of nothing that exists
    with pytest.raises(InvalidChoice):
        mark(repeat)
    for unreadable in (hidden, "0" * 20):
        with pytest.raises(CaseNotFound):
            mark(unreadable)
    # then nothing was linked
    assert _case(session, repeat).duplicate_of_id is None
    # when he marks it a duplicate of a readable case, then linked; and None unlinks
    mark(original)
    assert _case(session, repeat).duplicate_of_id == original
    mark(None)
    assert _case(session, repeat).duplicate_of_id is None
    assert [e.detail for e in _events(session, "case.duplicate")] == [f"of={original}", "of=-"]


def test_every_operation_is_audited(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case and two reviewers
    rina, keys = _active(session, "rina")
    case_id, other_id = _submit(session, config), _submit(session, config, "lain")
    before = len(_events(session))
    # when rina does each operation once
    change_status(session, actor=as_actor(rina, keys.private), case_id=case_id, new_status="verifying")
    add_note(session, actor=as_actor(rina, keys.private), case_id=case_id, text="catatan")
    assign(session, actor=as_actor(rina, keys.private), case_id=case_id, assignee_id=rina.id)
    set_priority(session, actor=as_actor(rina, keys.private), case_id=case_id, priority="urgent")
    add_label(session, actor=as_actor(rina, keys.private), case_id=case_id, label="bkd")
    remove_label(session, actor=as_actor(rina, keys.private), case_id=case_id, label="bkd")
    mark_duplicate(session, actor=as_actor(rina, keys.private), case_id=case_id, original_id=other_id)
    # then each left one event naming her and the case, in order
    events = _events(session)[before:]
    assert [(e.action, e.detail) for e in events] == [
        ("status.change", "new->verifying"),
        ("note.add", ""),
        ("case.assign", f"to={rina.id}"),
        ("case.priority", "urgent"),
        ("case.label", "+bkd"),
        ("case.label", "-bkd"),
        ("case.duplicate", f"of={other_id}"),
    ]
    assert {(e.actor_id, e.case_id) for e in events} == {(rina.id, case_id)}
