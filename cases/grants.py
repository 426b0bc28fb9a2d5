"""Who receives a case's keys, and sealing them (DESIGN.md §4).

The case key goes to every eligible reviewer, the recovery key and the
reporter; the team key to eligible reviewers and the recovery key only.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.keys import open_grant, seal_key

from .clock import to_hour, utc_now
from .errors import CaseNotFound, RecoveryKeyMissing
from .models import Case, KeyGrant, RecoveryKey, Reviewer


def eligible_reviewers(session: Session) -> list[Reviewer]:
    """Active reviewers that hold a key pair."""
    return list(
        session.scalars(
            select(Reviewer).where(
                Reviewer.state == "active",
                Reviewer.is_reviewer.is_(True),
                Reviewer.public_key.is_not(None),
            )
        )
    )


def active_recovery_key(session: Session) -> RecoveryKey:
    key = session.scalars(select(RecoveryKey).where(RecoveryKey.active.is_(True))).first()
    if key is None:
        raise RecoveryKeyMissing()
    return key


def _grant(case: Case, key: bytes, *, key_kind: str, recipient_kind: str, recipient_id: str, public: bytes,
           reviewer_id: str | None = None) -> KeyGrant:
    return KeyGrant(
        case_id=case.id,
        key_kind=key_kind,
        recipient_kind=recipient_kind,
        recipient_id=recipient_id,
        reviewer_id=reviewer_id,
        sealed=seal_key(key, recipient_public=public, case_id=case.id, key_kind=key_kind, recipient_id=recipient_id),
        created_at=to_hour(utc_now()),
    )


def seal_new_case(session: Session, case: Case, *, case_key: bytes, team_key: bytes, reporter_public: bytes) -> None:
    recovery = active_recovery_key(session)
    grants = [
        _grant(case, case_key, key_kind="case", recipient_kind="reporter", recipient_id=f"reporter:{case.id}",
               public=reporter_public),
    ]
    for kind, key in (("case", case_key), ("team", team_key)):
        grants.append(_grant(case, key, key_kind=kind, recipient_kind="recovery", recipient_id=recovery.recipient_id,
                             public=recovery.public_key))
        for reviewer in eligible_reviewers(session):
            assert reviewer.public_key is not None  # eligible_reviewers filters on it
            grants.append(_grant(case, key, key_kind=kind, recipient_kind="reviewer",
                                 recipient_id=reviewer.recipient_id, public=reviewer.public_key,
                                 reviewer_id=reviewer.id))
    session.add_all(grants)


def reviewer_grant(session: Session, *, case_id: str, reviewer: Reviewer, key_kind: str) -> KeyGrant:
    grant = session.scalars(
        select(KeyGrant).where(
            KeyGrant.case_id == case_id,
            KeyGrant.key_kind == key_kind,
            KeyGrant.recipient_id == reviewer.recipient_id,
        )
    ).first()
    if grant is None:
        raise CaseNotFound()
    return grant


def open_reviewer_key(session: Session, *, case_id: str, reviewer: Reviewer, private_key: bytes,
                      key_kind: str = "case") -> bytes:
    grant = reviewer_grant(session, case_id=case_id, reviewer=reviewer, key_kind=key_kind)
    return open_grant(grant.sealed, recipient_private=private_key, case_id=case_id, key_kind=key_kind,
                      recipient_id=reviewer.recipient_id)
