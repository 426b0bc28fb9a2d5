"""SQLAlchemy 2 models.

Plaintext columns are only those DESIGN.md §3 allows: ids, category, OPD,
status, priority, assignment, hour-rounded timestamps, deadlines. Every
free-text field lives encrypted in `CaseItem.ciphertext`; keys live only as
HPKE grants in `KeyGrant.sealed`. Nothing here records an IP address, a user
agent or a reporter's exact time, and no plaintext time anywhere is finer than
the hour: exact team times a function needs are sealed (cases.team.sealed_times).
"""

import secrets
from datetime import datetime
from enum import StrEnum, nonmember

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class CaseStatus(StrEnum):
    """Where a case stands (cases.triage.workflow moves it). A `str` enum: the column stores
    these very strings, and a plain string read back compares equal to its member.

    Listed in workflow order, which is the order every list of statuses shows."""

    NEW = "new"
    VERIFYING = "verifying"
    INVESTIGATING = "investigating"
    REFERRED = "referred"
    CLOSED = "closed"
    REJECTED = "rejected"

    # The concluded statuses, the only definition: a concluded case has `closed_at`, no pending
    # deadline, takes nothing more from the reporter, and is purged after retention.
    CONCLUDED = nonmember(frozenset({CLOSED, REJECTED}))


# The CHECK constraint `ck_case_status` (migration 0007): no other status reaches the database.
_STATUS_CHECK = "status IN (" + ", ".join(f"'{status.value}'" for status in CaseStatus) + ")"


def new_id() -> str:
    """80 random bits, lower-case hex: unguessable, and says nothing about order or time."""
    return secrets.token_hex(10)


# Tables that hold rows a reporter's action writes (case, its items, files, chunks, grants, visits)
# keep no arrival order (DESIGN.md §3, the time rule): their primary keys are random, and on SQLite
# they have no rowid, so a row is stored in primary key order, not after the row written before it.
# (A rowid table numbers rows as they come, whatever its primary key.) PostgreSQL ignores this.
_NO_ROWID = {"sqlite_with_rowid": False}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Opd(Base):
    __tablename__ = "opd"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReferenceVersion(Base):
    """One row: a random token that changes whenever the category or OPD lists change through the
    app (cases.platform.seed.new_reference_token: the seed and the admins' lists page). The portal
    keeps the lists per process and checks this token with one small query per form instead of
    reading both lists (issue 21).
    Random, not a counter: a rolled-back change can never make a stale list look current."""

    __tablename__ = "reference_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class Category(Base):
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Case(Base):
    __tablename__ = "case"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.NEW)
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    # Hour-rounded: the reporter's exact time is never stored.
    received_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    first_response_due: Mapped[datetime] = mapped_column(DateTime)
    # HMAC of the receipt under a server secret; the receipt itself is never stored.
    receipt_lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    reporter_salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Position of the newest item, and of the newest item from the reporter
    # (the case list's "unread" marker compares it with what a reviewer saw).
    item_seq: Mapped[int] = mapped_column(Integer, default=0)
    reporter_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Triage. Team times are hours too (DESIGN.md §3): an exact one would date the reporters' rows
    # around it. The first response is the hour it was made by (cases.triage.deadlines).
    assigned_to_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"))
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    assessment_due: Mapped[datetime | None] = mapped_column(DateTime)
    feedback_due: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The earliest pending deadline (None once closed), kept by cases.triage.deadlines so
    # "most urgent first" and "overdue" are index walks, not sorts of every case.
    next_due: Mapped[datetime | None] = mapped_column(DateTime)
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("case.id"))
    # HMAC tags (crypto.keys.key_tag, under KANAL_AUDIT_KEY) of the case key and the team key, each
    # bound to this case and its unit: a key swapped into the grants, or the case moved to another
    # unit to slip past a recusal, fails the check before the key is used or passed on.
    seal_tag: Mapped[bytes | None] = mapped_column(LargeBinary(64))

    category: Mapped[Category] = relationship()
    opd: Mapped[Opd] = relationship()
    items: Mapped[list["CaseItem"]] = relationship(back_populates="case", cascade="all, delete-orphan")
    grants: Mapped[list["KeyGrant"]] = relationship(back_populates="case", cascade="all, delete-orphan")

    labels: Mapped[list["CaseLabel"]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="status"),
        # The case list's keyset walks (cases.triage.case_list): one index range on (key, id).
        Index("ix_case_received_at_id", "received_at", "id"),
        Index("ix_case_status_received_at", "status", "received_at"),
        Index("ix_case_next_due_id", "next_due", "id"),
        # "Most urgent first" ends with the concluded cases (no deadline) newest first: an index range
        # on next_due IS NULL already in that order (migration 0019). So does each filter below.
        Index("ix_case_next_due_received_at_id", "next_due", "received_at", "id"),
        # a status filter walks each status on its own (case_list._ranges)
        Index("ix_case_status_next_due_received_at_id", "status", "next_due", "received_at", "id"),
        Index("ix_case_opd_id_status_next_due_received_at_id", "opd_id", "status", "next_due", "received_at", "id"),
        Index("ix_case_opd_id_next_due_received_at_id", "opd_id", "next_due", "received_at", "id"),
        Index("ix_case_category_id_next_due_received_at_id", "category_id", "next_due", "received_at", "id"),
        Index("ix_case_assigned_to_id_next_due_received_at_id", "assigned_to_id", "next_due", "received_at", "id"),
        # ... and newest or oldest first
        Index("ix_case_opd_id_received_at_id", "opd_id", "received_at", "id"),
        Index("ix_case_category_id_received_at_id", "category_id", "received_at", "id"),
        Index("ix_case_assigned_to_id_received_at_id", "assigned_to_id", "received_at", "id"),
        _NO_ROWID,
    )


class CaseLabel(Base):
    """A free label for filtering. Plaintext by design: labels are for routing
    ("perlu audit"), never for content; the UI says so."""

    __tablename__ = "case_label"
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    # The case's sort keys, copied (cases.triage.label_order keeps them equal to the case's), so a
    # label filter is one index range in the list's order instead of a sort of the label's cases.
    next_due: Mapped[datetime | None] = mapped_column(DateTime)
    received_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_case_label_label_next_due_case_id", "label", "next_due", "case_id"),
        Index("ix_case_label_label_received_at_case_id", "label", "received_at", "case_id"),
    )


class CaseLink(Base):
    """Two cases linked by the reporter (issue 20, point 4): `case_id` is a retaliation report about
    what happened to the reporter of `linked_case_id` (cases.reporting.retaliation). One row links
    both ways. No time, and on SQLite no rowid (the time rule): a reporter's action writes it."""

    __tablename__ = "case_link"
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    linked_case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "retaliation"

    __table_args__ = (Index("ix_case_link_linked_case_id", "linked_case_id"), _NO_ROWID)


class CaseItem(Base):
    """One encrypted piece of a case: the report, a message, an attachment's details, a note.

    Items are ordered by `seq` (1, 2, 3 ... within a case), never by time:
    reporter timestamps are only kept to the hour.
    """

    __tablename__ = "case_item"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(20))
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"))
    key_kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_item_case_seq"), _NO_ROWID)


class Attachment(Base):
    """An evidence file: its details are the encrypted item `item_id`, its
    content the encrypted chunks below. Only the chunk count is plaintext: the
    stream is padded to the Padmé bucket of the file size (crypto/stream.py,
    version 3 header), so the count and the chunk lengths tell the bucket, never
    the exact size."""

    __tablename__ = "attachment"
    __table_args__ = _NO_ROWID
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), unique=True)
    header: Mapped[bytes] = mapped_column(LargeBinary(33))
    chunk_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AttachmentChunk(Base):
    __tablename__ = "attachment_chunk"
    __table_args__ = _NO_ROWID
    attachment_id: Mapped[str] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReporterSession(Base):
    """Server half of a reporter's visit: the case id and the key derived from the receipt,
    sealed together under a key that only the reporter's cookie holds.

    No plaintext column ties a visit to a case. The time kept is the hour, and rows
    older than the previous hour are purged (at every visit start, by the hourly
    `purge-expired` timer and when a server starts); the 30-minute limit is enforced
    with the signed issue time in the cookie, so the server stores no exact time of a
    reporter's visit. The primary key is the hash of a random token and, on SQLite, the
    table has no rowid: its physical order does not follow arrival.
    """

    __tablename__ = "reporter_session"
    __table_args__ = _NO_ROWID
    id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class SentForm(Base):
    """A report form that was sent: its one-time token's hash, so that the same form sent again
    (a refresh of the receipt page re-posts it) shows the receipt again instead of making a
    second case.

    `sealed` holds the receipt and the files' details, with the exact time they were made,
    under a key derived from the form's token (which only the POST body carries); it is
    shown again for 30 minutes and set to NULL after the previous hour. The row itself is
    kept five hours (longer than a form is accepted: report_forms.FORM_LIFETIME), then deleted. No case id: a copy of
    the database does not tell which case a row belongs to.
    """

    __tablename__ = "sent_form"
    __table_args__ = _NO_ROWID
    id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class KeptFile(Base):
    """An evidence file chosen on a report form that was sent back for a correction: kept,
    encrypted under a key derived from the form's token, so that the reporter does not have
    to choose it again (any app server can take the next POST). Deleted when the report is
    sent, when the reporter removes it, or after the previous hour.

    Its name, type and cleaning outcome are in `sealed_info`; the content in chunks below,
    padded like evidence (crypto/stream.py)."""

    __tablename__ = "kept_file"
    __table_args__ = _NO_ROWID
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    form_id: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    header: Mapped[bytes] = mapped_column(LargeBinary(33))
    sealed_info: Mapped[bytes] = mapped_column(LargeBinary)
    chunk_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class KeptFileChunk(Base):
    __tablename__ = "kept_file_chunk"
    __table_args__ = _NO_ROWID
    kept_file_id: Mapped[str] = mapped_column(ForeignKey("kept_file.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CaseRead(Base):
    """How far a reviewer has read a case (for the unread marker)."""

    __tablename__ = "case_read"
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    seen_seq: Mapped[int] = mapped_column(Integer, default=0)


class ReporterRead(Base):
    """How far the reporter has been shown the team's messages ("Pesan baru dari tim"): the seq of
    the newest team message shown. Written once per team message, never at every visit."""

    __tablename__ = "reporter_read"
    __table_args__ = _NO_ROWID
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    seen_seq: Mapped[int] = mapped_column(Integer, default=0)


class KeyGrant(Base):
    """A case or team key sealed (HPKE) to one recipient."""

    __tablename__ = "key_grant"
    # Random, like every id a reporter's action creates: a sequence would order submissions.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    key_kind: Mapped[str] = mapped_column(String(10))
    recipient_kind: Mapped[str] = mapped_column(String(10))
    recipient_id: Mapped[str] = mapped_column(String(80))
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    case: Mapped[Case] = relationship(back_populates="grants")

    __table_args__ = (
        UniqueConstraint("case_id", "key_kind", "recipient_id", name="uq_key_grant_recipient"),
        Index("ix_key_grant_recipient_id_case_id", "recipient_id", "case_id"),
        _NO_ROWID,
    )


class Reviewer(Base):
    """A member of the integrity team (and/or an admin)."""

    __tablename__ = "reviewer"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_reviewer: Mapped[bool] = mapped_column(Boolean, default=True)
    # pending: holds a one-time activation passphrase; active: has a key pair.
    state: Mapped[str] = mapped_column(String(20), default="pending")
    activation_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    kdf_params: Mapped[str | None] = mapped_column(String(80))
    kdf_salt: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    login_verifier: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Hybrid signing key (crypto.signing): signs roster entries and anchors. Wrapped like the
    # private key; a founder's is made at installation and wrapped under the activation passphrase
    # until activation. What it may sign is decided by the roster (cases.team.roster), never by this row.
    signing_public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_signing_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Four eyes: no case key until a key-holding reviewer other than the creator approves.
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"))
    # Set when this reviewer may be missing grants (just approved, recusal lifted);
    # re-grant passes look only at flagged reviewers, so they cost nothing otherwise.
    needs_grants: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # "Menunggu pemulihan" (issue 19): the hour someone asked, from the login page, for this account's
    # forgotten passphrase to be reset; cleared when the account is approved again, or when its owner
    # signs in fully as an approved reader (cases.team.account_recovery). The hour only (DESIGN.md §3).
    recovery_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Second factor: the TOTP secret, encrypted under a key derived from the review app's secret.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The step of the last code used, sealed like the secret (in plaintext it would be a time).
    totp_last_step_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Throttling: counted before the passphrase is checked, so parallel guesses count too. The end of a
    # lock is exact, so it is sealed (cases.team.login_throttle): it would date the failed attempt.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Content-free notifications (cases.team.notifications): where to say "there is new
    # activity", from which hour on (rounded up, so the mail never dates a
    # submission more finely than `Case.received_at` does), and when we last did.
    email: Mapped[str | None] = mapped_column(String(254))
    notify_after: Mapped[datetime | None] = mapped_column(DateTime)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def recipient_id(self) -> str:
        return f"reviewer:{self.id}"

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class BackupCode(Base):
    __tablename__ = "backup_code"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class Affiliation(Base):
    """A reviewer belongs to, or is conflicted with, an OPD: they are never
    sealed that OPD's cases."""

    __tablename__ = "affiliation"
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "member" (set by admins) or "conflict" (declared)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"))


class ReviewerSession(Base):
    """Server-side half of a reviewer's session.

    `id` is a hash of the cookie token and `wrapped_private_key` is sealed
    under a key derived from that token, so neither this row nor the cookie
    alone yields the private key. `times` (opened, last seen, last code entered)
    are exact and therefore sealed under a key outside the database
    (cases.team.sessions): in plaintext they would pin a login to the second.
    """

    __tablename__ = "reviewer_session"
    id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    wrapped_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_signing_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Sealed (cases.team.sealed_times): opened, last seen, last code entered (step-up for admin actions).
    times: Mapped[bytes] = mapped_column(LargeBinary)

    reviewer: Mapped[Reviewer] = relationship()


class TrustedDevice(Base):
    """A reviewer's browser that completed a full login with the second factor (issue 17).

    `id` is a keyed hash of the device cookie's random token (the token itself is not stored), under a
    key derived from the audit key, which is not in the database. A login from this device is counted
    in its own failures and lock, never in the account's: a stranger's wrong guesses lock the account
    for untrusted browsers only. `expires_hour` is an hour (the time rule); the lock's end is sealed
    like the account's.
    """

    __tablename__ = "trusted_device"
    id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    expires_hour: Mapped[datetime] = mapped_column(DateTime, index=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # as Reviewer's


class RecoveryKey(Base):
    """Public half of the organisation recovery key; the private half is offline."""

    __tablename__ = "recovery_key"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    @property
    def recipient_id(self) -> str:
        return f"recovery:{self.id}"


class AuditEvent(Base):
    """Append-only, keyed hash-chained record of what the team did (cases.accountability.audit).

    Reporter actions are deliberately not recorded here: an exact-time row
    between reviewer events would date a submission to the minute. For the same
    reason `at` is the hour (since schema 0009, version 3); the exact time is in
    `sealed_at`, under a key derived from the audit key, for the admins' view.
    """

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    sealed_at: Mapped[bytes | None] = mapped_column(LargeBinary)
    actor_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # 1: unkeyed SHA-256 (events from before schema 0004, which default to it); 2: HMAC under the audit key,
    # exact time in plaintext (schema 0004 to 0008); 3: HMAC, plaintext hour, exact time sealed (schema 0009).
    version: Mapped[int] = mapped_column(SmallInteger, default=3, server_default="1")


class RosterEntry(Base):
    """One signed decision about who may read (cases.team.roster): append-only and chained.

    `body` is canonical JSON; `hash` = SHA-256(prev_hash, body); `signatures` is
    JSON [{"by": reviewer id, "sig": base64}]. Nothing here is trusted until it
    verifies from the roots of trust kept outside the database (cases.team.trust).
    """

    __tablename__ = "roster_entry"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signatures: Mapped[str] = mapped_column(Text)


class RosterProposal(Base):
    """A roster change that waits for a second key holder (lifting a recusal, removing an affiliation)."""

    __tablename__ = "roster_proposal"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    action: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(32))
    opd_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditAnchor(Base):
    """A head of the audit chain (and of the roster) that someone saw: written at every key holder's
    login and with every roster entry, signed by that key holder when they have a signing key.
    The newest one is also kept outside the database (cases.accountability.anchors)."""

    __tablename__ = "audit_anchor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    event_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    roster_seq: Mapped[int] = mapped_column(Integer)
    roster_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signer_id: Mapped[str | None] = mapped_column(String(32))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class LoginThrottle(Base):
    """Failed logins for a user name that is no account (or a disabled one), so that it locks exactly
    like a real account and the lock tells nobody which names exist. Keyed by a keyed hash of the
    name (the name itself is not stored); rows expire a day after the last attempt (cases.team.login_throttle)."""

    __tablename__ = "login_throttle"
    name_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # as Reviewer's
    # A team login attempt's hour (never a reporter's action), for expiry only.
    last_attempt_hour: Mapped[datetime] = mapped_column(DateTime)


class CaseIdentity(Base):
    """A reporter's confidential identity (issue 20, docs/IDENTITY.md): given in its own section of the
    report form or later from the reporter's page, sealed under its own *identity key*, which is
    sealed to custodians (`IdentityGrant`), never to the case's readers. Reviewers see only that it
    exists and whether protection was asked.

    `ciphertext` is the identity (crypto.envelope, bound to the case), NULL once withdrawn; `key_tag`
    binds the identity key to the case and its unit (crypto.keys.key_tag, under the audit key), so a
    key swapped in by a database writer is never passed on. No time is kept here: a disclosure's day
    comes from the keyed audit chain."""

    __tablename__ = "case_identity"
    __table_args__ = _NO_ROWID
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="held")  # held | withdrawn
    protection_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class IdentityGrant(Base):
    """The identity key of one case sealed (HPKE, key kind "identity") to one recipient: a custodian,
    the recovery key, or the one reviewer a custodian disclosed it to. Kept apart from `KeyGrant`, so
    that nothing that passes case keys on (re-grants, recovery reseal of cases) can carry it."""

    __tablename__ = "identity_grant"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(10))  # custodian | recovery | reviewer
    recipient_id: Mapped[str] = mapped_column(String(80))
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("case_id", "recipient_kind", "recipient_id", name="uq_identity_grant_recipient"),
        _NO_ROWID,
    )


class IdentityRequest(Base):
    """A reviewer's request to read a case's identity, and a custodian's decision on it.

    `reason_team` is the requester's reason under the case's team key (the case's readers see it);
    `reason_custodian` the same under the identity key (custodians see it, whether or not they read
    the case). `decision_sealed` is the custodian's reason sealed (HPKE) to the requester;
    `decision_custodian` the same under the identity key. Times are hours (DESIGN.md §3)."""

    __tablename__ = "identity_request"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[str] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending | granted | refused | withdrawn
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"))
    reason_team: Mapped[bytes] = mapped_column(LargeBinary)
    reason_custodian: Mapped[bytes] = mapped_column(LargeBinary)
    decision_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    decision_custodian: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = _NO_ROWID


class ProtectionStep(Base):
    """One step of the protection checklist of a case whose reporter asked for protection (issue 20):
    done by whom, in which hour. What was done is a team note of the case (cases.identity.protection)."""

    __tablename__ = "protection_step"
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[str] = mapped_column(String(30), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(DateTime)
    done_by_id: Mapped[str | None] = mapped_column(ForeignKey("reviewer.id"))
