"""The signed-in reviewer, as `cases` sees them: one object per request (or CLI command).

The review app builds an `Actor` from the session cookie and hands it to every
operation (`actor=`). Who the reviewer is and what their session may do are
plain attributes; key bytes are not. An operation that needs the private key or
the signing key unwraps it here, inside `cases`, at the moment it needs it —
from the session row (wrapped under a key derived from the cookie token), or,
for the CLI and tests, from a passphrase login that already unlocked it.
No view ever holds a key (tests/test_layout.py).
"""

from dataclasses import dataclass, field

from cases.errors import CaseNotFound
from cases.models import Reviewer, ReviewerSession
from cases.team.errors import NotAKeyHolder
from cases.team.sessions import recently_stepped_up, session_keypair, session_signing_key
from crypto.keys import KeyPair
from crypto.signing import SigningKey


@dataclass(frozen=True, eq=False)
class Actor:
    reviewer: Reviewer
    session_row: ReviewerSession | None = None
    _token: str = field(default="", repr=False)
    _keypair: KeyPair | None = field(default=None, repr=False)
    _signing: SigningKey | None = field(default=None, repr=False)

    @classmethod
    def of_session(cls, row: ReviewerSession, *, token: str) -> "Actor":
        """The reviewer of a session found by its cookie token (cases.team.sessions.find_session)."""
        return cls(reviewer=row.reviewer, session_row=row, _token=token)

    @classmethod
    def unlocked(cls, reviewer: Reviewer, *, keypair: KeyPair | None, signing: SigningKey | None = None) -> "Actor":
        """A reviewer whose keys a passphrase login just unwrapped (CLI commands, tests)."""
        return cls(reviewer=reviewer, _keypair=keypair, _signing=signing)

    @property
    def id(self) -> str:
        return self.reviewer.id

    @property
    def is_admin(self) -> bool:
        return self.reviewer.is_admin

    @property
    def purpose(self) -> str:
        """What the session may reach: activation, enrol, second_factor or full (cases.team.sessions)."""
        return self.session_row.purpose if self.session_row is not None else "full"

    @property
    def stepped_up(self) -> bool:
        """A code was entered in the last few minutes (admin actions, exports). A CLI login that
        asked for the code counts as one."""
        return recently_stepped_up(self.session_row) if self.session_row is not None else True

    @property
    def holds_keys(self) -> bool:
        if self.session_row is not None:
            return self.session_row.wrapped_private_key is not None
        return self._keypair is not None

    def keypair(self) -> KeyPair:
        """The reviewer's encryption key pair; `CaseNotFound` without one (a session before activation
        opens no case, exactly like a case it holds no grant for)."""
        if self.session_row is not None:
            keypair = session_keypair(self.session_row, token=self._token)
        else:
            keypair = self._keypair
        if keypair is None:
            raise CaseNotFound()
        return keypair

    def private_key(self) -> bytes:
        return self.keypair().private

    def signing_key(self) -> SigningKey:
        """The reviewer's roster signing key; `NotAKeyHolder` without one."""
        key = self.signing_key_or_none()
        if key is None:
            raise NotAKeyHolder()
        return key

    def signing_key_or_none(self) -> SigningKey | None:
        if self.session_row is not None:
            return session_signing_key(self.session_row, token=self._token)
        return self._signing
