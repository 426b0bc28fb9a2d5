"""Anchors: what shows an audit log that was cut back, rewritten or recomputed.

The keyed chain (cases.accountability.audit) shows an edited, deleted or reordered event, but
not events cut from its end, and nothing in the database alone can. So the
heads — newest audit event (id, hash) and roster head (seq, hash) — are
anchored whenever a key holder signs in:

- as an `AuditAnchor` row, signed (crypto.signing, purpose "anchor") when the
  key holder's signing key is at hand: a database writer can delete it but
  cannot forge it;
- in the anchor file (cases.accountability.anchor_file), outside the database and MACed
  under the audit key, written only after the transaction commits, so a
  rolled-back transaction never anchors a head that does not exist.

`verify` checks everything from genesis (`flask audit verify`);
`check_at_login` checks cheaply — the chain from the file's anchor to the head,
the anchors newer than the file, and one slice of the older chain, so the
whole chain is re-verified every few logins — and anchors the head only when
it found nothing. A failed check does not move the anchor, so it fails again
at the next login until an operator acts; `integrity_problems` gives admins'
pages the verdict, cached per head.
"""

import hmac
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cases.accountability import anchor_file, audit
from cases.accountability.anchor_file import AnchorFileInvalid, AnchorState, Heads
from cases.models import AuditAnchor, AuditEvent, RosterEntry
from cases.team.trust import Trust, trust_of
from crypto.signing import SigningKey, sign
from crypto.signing import verify as verify_signature

PURPOSE = "anchor"
# Events the login check re-verifies from the older chain each time (SQLite, 100,000 events:
# a login check 0.05-0.3 s depending on load, `verify` 1-2.6 s, the banner 4 ms uncached).
SWEEP = 5_000
MAX_REPORTED = 50
_PENDING = "kanal.anchors.pending"
_VERDICT = "anchors.verdict"
# Seconds between two walks of the whole tail (from the anchor) for the admins' banner; between
# them only newly added events are walked (integrity_problems).
FULL_RECHECK = 300

logger = logging.getLogger(__name__)


def heads(session: Session) -> Heads:
    """The newest audit event and the roster head as this transaction sees them."""
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    roster = session.execute(
        select(RosterEntry.seq, RosterEntry.hash).order_by(RosterEntry.seq.desc()).limit(1)
    ).first()
    return Heads(
        last[0] if last else 0,
        last[1] if last else audit.GENESIS,
        roster[0] if roster else 0,
        roster[1] if roster else audit.GENESIS,
    )


# --- writing anchors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    heads: Heads
    sweep_from: int | None = None
    problems: tuple[str, ...] | None = None
    restore: bool = False


def record_anchor(
    session: Session, *, signer_id: str | None = None, signing_key: SigningKey | None = None
) -> AuditAnchor:
    """Anchor the current heads: an `AuditAnchor` row now, the anchor file once the transaction commits.

    The file moves only when the chain from its anchor to this head verifies:
    otherwise a database writer who cut the log's tail could have the next
    anchor paper over the cut."""
    if signing_key is not None and signer_id is None:
        raise ValueError("a signed anchor names its signer")
    # An anchor already queued in this transaction was checked clean; what was added since is ours
    # (and the file it is queued for is written only at commit, so it would look missing here).
    clean = _PENDING in session.info or not _tail_problems(session, trust_of(session))[1]
    row = _add_row(session, heads(session), signer_id, signing_key)
    if clean:
        _queue(session, _Pending(_row_heads(row)))
    else:
        # The audit half stays where it was (the next anchor must not paper over a cut), but the
        # roster's own signed head is still anchored: a roster entry made while the audit log is in
        # question cannot be cut off quietly once the log looks clean again.
        now = _row_heads(row)
        _queue(session, _Pending(Heads(0, audit.GENESIS, now.roster_seq, now.roster_hash)))
    return row


def _add_row(session: Session, now: Heads, signer_id: str | None, signing_key: SigningKey | None) -> AuditAnchor:
    signature = sign(signing_key.private, now.encode(), purpose=PURPOSE) if signing_key is not None else None
    row = AuditAnchor(
        event_id=now.event_id,
        event_hash=now.event_hash,
        roster_seq=now.roster_seq,
        roster_hash=now.roster_hash,
        signer_id=signer_id,
        signature=signature,
    )
    session.add(row)
    session.flush()
    return row


def _row_heads(row: AuditAnchor) -> Heads:
    return Heads(row.event_id, row.event_hash, row.roster_seq, row.roster_hash)


def _queue(session: Session, pending: _Pending) -> None:
    earlier: _Pending | None = session.info.get(_PENDING)
    if earlier is not None and not pending.restore:
        pending = _Pending(
            earlier.heads.newest(pending.heads),
            pending.sweep_from if pending.sweep_from is not None else earlier.sweep_from,
            pending.problems if pending.problems is not None else earlier.problems,
            earlier.restore,
        )
    session.info[_PENDING] = pending


@event.listens_for(Session, "after_commit")
def _write_after_commit(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    trust = trust_of(session)
    if trust.anchor_path is None:
        return
    try:
        if pending.restore:
            anchor_file.replace_state(
                trust.anchor_path, trust.audit_key, AnchorState(pending.heads, pending.sweep_from or 0, ())
            )
        else:
            anchor_file.advance(
                trust.anchor_path,
                trust.audit_key,
                pending.heads,
                sweep_from=pending.sweep_from,
                problems=pending.problems,
            )
    except OSError as error:  # committed already: say so loudly, the next login anchors again
        logger.error("The anchor file %s was not written (%s).", trust.anchor_path, error.strerror)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- checking ---------------------------------------------------------------------------------------


def _read_state(trust: Trust) -> tuple[AnchorState | None, list[str]]:
    if trust.anchor_path is None:
        return None, ["no anchor file is configured (KANAL_ANCHOR_FILE)"]
    try:
        return anchor_file.read(trust.anchor_path, trust.audit_key), []
    except AnchorFileInvalid as error:
        return None, [f"the anchor file {trust.anchor_path} is not valid: {error}"]


def _compare(
    where: str, anchored: Heads, event_hash: Callable[[int], bytes | None], roster_hash: Callable[[int], bytes | None]
) -> list[str]:
    problems = []
    if anchored.event_id > 0:
        found = event_hash(anchored.event_id)
        if found is None:
            problems.append(
                f"{where} records audit event {anchored.event_id}, which is gone: "
                "the log was cut back (events deleted, or an older backup restored)"
            )
        elif not hmac.compare_digest(found, anchored.event_hash):
            problems.append(f"{where} records audit event {anchored.event_id} with another hash: the log was rewritten")
    if anchored.roster_seq > 0:
        found = roster_hash(anchored.roster_seq)
        if found is None:
            problems.append(f"{where} records roster entry {anchored.roster_seq}, which is gone")
        elif not hmac.compare_digest(found, anchored.roster_hash):
            problems.append(f"{where} records roster entry {anchored.roster_seq} with another hash")
    return problems


def _signature_problems(session: Session, row: AuditAnchor) -> list[str]:
    if row.signature is None:
        return []
    from cases.team import roster  # here: roster anchors its own entries through this module

    member = roster.verified(session).member(row.signer_id) if row.signer_id else None
    if member is None or member.signing_key is None:
        return [f"anchor {row.id} is signed by a key the signed roster does not bind"]
    if not verify_signature(member.signing_key, _row_heads(row).encode(), row.signature, purpose=PURPOSE):
        return [
            f"anchor {row.id}: the signature of {member.username or row.signer_id} does not verify "
            "(the anchor was edited)"
        ]
    return []


def _event_hash_of(session: Session) -> Callable[[int], bytes | None]:
    return lambda event_id: session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id))


def _roster_hash_of(session: Session) -> Callable[[int], bytes | None]:
    return lambda seq: session.scalar(select(RosterEntry.hash).where(RosterEntry.seq == seq))


def _chain_problems(breaks: Iterable[audit.ChainBreak | None]) -> list[str]:
    found = [str(problem) for problem in breaks if problem is not None]
    if len(found) > MAX_REPORTED:
        found = found[:MAX_REPORTED] + [f"... and {len(found) - MAX_REPORTED} more broken audit events"]
    return found


def _tail_problems(session: Session, trust: Trust) -> tuple[AnchorState | None, list[str]]:
    """The cheap check: the anchor file, the anchors at or after it, the chain from it to the head."""
    state, problems = _read_state(trust)
    start = 0
    if state is not None:
        problems += _compare("the anchor file", state.heads, _event_hash_of(session), _roster_hash_of(session))
        start = state.heads.event_id
    elif not problems and session.scalar(select(AuditAnchor.id).limit(1)) is not None:
        problems.append(f"the anchor file {trust.anchor_path} is missing, though anchors were recorded")
    newest = session.scalar(select(func.max(AuditAnchor.id))) or 0
    rows = session.scalars(
        select(AuditAnchor).where((AuditAnchor.event_id >= start) | (AuditAnchor.id == newest)).order_by(AuditAnchor.id)
    )
    for row in rows:
        problems += _compare(f"anchor {row.id}", _row_heads(row), _event_hash_of(session), _roster_hash_of(session))
        problems += _signature_problems(session, row)
    problems += _chain_problems(problem for _, _, problem in audit.walk(session, first_id=start))
    return state, problems


def anchor_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditAnchor)) or 0


def verify(session: Session) -> list[str]:
    """Everything, from genesis: the chain's links and hashes, the anchor file, every anchor row.
    Human-readable problems; empty when the log is intact."""
    trust = trust_of(session)
    state, problems = _read_state(trust)
    file_unreadable = bool(problems)
    rows = list(session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))
    anchored = {row.event_id for row in rows} | ({state.heads.event_id} if state else set())
    seen: dict[int, bytes] = {}
    breaks = []
    for event_id, stored, problem in audit.walk(session):
        breaks.append(problem)
        if event_id in anchored:
            seen[event_id] = stored
    problems += _chain_problems(breaks)
    roster: dict[int, bytes] = {
        seq: digest for seq, digest in session.execute(select(RosterEntry.seq, RosterEntry.hash))
    }
    if state is not None:
        problems += _compare("the anchor file", state.heads, seen.get, roster.get)
        problems += [f"the last login check found: {problem}" for problem in state.problems if problem not in problems]
    elif rows and not file_unreadable:
        problems.append(f"the anchor file {trust.anchor_path} is missing, though anchors were recorded")
    for row in rows:
        problems += _compare(f"anchor {row.id}", _row_heads(row), seen.get, roster.get)
        problems += _signature_problems(session, row)
    return problems


def _sweep(session: Session, state: AnchorState | None) -> tuple[list[str], int]:
    """Re-verify the next slice of the chain; (problems, where the next slice starts)."""
    start = state.sweep_from if state is not None else 0
    last = start - 1
    breaks = []
    for event_id, _, problem in audit.walk(session, first_id=start, limit=SWEEP):
        breaks.append(problem)
        last = event_id
    head = session.scalar(select(func.max(AuditEvent.id))) or 0
    return _chain_problems(breaks), (0 if last < start or last >= head else last + 1)


def check_at_login(
    session: Session, *, signer_id: str | None = None, signing_key: SigningKey | None = None
) -> list[str]:
    """The login check: problems (empty when intact). When intact, the heads are anchored
    (signed when `signing_key` is given); otherwise nothing moves and the problems are
    kept in the anchor file for every admin's page (`integrity_problems`)."""
    trust = trust_of(session)
    state, problems = _tail_problems(session, trust)
    sweep_problems, next_sweep = _sweep(session, state)
    problems += [problem for problem in sweep_problems if problem not in problems]
    if problems:
        if trust.anchor_path is not None:
            try:
                anchor_file.set_problems(trust.anchor_path, trust.audit_key, tuple(problems))
            except OSError as error:
                logger.error("The anchor file %s was not written (%s).", trust.anchor_path, error.strerror)
        logger.error("Audit log integrity check failed: %d problem(s); run `flask audit verify`.", len(problems))
        trust.cache.pop(_VERDICT, None)
        return problems
    if signing_key is not None and signer_id is None:
        raise ValueError("a signed anchor names its signer")
    row = _add_row(session, heads(session), signer_id, signing_key)
    _queue(session, _Pending(_row_heads(row), sweep_from=next_sweep, problems=()))
    return []


@dataclass(frozen=True)
class _Verdict:
    """A process's last cheap check: what it found, up to which event, and when it last walked the whole tail."""

    heads: Heads
    newest_anchor: int | None
    file_stamp: object
    found: tuple[str, ...]
    full_at: float


def integrity_problems(session: Session) -> list[str]:
    """What admins must see: the last login check's findings and a fresh cheap check.

    Cached per process. When only new audit events were added since the last check (same anchors,
    same anchor file, same roster head, the last checked event unchanged), only the new events are
    walked, linked to the last checked one; the whole tail from the anchor is walked again at most
    every FULL_RECHECK seconds (and at every login, `check_at_login`). Without this, every page an
    admin opened re-walked every event since the last login (case views record events, so the
    cost grew with each page)."""
    trust = trust_of(session)
    now = heads(session)
    newest_anchor = session.scalar(select(func.max(AuditAnchor.id)))
    stamp = anchor_file.stamp(trust.anchor_path) if trust.anchor_path else None
    cached: _Verdict | None = trust.cache.get(_VERDICT)
    if cached is not None and (cached.newest_anchor, cached.file_stamp) == (newest_anchor, stamp):
        if cached.heads == now:
            return list(cached.found)
        if _extends(session, cached.heads, now) and time.monotonic() - cached.full_at < FULL_RECHECK:
            added = _chain_problems(
                problem for _, _, problem in audit.walk(session, first_id=cached.heads.event_id + 1)
            )
            grown = cached.found + tuple(p for p in added if p not in cached.found)
            trust.cache[_VERDICT] = _Verdict(now, newest_anchor, stamp, grown, cached.full_at)
            return list(grown)
    state, problems = _tail_problems(session, trust)
    found = [p for p in (state.problems if state else ()) if p not in problems] + problems
    trust.cache[_VERDICT] = _Verdict(now, newest_anchor, stamp, tuple(found), time.monotonic())
    return found


def _extends(session: Session, before: Heads, now: Heads) -> bool:
    """`now` only adds audit events after `before`: same roster head, and the event checked last
    is still there with the same hash (so the new events link to what was verified)."""
    return (
        (now.roster_seq, now.roster_hash) == (before.roster_seq, before.roster_hash)
        and now.event_id > before.event_id
        and session.scalar(select(AuditEvent.hash).where(AuditEvent.id == before.event_id)) == before.event_hash
    )


# --- restoring a backup -------------------------------------------------------------------------------


class RestoreRefused(RuntimeError):
    """The database contradicts itself (broken chain, an anchor row it does not match): not a restore."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the database is not consistent in itself")
        self.problems = problems


def accept_restore(session: Session, *, actor_id: str | None = None) -> list[str]:
    """After an operator restored a backup on purpose: make the current heads the anchor.

    Returns what is given up (the anchored heads the restored database no longer
    reaches). Refuses (RestoreRefused) when the database is not consistent in itself
    — a broken chain or an anchor row it contradicts is not explained by a restore."""
    trust = trust_of(session)
    state, file_problems = _read_state(trust)
    inside = [p for p in verify(session) if not p.startswith(("the anchor file", "the last login check"))]
    if inside:
        raise RestoreRefused(inside)
    now = heads(session)
    given_up = file_problems[:]
    if state is not None:
        given_up += _compare("the anchor file", state.heads, _event_hash_of(session), _roster_hash_of(session))
        given_up += [f"the last login check found: {problem}" for problem in state.problems]
        was = state.heads.describe()
    else:
        was = "none"
    audit.record(session, action="audit.accept_restore", actor_id=actor_id, detail=f"anchor was {was}"[:500])
    row = _add_row(session, heads(session), None, None)
    _queue(session, _Pending(_row_heads(row), sweep_from=0, restore=True))
    trust.cache.pop(_VERDICT, None)
    return [f"anchored before: {was}", f"database now: {now.describe()}"] + given_up
