"""The team roster: every decision about who may read, signed and chained (DESIGN.md §4).

Rows in `reviewer` and `affiliation` are what the apps display; the roster is
what they *trust*. Nothing is sealed to a reviewer unless the roster, verified
from the roots of trust kept outside the database (cases.trust), says they are
an approved reader with exactly the keys their row holds, and not recused from
the case's unit.

Entries (`RosterEntry`): `body` is canonical JSON with at least `seq`,
`action`, `subject` and `audit` (the audit head the signer saw, an anchor);
`hash` = SHA-256(label, prev hash, body); each signature is a hybrid
signature (crypto.signing, purpose "roster") over `hash`, so it also fixes the
entry's position: an old signed entry cannot be replayed at the tail.

    action              body fields             signed by
    founder             username, signing_key,  the subject, whose signing-key
                        admin, reviewer         fingerprint is a root
    account.create      username, admin,        `by`, a key holder and admin
                        reviewer, by
    account.activate    signing_key,            the subject's own signing key
                        encryption_key (fp)     (proof of possession)
    account.approve     by, signing_key (fp),   `by`: a key-holding reviewer who
                        encryption_key (fp)     is neither the subject nor its creator
    account.disable     by                      `by`, a key holder
    affiliation.add     opd, kind, by           `by`: an admin, or the subject itself
    affiliation.remove  opd, by, proposal,      the proposer (over the proposal) and
                        proposal_signature      `by`, two distinct key holders, neither
                                                the subject
    recovery.install    recovery (fp), by       `by`, a key holder
    account.enable      by                      `by`, a key-holding admin, not the subject:
                                                a disabled account, back unapproved (`by`
                                                counts as its creator: another approves)
    account.reset       by                      `by`, a key-holding admin, not the subject:
                                                a forgotten passphrase; the bound keys and the
                                                approval go, the next activation binds new ones
    custodian.appoint   by, proposal,           four eyes (issue 20): the proposer, a key-holding
                        proposal_signature      admin (over the proposal), and `by`, another key
                                                holder; neither the subject, who must be a key holder
                                                without the reviewer role
    custodian.revoke    by                      `by`, a key holder (taking the role away needs one)

The verification fails closed — nobody is a reader — on a broken chain, a
malformed or unknown entry, or a restriction (disable, affiliation.add) whose
signature does not verify: any of those could hide or alter a restriction. A
granting entry that does not verify is ignored and named (ignoring it can only
take access away).

The verified roster is cached per process, keyed by the roster head, so a
submission costs one small query when nothing changed.
"""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.accountability import anchor_file, anchors
from cases.accountability.anchor_file import AnchorFileInvalid
from cases.models import AuditEvent, Reviewer, RosterEntry, RosterProposal
from cases.platform.clock import to_hour, utc_now
from cases.team.trust import Trust, trust_of
from crypto.derive import encode_fields
from crypto.signing import SigningKey, fingerprint, sign, verify

GENESIS = bytes(32)
_PURPOSE = "roster"
_PROPOSAL_PURPOSE = "roster-proposal"
GRANTING = (
    "founder",
    "account.create",
    "account.activate",
    "account.approve",
    "affiliation.remove",
    "recovery.install",
    # Issue 19: both take an approval away and open the way to a new one by someone else; ignoring
    # one that does not verify leaves the account disabled (enable) or its new keys unbound (reset).
    "account.enable",
    "account.reset",
    "custodian.appoint",
)
# account.factor_reset (issue 19, review): a lost authenticator's reset takes the approval away until
# another key holder approves again; restricting, so one that does not verify closes the roster.
RESTRICTING = ("account.disable", "affiliation.add", "account.factor_reset", "custodian.revoke")


def canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev: bytes, body: str) -> bytes:
    return hashlib.sha256(encode_fields(b"kanal-integritas/v1/roster", prev, body.encode("ascii"))).digest()


def encryption_fingerprint(public_key: bytes) -> str:
    return fingerprint(public_key, kind="encryption")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return b""


# -- writing ---------------------------------------------------------------------------------------------------


# Asked on every submission (the verified roster's cache key): one fixed statement, built once, so each
# call costs the query and not the building of it (issue 21).
_HEAD = select(RosterEntry.seq, RosterEntry.hash).order_by(RosterEntry.seq.desc()).limit(1)


def head(session: Session) -> tuple[int, bytes]:
    last = session.execute(_HEAD).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def _audit_head(session: Session) -> list[object]:
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    return [last[0], last[1].hex()] if last else [0, GENESIS.hex()]


def append(
    session: Session,
    *,
    action: str,
    subject_id: str | None,
    fields: dict[str, Any],
    signers: list[tuple[str, SigningKey]],
) -> RosterEntry:
    """Append one entry signed by `signers` ((reviewer id, signing key) pairs)."""
    last = session.scalars(select(RosterEntry).order_by(RosterEntry.seq.desc()).limit(1).with_for_update()).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    body = canonical({**fields, "seq": seq, "action": action, "subject": subject_id, "audit": _audit_head(session)})
    digest = entry_hash(prev, body)
    signatures = [
        {"by": signer_id, "sig": _b64(sign(key.private, digest, purpose=_PURPOSE))} for signer_id, key in signers
    ]
    entry = RosterEntry(
        seq=seq,
        action=action,
        subject_id=subject_id,
        body=body,
        prev_hash=prev,
        hash=digest,
        signatures=json.dumps(signatures),
    )
    session.add(entry)
    session.flush()
    # The new roster head is anchored (a row now, the file outside the database after commit):
    # cutting this entry off later makes the roster fail closed (`verified`).
    signer_id, key = signers[0] if signers else (None, None)
    anchors.record_anchor(session, signer_id=signer_id, signing_key=key)
    return entry


def sign_proposal(key: SigningKey, proposal: dict[str, Any]) -> bytes:
    return sign(key.private, canonical(proposal).encode("ascii"), purpose=_PROPOSAL_PURPOSE)


def new_proposal(*, action: str, subject_id: str, by: str, seen: int, **fields: Any) -> dict[str, Any]:
    return {**fields, "action": action, "subject": subject_id, "by": by, "seen": seen, "nonce": secrets.token_hex(16)}


def store_proposal(
    session: Session, *, action: str, subject_id: str, by: str, key: SigningKey, opd_id: int | None = None
) -> RosterProposal:
    """A first key holder's signed half of a four-eyes change, stored for a second one to confirm
    (`opd_id`, when given, is part of what is signed)."""
    fields = {"opd": opd_id} if opd_id is not None else {}
    proposal = new_proposal(action=action, subject_id=subject_id, by=by, seen=head(session)[0], **fields)
    row = RosterProposal(
        action=action,
        subject_id=subject_id,
        opd_id=opd_id,
        body=canonical(proposal),
        proposed_by_id=by,
        signature=sign_proposal(key, proposal),
        created_at=to_hour(utc_now()),
    )
    session.add(row)
    session.flush()
    return row


# -- verifying -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something that does not verify. `kind`: "entry" (a roster entry; `subject` its number) or
    "reviewer" (a reviewer row; `subject` the user name). `detail` is English, for the CLI."""

    kind: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass
class Member:
    """What the roster says of one account, as far as it verifies."""

    id: str
    username: str = ""
    signing_key: bytes | None = None
    encryption_key: str | None = None  # fingerprint, bound by a self-signed activation
    founder: bool = False
    created_by: str | None = None
    # Who may never approve this account: its creator and everyone who re-enabled or reset it
    # (a reset must not hand the approval back to the original creator: found in review).
    barred_approvers: set[str] = field(default_factory=set)
    admin: bool = False
    reviewer: bool = False
    approved: bool = False
    approved_keys: tuple[str, str] | None = None  # (signing fp, encryption fp) the approval bound
    disabled: bool = False
    affiliations: dict[int, int] = field(default_factory=dict)  # opd -> seq of the latest add
    # Holds cases' identity keys (issue 20): appointed with four eyes, lost with the approval.
    custodian: bool = False

    @property
    def key_holder(self) -> bool:
        """May sign decisions: approved, not disabled, with a bound signing key."""
        return self.approved and not self.disabled and self.signing_key is not None

    def keeps_identities(self, opd_id: int) -> bool:
        """May be sealed the identity key of a case about `opd_id`: a custodian who holds keys and is
        not affiliated with the unit (a custodian is recused from identities like a reader from cases)."""
        return (
            self.custodian
            and not self.reviewer  # whoever keeps identities reads no case (issue 20, review finding)
            and self.key_holder
            and self.encryption_key is not None
            and opd_id not in self.affiliations
        )

    def reads(self, opd_id: int) -> bool:
        return self.key_holder and self.reviewer and self.encryption_key is not None and opd_id not in self.affiliations


@dataclass
class VerifiedRoster:
    head: tuple[int, bytes]
    members: dict[str, Member]
    problems: list[Finding]

    def member(self, reviewer_id: str) -> Member | None:
        return self.members.get(reviewer_id)

    def key_holder(self, reviewer_id: str) -> bool:
        member = self.members.get(reviewer_id)
        return member is not None and member.key_holder

    def row_matches(self, reviewer: Reviewer) -> bool:
        """The row holds exactly the keys the roster bound (a swapped public key gets nothing)."""
        member = self.members.get(reviewer.id)
        if member is None or member.signing_key is None or member.encryption_key is None:
            return False
        if reviewer.public_key is None or reviewer.signing_public_key is None:
            return False
        bound = (fingerprint(member.signing_key), member.encryption_key)
        return (
            reviewer.signing_public_key == member.signing_key
            and encryption_fingerprint(reviewer.public_key) == member.encryption_key
            and (member.founder or member.approved_keys == bound)
        )

    def row_matches_unapproved(self, reviewer: Reviewer) -> bool:
        """The row holds the keys its own signed activation bound (what an approver confirms)."""
        member = self.members.get(reviewer.id)
        return (
            member is not None
            and member.signing_key is not None
            and member.encryption_key is not None
            and reviewer.signing_public_key == member.signing_key
            and reviewer.public_key is not None
            and encryption_fingerprint(reviewer.public_key) == member.encryption_key
        )

    def reads(self, reviewer: Reviewer, opd_id: int) -> bool:
        member = self.members.get(reviewer.id)
        return member is not None and member.reads(opd_id) and reviewer.state == "active" and self.row_matches(reviewer)

    def keeps_identities(self, reviewer: Reviewer, opd_id: int) -> bool:
        """A custodian for a case about `opd_id`, whose row holds the keys the roster bound."""
        member = self.members.get(reviewer.id)
        return (
            member is not None
            and member.keeps_identities(opd_id)
            and reviewer.state == "active"
            and self.row_matches(reviewer)
        )

    def custodian(self, reviewer_id: str) -> bool:
        member = self.members.get(reviewer_id)
        return member is not None and member.custodian and member.key_holder and not member.reviewer


class _Verifier:
    def __init__(self, founders: frozenset[str]) -> None:
        self.founders = founders
        self.members: dict[str, Member] = {}
        self.problems: list[Finding] = []
        self.proposals_used: set[str] = set()
        self.founded: set[str] = set()

    def member(self, reviewer_id: str) -> Member:
        return self.members.setdefault(reviewer_id, Member(id=reviewer_id))

    def signed_by(self, entry: RosterEntry, signer_id: str, public: bytes | None) -> bool:
        if public is None:
            return False
        try:
            signatures = json.loads(entry.signatures)
        except ValueError:
            return False
        if not isinstance(signatures, list):
            return False
        return any(
            isinstance(s, dict)
            and s.get("by") == signer_id
            and verify(public, entry.hash, _unb64(s.get("sig")), purpose=_PURPOSE)
            for s in signatures
        )

    def holder_signed(self, entry: RosterEntry, signer_id: object) -> bool:
        if not isinstance(signer_id, str):
            return False
        signer = self.members.get(signer_id)
        return signer is not None and signer.key_holder and self.signed_by(entry, signer_id, signer.signing_key)

    def restrict(self, entry: RosterEntry, body: dict[str, Any], subject: str) -> None:
        member = self.member(subject)
        if entry.action == "account.disable":
            member.disabled = True
        elif entry.action == "custodian.revoke":
            member.custodian = False
        elif entry.action == "account.factor_reset":
            # the keys stay bound; whoever reset may not approve; a founder is approved like anyone
            member.approved, member.approved_keys, member.founder = False, None, False
            member.custodian = False  # a role given with four eyes is given again the same way
            member.barred_approvers.add(str(body.get("by")))
            if member.created_by is None:
                member.created_by = str(body.get("by"))
        elif isinstance(body.get("opd"), int):
            member.affiliations[body["opd"]] = entry.seq

    def grant(self, entry: RosterEntry, body: dict[str, Any], subject: str) -> bool:  # noqa: C901 - one table
        action = entry.action
        member = self.member(subject)
        if action == "founder":
            key = bytes.fromhex(body["signing_key"]) if isinstance(body.get("signing_key"), str) else b""
            fp = fingerprint(key)
            # A root binds one account, once, as its first entry: no second founder entry to widen a
            # founder's roles, no twin account under the same root key to escape a recusal.
            if (
                fp not in self.founders
                or fp in self.founded
                or member.founder
                or member.created_by
                or member.signing_key is not None
                or not self.signed_by(entry, subject, key)
            ):
                return False
            self.founded.add(fp)
            member.founder = member.approved = True
            member.signing_key, member.username = key, str(body.get("username", ""))
            member.admin, member.reviewer = bool(body.get("admin")), bool(body.get("reviewer"))
            return True
        if action == "account.create":
            by = body.get("by")
            if (
                by == subject
                or member.created_by
                or member.founder
                or member.signing_key is not None
                or not self.holder_signed(entry, by)
                or not self.members[str(by)].admin
            ):
                return False
            member.created_by, member.username = str(by), str(body.get("username", ""))
            member.barred_approvers.add(str(by))
            member.admin, member.reviewer = bool(body.get("admin")), bool(body.get("reviewer"))
            return True
        if action == "account.activate":
            key = bytes.fromhex(body["signing_key"]) if isinstance(body.get("signing_key"), str) else b""
            if member.founder and (key != member.signing_key or member.encryption_key is not None):
                return False
            if not member.founder and (
                member.created_by is None or member.approved or member.encryption_key is not None
            ):
                return False  # keys are bound once, before approval: the first activation stands
            if not self.signed_by(entry, subject, key) or not isinstance(body.get("encryption_key"), str):
                return False
            member.signing_key, member.encryption_key = key, body["encryption_key"]
            return True
        if action == "account.approve":
            by = body.get("by")
            if (
                not self.holder_signed(entry, by)
                or not self.members[str(by)].reviewer
                or by == subject
                or by == member.created_by
                or by in member.barred_approvers
                or member.created_by is None
                or member.approved
                or member.signing_key is None
                or member.encryption_key is None
            ):
                return False
            bound = (fingerprint(member.signing_key), member.encryption_key)
            if (body.get("signing_key"), body.get("encryption_key")) != bound:
                return False
            member.approved, member.approved_keys = True, bound
            return True
        if action == "affiliation.remove":
            return self.removal(entry, body, subject, member)
        if action == "recovery.install":
            return self.holder_signed(entry, body.get("by"))
        if action in ("account.enable", "account.reset"):
            return self.restart(entry, body, subject, member)
        if action == "custodian.appoint":
            return self.appointment(entry, body, subject, member)
        return False

    def restart(self, entry: RosterEntry, body: dict[str, Any], subject: str, member: Member) -> bool:
        """A re-enabled or reset account starts over as unapproved; whoever signed it stands where a
        creator stands (they may not approve it). A reset also unbinds the keys (and a founder's root
        no longer speaks for the account: its new key is approved like anyone's)."""
        by = body.get("by")
        if by == subject or not self.holder_signed(entry, by) or not self.members[str(by)].admin:
            return False
        if entry.action == "account.enable":
            if not member.disabled:
                return False
            member.disabled = False
        elif member.disabled:
            return False
        else:
            member.signing_key = member.encryption_key = None
            member.founder = False
        member.approved, member.approved_keys, member.created_by = False, None, str(by)
        member.custodian = False
        member.barred_approvers.add(str(by))
        return True

    def proposer_of(self, body: dict[str, Any], proposal: dict[str, Any]) -> "Member | None":
        """The key holder whose signing key signed `proposal` (a four-eyes change's first half, kept in
        the entry's body with its signature), or None."""
        proposer = self.members.get(str(proposal.get("by")))
        if (
            proposer is None
            or not proposer.key_holder
            or proposer.signing_key is None
            or not verify(
                proposer.signing_key,
                canonical(proposal).encode("ascii"),
                _unb64(body.get("proposal_signature")),
                purpose=_PROPOSAL_PURPOSE,
            )
        ):
            return None
        return proposer

    def appointment(self, entry: RosterEntry, body: dict[str, Any], subject: str, member: Member) -> bool:
        """custodian.appoint: proposed by a key-holding admin, confirmed by another key holder, neither
        the subject; the subject holds keys already (an approved account), so the identity key can be
        sealed to the key its approval bound."""
        proposal = body.get("proposal")
        by = body.get("by")
        if not isinstance(proposal, dict) or not isinstance(by, str):
            return False
        proposer = proposal.get("by")
        if (
            proposal.get("action") != "custodian.appoint"
            or proposal.get("subject") != subject
            or not isinstance(proposer, str)
            or subject in (proposer, by)
            or proposer == by
            or not self.holder_signed(entry, by)
            or not member.key_holder
            or member.reviewer  # a reader who also kept identities would read them without asking
            or member.encryption_key is None
            or member.custodian
        ):
            return False
        proposer_member = self.proposer_of(body, proposal)
        if proposer_member is None or not proposer_member.admin:
            return False
        nonce = str(proposal.get("nonce", ""))
        if not nonce or nonce in self.proposals_used:
            return False
        self.proposals_used.add(nonce)
        member.custodian = True
        return True

    def removal(self, entry: RosterEntry, body: dict[str, Any], subject: str, member: Member) -> bool:
        proposal = body.get("proposal")
        by = body.get("by")
        if not isinstance(proposal, dict) or not isinstance(by, str):
            return False
        proposer = proposal.get("by")
        opd = body.get("opd")
        if (
            proposal.get("action") != "affiliation.remove"
            or proposal.get("subject") != subject
            or proposal.get("opd") != opd
            or not isinstance(proposer, str)
            or not isinstance(opd, int)
            or subject in (proposer, by)
            or proposer == by
            or not self.holder_signed(entry, by)
        ):
            return False
        if self.proposer_of(body, proposal) is None:
            return False
        nonce = str(proposal.get("nonce", ""))
        seen = proposal.get("seen")
        added = member.affiliations.get(opd)
        # A proposal counts once, and only for the affiliation it saw (no replay after a re-add).
        if not nonce or nonce in self.proposals_used or added is None or not isinstance(seen, int) or seen < added:
            return False
        self.proposals_used.add(nonce)
        del member.affiliations[opd]
        return True


def _body(entry: RosterEntry) -> dict[str, Any] | None:
    try:
        body = json.loads(entry.body)
    except ValueError:
        return None
    if (
        not isinstance(body, dict)
        or body.get("seq") != entry.seq
        or body.get("action") != entry.action
        or body.get("subject") != entry.subject_id
        or not isinstance(entry.subject_id, str)
    ):
        return None
    return body


def verify_entries(entries: list[RosterEntry], *, founders: frozenset[str]) -> VerifiedRoster:
    """Walk the roster from the roots; pure (no database), so tests can feed it anything.

    Fails closed (no member is a reader) on anything that could hide a restriction: a broken
    chain (a deleted, reordered or edited entry anywhere), an entry whose body and columns
    disagree, an unknown action, a restriction whose signature does not verify (its content
    cannot be trusted, so neither can what it restricts). A granting entry that does not verify
    is only ignored and named: ignoring it can only take access away."""
    verifier = _Verifier(founders)
    prev, closed = GENESIS, False
    for expected_seq, entry in enumerate(entries, 1):
        if entry.seq != expected_seq or entry.prev_hash != prev or entry.hash != entry_hash(prev, entry.body):
            verifier.problems.append(
                Finding(
                    "entry",
                    str(entry.seq),
                    f"roster entry {entry.seq}: the chain is broken here (deleted, reordered or edited entries)",
                )
            )
            closed = True
            break
        prev = entry.hash
        body = _body(entry)
        subject = entry.subject_id or ""
        if body is None or entry.action not in RESTRICTING + GRANTING:
            verifier.problems.append(
                Finding("entry", str(entry.seq), f"roster entry {entry.seq} ({entry.action}): malformed or unknown")
            )
            closed = True
        elif entry.action in RESTRICTING:
            if body.get("by") == subject and entry.action == "affiliation.add":
                signed = verifier.signed_by(entry, subject, verifier.member(subject).signing_key)
            else:
                signed = verifier.holder_signed(entry, body.get("by"))
            if not signed:
                verifier.problems.append(
                    Finding(
                        "entry",
                        str(entry.seq),
                        f"roster entry {entry.seq} ({entry.action}): its signature does not verify",
                    )
                )
                closed = True
            verifier.restrict(entry, body, subject)
        elif not verifier.grant(entry, body, subject):
            verifier.problems.append(
                Finding("entry", str(entry.seq), f"roster entry {entry.seq} ({entry.action}): does not verify; ignored")
            )
    if closed:
        verifier.problems.append(
            Finding(
                "entry",
                "",
                "the roster cannot be trusted as a whole: nothing is sealed "
                "to any reviewer until it is repaired (restore it, or remove what was added)",
            )
        )
    last = entries[-1] if entries else None
    return VerifiedRoster(
        head=(last.seq, last.hash) if last else (0, GENESIS),
        members={} if closed else verifier.members,
        problems=verifier.problems,
    )


def _anchored_head(session: Session, *, fresh: bool = False) -> tuple[int, bytes] | None:
    """The roster head kept in the anchor file (outside the database), if any."""
    trust = trust_of(session)
    if trust.anchor_path is None:
        return None
    # Read again only when the file was replaced (its inode, time or size changed): every submission
    # asks, and the file changes at anchors only (issue 21).
    stamp = anchor_file.stamp(trust.anchor_path)
    cached = trust.cache.get("anchored_head")
    if not fresh and stamp is not None and cached is not None and cached[0] == stamp:
        kept: tuple[int, bytes] | None = cached[1]
        return kept
    head_now = _read_anchored_head(trust)
    if stamp is not None:
        trust.cache["anchored_head"] = (stamp, head_now)
    return head_now


def _read_anchored_head(trust: "Trust") -> tuple[int, bytes] | None:
    assert trust.anchor_path is not None
    try:
        state = anchor_file.read(trust.anchor_path, trust.audit_key)
    except AnchorFileInvalid:
        return (
            None  # reported by cases.accountability.anchors; a forged file must not take the team's access away either
        )
    return (state.heads.roster_seq, state.heads.roster_hash) if state and state.heads.roster_seq else None


def verified(session: Session, *, fresh: bool = False) -> VerifiedRoster:
    """The roster as verified from the roots, cached per process by its head, the roots and the
    anchored head.

    A roster cut back below the head anchored outside the database (a deleted recusal or disable
    at its tail) fails closed: nobody is a reader until the entries come back or an operator
    accepts a restored backup (`flask audit accept-restore`)."""
    trust = trust_of(session)
    roots = trust.roots()
    anchored = _anchored_head(session, fresh=fresh)
    key = (head(session), roots, anchored)
    cached = trust.cache.get("roster")
    if not fresh and cached is not None and cached[0] == key:
        result: VerifiedRoster = cached[1]
        return result
    entries = list(session.scalars(select(RosterEntry).order_by(RosterEntry.seq)))
    result = verify_entries(entries, founders=roots.founders)
    if anchored is not None and not any(e.seq == anchored[0] and e.hash == anchored[1] for e in entries):
        result = VerifiedRoster(
            head=result.head,
            members={},
            problems=[
                *result.problems,
                Finding(
                    "entry",
                    str(anchored[0]),
                    f"roster entry {anchored[0]} anchored outside the database is missing or "
                    "different: the roster was cut back or rewritten; nothing is sealed to any reviewer until it is "
                    "restored (or `flask audit accept-restore` after a deliberate restore)",
                ),
            ],
        )
    trust.cache["roster"] = (key, result)
    return result


def row_problems(session: Session, roster: VerifiedRoster) -> list[Finding]:
    """Reviewer rows that claim more than the roster grants: the warnings every admin sees."""
    problems = []
    for reviewer in session.scalars(
        select(Reviewer).where(Reviewer.state == "active", Reviewer.approved_at.is_not(None))
    ):
        member = roster.member(reviewer.id)
        if member is None or not member.approved:
            why = "is approved in the database but not in the signed roster"
        elif member.disabled:
            why = "is active in the database but disabled in the roster"
        elif not roster.row_matches(reviewer):
            why = "holds keys other than the ones the roster bound"
        else:
            continue
        problems.append(
            Finding(
                "reviewer",
                reviewer.username,
                f"reviewer {reviewer.username} ({reviewer.id}) {why}: receives no case keys",
            )
        )
    return problems


def problems(session: Session, *, fresh: bool = False) -> list[Finding]:
    roster = verified(session, fresh=fresh)
    return roster.problems + row_problems(session, roster)
