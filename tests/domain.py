"""Small helpers for tests of the `cases` layer: key holders and accounts made the real way (signed
roster, roots of trust), submit a case, list grants and audit events."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import AuditEvent, KeyGrant, Opd, Reviewer, ReviewerSession
from cases.platform.config import Config
from cases.platform.seed import active_categories, active_opds
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import SubmittedReport, submit_report
from cases.team.accounts import activate, authenticate, create_founder, create_reviewer
from cases.team.actor import Actor
from cases.team.trust import trust_of
from crypto.keys import KeyPair, keypair_from_private
from crypto.passphrase import KdfParams
from crypto.signing import SigningKey


def report(
    session: Session, config: Config, content: ReportContent, *, opd: Opd | None = None, **options: Any
) -> SubmittedReport:
    """A report in the first category, about `opd` (the first unit when None); `options` go to
    `submit_report` (files, identity, ...). Not committed."""
    return submit_report(
        session,
        category_id=active_categories(session)[0].id,
        opd_id=(opd or active_opds(session)[0]).id,
        content=content,
        receipt_key=config.receipt_key_bytes,
        **options,
    )


def submit_case(session: Session, config: Config, what: str, opd: Opd) -> str:
    case_id = report(session, config, ReportContent(what=what), opd=opd).case_id
    session.commit()
    return case_id


def database_text(session: Session) -> bytes:
    """Every value of every table, as a dump of the database would hold it (the test's own transaction
    included): for canaries that must never be stored."""
    from cases.models import Base

    session.flush()
    dump = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            dump += [value if isinstance(value, bytes) else str(value).encode() for value in row]
    return b"\n".join(dump)


def grants_of(session: Session, reviewer: Reviewer) -> set[tuple[str, str]]:
    return {
        (g.case_id, g.key_kind) for g in session.scalars(select(KeyGrant).where(KeyGrant.reviewer_id == reviewer.id))
    }


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)


@dataclass(frozen=True)
class Holder:
    reviewer: Reviewer
    keypair: KeyPair
    signing: SigningKey

    @property
    def actor(self) -> Actor:
        """The reviewer as an operation sees them, keys unlocked (like their signed-in session)."""
        return Actor.unlocked(self.reviewer, keypair=self.keypair, signing=self.signing)


def as_actor(reviewer: Reviewer, private_key: bytes | None = None, *, signing: SigningKey | None = None) -> Actor:
    """An actor for `reviewer` holding the given keys (what their session would unwrap)."""
    keypair = keypair_from_private(private_key) if private_key is not None else None
    return Actor.unlocked(reviewer, keypair=keypair, signing=signing)


def signing_of(session: Session, reviewer: Reviewer) -> SigningKey:
    """The signing key of an account these helpers activated (what the reviewer's session would hold)."""
    key: SigningKey = session.info["test_signing_keys"][reviewer.id]
    return key


def _remember(session: Session, holder: "Holder") -> "Holder":
    session.info.setdefault("test_signing_keys", {})[holder.reviewer.id] = holder.signing
    return holder


def founder(
    session: Session,
    username: str,
    *,
    admin: bool = False,
    reviewer: bool = True,
    email: str = "",
    passphrase: str = PASSPHRASE,
    display_name: str = "",
) -> Holder:
    """An activated founding key holder whose fingerprint is in the roots of trust: a verified reader."""
    row, activation, fp = create_founder(
        session,
        username=username,
        display_name=display_name or username,
        is_admin=admin,
        is_reviewer=reviewer,
        email=email,
    )
    assert trust_of(session).add_roots(founders=[fp])
    outcome = authenticate(session, username=username, passphrase=activation, kdf=CHEAP_KDF)
    keypair, signing = activate(
        session, reviewer=row, new_passphrase=passphrase, kdf=CHEAP_KDF, signing=outcome.signing
    )
    session.flush()
    return _remember(session, Holder(row, keypair, signing))


def _house_founder(session: Session) -> Holder:
    holder = session.info.get("test_founder")
    if holder is None:
        holder = founder(session, "pendiri", admin=True, reviewer=False)
        session.info["test_founder"] = holder
    assert isinstance(holder, Holder)
    return holder


def account(
    session: Session,
    username: str,
    *,
    display_name: str = "",
    is_admin: bool = False,
    is_reviewer: bool = True,
    email: str = "",
    by: Holder | None = None,
) -> tuple[Reviewer, str]:
    """A pending account created the real way, by a key-holding admin (a house founder unless `by`)."""
    creator = by or _house_founder(session)
    return create_reviewer(
        session,
        username=username,
        display_name=display_name or username.title(),
        is_admin=is_admin,
        is_reviewer=is_reviewer,
        email=email,
        creator=creator.actor,
    )


def activated(
    session: Session, username: str, *, by: Holder | None = None, passphrase: str = PASSPHRASE, **kwargs: object
) -> Holder:
    """An account created by `by` and activated, but not approved: holds keys, reads nothing yet."""
    row, _ = account(session, username, by=by, **kwargs)  # type: ignore[arg-type]
    keypair, signing = activate(session, reviewer=row, new_passphrase=passphrase, kdf=CHEAP_KDF)
    session.flush()
    return _remember(session, Holder(row, keypair, signing))


SERVER_SECRET = b"test-review-secret-for-totp-only"


def fresh_code(session: Session, reviewer: Reviewer) -> str:
    """A TOTP code from a fresh step for `reviewer` (enrolled on first use), like their phone would show."""
    from cases.team.second_factor import finish_enrolment, start_enrolment
    from tests import actions

    if not reviewer.totp_enabled:
        secret = start_enrolment(reviewer=reviewer, server_secret=SERVER_SECRET)
        actions.CLOCK.secrets[reviewer.username] = secret
        assert (
            finish_enrolment(
                session, reviewer=reviewer, code=actions.CLOCK.next_code(reviewer.username), server_secret=SERVER_SECRET
            )
            is not None
        )
    return actions.CLOCK.next_code(reviewer.username)


def age_session(
    row: ReviewerSession,
    *,
    created: timedelta = timedelta(0),
    last_seen: timedelta = timedelta(0),
    stepped_up: timedelta = timedelta(0),
) -> None:
    """Move a session's sealed times into the past, as if that much time had gone by since."""
    from cases.team.sessions import SessionTimes, session_times, set_session_times

    times = session_times(row)
    assert times is not None
    set_session_times(
        row,
        SessionTimes(
            created=times.created - created,
            last_seen=times.last_seen - last_seen,
            stepped_up=None if times.stepped_up is None else times.stepped_up - stepped_up,
        ),
    )


def approve(session: Session, *, approver: Holder, reviewer: Reviewer) -> None:
    """Four eyes done the real way: a fresh code, the approver's signing key."""
    from cases.team.membership import approve_reviewer

    approve_reviewer(
        session,
        approver=approver.actor,
        reviewer=reviewer,
        code=fresh_code(session, approver.reviewer),
        server_secret=SERVER_SECRET,
    )
