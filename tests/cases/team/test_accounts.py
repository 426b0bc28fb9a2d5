"""cases.team.accounts: pending accounts, activation (key pair birth), login and the passphrase policy."""

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import AuditEvent, Reviewer
from cases.team.accounts import activate, authenticate, check_passphrase_policy
from cases.team.errors import AccountExists, LoginFailed, PassphraseRejected
from crypto import passphrase as pp
from crypto.keys import keypair_from_private
from tests.conftest import CHEAP_KDF
from tests.domain import account

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
ACTIVATION = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}")


def _active(session: Session, username: str = "rina") -> tuple[Reviewer, str]:
    reviewer, one_time = account(session, username=username, display_name="Rina")
    activate(session, reviewer=reviewer, new_passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    return reviewer, one_time


def test_create_reviewer_returns_pending_account_and_one_time_passphrase(session: Session) -> None:
    # when an admin creates an account with a mixed-case, padded name
    reviewer, one_time = account(session, username="  Rina ", display_name=" Rina Wati ")
    # then it is pending, without keys, and the passphrase is 5 Crockford groups of 4
    assert ACTIVATION.fullmatch(one_time)
    assert (reviewer.username, reviewer.display_name, reviewer.state) == ("rina", "Rina Wati", "pending")
    assert reviewer.public_key is None and reviewer.wrapped_private_key is None and reviewer.login_verifier is None
    assert reviewer.activation_hash is not None and one_time.encode() not in reviewer.activation_hash


def test_each_account_gets_a_different_activation_passphrase(session: Session) -> None:
    # given two accounts, then their one-time passphrases differ
    _, first = account(session, username="a", display_name="A")
    _, second = account(session, username="b", display_name="B")
    assert first != second


@pytest.mark.parametrize("again", ["rina", "RINA", " Rina "])
def test_duplicate_username_is_refused_case_insensitively(session: Session, again: str) -> None:
    # given an account "rina"
    account(session, username="rina", display_name="Rina")
    session.commit()
    # when another is created with the same name in another case, then it is refused
    with pytest.raises(AccountExists):
        account(session, username=again, display_name="Other")


def test_activation_passphrase_logs_in_to_activation_only(session: Session) -> None:
    # given a pending account
    reviewer, one_time = account(session, username="rina", display_name="Rina")
    # when it logs in with the one-time passphrase (typed loosely)
    for typed in (one_time, one_time.lower().replace("-", " ")):
        outcome = authenticate(session, username="Rina", passphrase=typed, kdf=CHEAP_KDF)
        # then it must activate first and holds no key pair
        assert outcome.needs_activation and outcome.keypair is None and outcome.reviewer.id == reviewer.id


@pytest.mark.parametrize(
    "username, passphrase",
    [
        ("rina", "salah sekali frasa sandinya"),
        ("tidakada", "salah sekali frasa sandinya"),
    ],
)
def test_wrong_passphrase_or_unknown_user_fails_to_log_in(session: Session, username: str, passphrase: str) -> None:
    # given a pending and an active account
    account(session, username="joko", display_name="Joko")
    _active(session, "rina")
    # when a wrong passphrase or unknown name is used, then login fails
    with pytest.raises(LoginFailed):
        authenticate(session, username=username, passphrase=passphrase, kdf=CHEAP_KDF)
    with pytest.raises(LoginFailed):
        authenticate(session, username="joko", passphrase=passphrase, kdf=CHEAP_KDF)


def test_activate_sets_a_key_pair_and_retires_the_one_time_passphrase(session: Session) -> None:
    # given a pending account
    reviewer, one_time = account(session, username="rina", display_name="Rina")
    # when it is activated with its own passphrase
    keypair, _ = activate(session, reviewer=reviewer, new_passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    session.commit()
    # then it is active, holds the new public key and a wrapped private key
    assert reviewer.state == "active" and reviewer.activated_at is not None
    assert reviewer.public_key == keypair.public and keypair_from_private(keypair.private) == keypair
    assert reviewer.activation_hash is None and reviewer.kdf_params == CHEAP_KDF.encode()
    assert reviewer.wrapped_private_key is not None and keypair.private not in reviewer.wrapped_private_key
    # and the one-time passphrase no longer works
    with pytest.raises(LoginFailed):
        authenticate(session, username="rina", passphrase=one_time, kdf=CHEAP_KDF)


def test_activating_twice_is_refused(session: Session) -> None:
    # given an active account, when activated again, then it is refused and keeps its key
    reviewer, _ = _active(session)
    public = reviewer.public_key
    with pytest.raises(LoginFailed):
        activate(session, reviewer=reviewer, new_passphrase="sebuah frasa sandi yang lain", kdf=CHEAP_KDF)
    assert reviewer.public_key == public


def test_login_with_own_passphrase_returns_the_stored_key_pair(session: Session) -> None:
    # given an active account
    reviewer, _ = account(session, username="rina", display_name="Rina")
    keypair, _ = activate(session, reviewer=reviewer, new_passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    session.commit()
    session.expire_all()
    # when it logs in with its passphrase
    outcome = authenticate(session, username="rina", passphrase=PASSPHRASE, kdf=CHEAP_KDF)
    # then the unwrapped key pair is the one stored, and the login is audited
    assert not outcome.needs_activation and outcome.keypair is not None
    assert outcome.keypair.public == outcome.reviewer.public_key == keypair.public
    assert outcome.keypair.private == keypair.private
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == reviewer.id)).all()
    assert "login.passphrase" in actions


@pytest.mark.parametrize(
    "candidate, reason",
    [
        ("tanpa aturan komposisi", None),
        ("abc def ghi jkl", None),
        ("pendek", "too_short"),
        ("abcd efgh ijklm", None),
        ("abcd efgh ijkl", "too_short"),
        (("gudang garam merah di atas meja dekat jendela kantor lama " * 20)[:1024], None),  # exactly 1,024
        (("gudang garam merah di atas meja dekat jendela kantor lama " * 20)[:1025], "too_long"),
        ("passwordpassword", "too_guessable"),  # on the common-password list's terms
        ("qwertyuiopasdfghjkl", "too_guessable"),  # a keyboard walk
        ("abcabcabcabcabca", "too_guessable"),
        ("reviewer.panjang1", "too_guessable"),
        (" Reviewer.Panjang1 ", "too_guessable"),
        ("aaaaaaaaaaaaaaaaaaa", "too_guessable"),
    ],
)
def test_passphrase_policy(candidate: str, reason: str | None) -> None:
    # given a username of 17 characters, when a candidate passphrase is checked
    if reason is None:
        check_passphrase_policy(candidate, username="reviewer.panjang1")
        return
    # then it is refused for the stated reason
    with pytest.raises(PassphraseRejected) as refused:
        check_passphrase_policy(candidate, username="reviewer.panjang1")
    assert refused.value.reason == reason


def test_rejected_passphrase_leaves_the_account_pending(session: Session) -> None:
    # given a pending account, when activation uses a short passphrase
    reviewer, one_time = account(session, username="rina", display_name="Rina")
    with pytest.raises(PassphraseRejected):
        activate(session, reviewer=reviewer, new_passphrase="pendek", kdf=CHEAP_KDF)
    # then it stays pending and the one-time passphrase still works
    assert reviewer.state == "pending" and reviewer.public_key is None
    assert authenticate(session, username="rina", passphrase=one_time, kdf=CHEAP_KDF).needs_activation


def test_overlong_passphrase_fails_without_deriving(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # given an active account, and a KDF that records every call
    _active(session)
    calls: list[int] = []
    real = pp.derive_passphrase_keys

    def counting(passphrase: str, *, salt: bytes, params: pp.KdfParams) -> pp.PassphraseKeys:
        calls.append(len(passphrase))
        return real(passphrase, salt=salt, params=params)

    monkeypatch.setattr(pp, "derive_passphrase_keys", counting)
    # when a passphrase over 1,024 characters is tried, for a real and an unknown user
    for username in ("rina", "tidakada"):
        with pytest.raises(LoginFailed):
            authenticate(session, username=username, passphrase="x" * 1025, kdf=CHEAP_KDF)
    # then no derivation ran at all, while a normal attempt does derive
    assert calls == []
    with pytest.raises(LoginFailed):
        authenticate(session, username="tidakada", passphrase="y" * 20, kdf=CHEAP_KDF)
    assert calls == [20]


@pytest.mark.parametrize("corrupt", ["garbage", "", "argon2id$m=8,t=1,p=1", "argon2id$m=1024,t=1,p=1 "])
def test_account_with_corrupted_kdf_params_does_not_log_in(session: Session, corrupt: str) -> None:
    # given an active account whose stored KDF parameters were corrupted
    reviewer, _ = _active(session)
    reviewer.kdf_params = corrupt
    session.commit()
    # when it logs in with the right passphrase, then login fails cleanly
    with pytest.raises(LoginFailed):
        authenticate(session, username="rina", passphrase=PASSPHRASE, kdf=CHEAP_KDF)


@pytest.mark.parametrize("corrupt", [b"abc", b"", b"\x00" * 16])
def test_account_with_corrupted_kdf_salt_does_not_log_in(session: Session, corrupt: bytes) -> None:
    # given an active account whose stored KDF salt was corrupted
    reviewer, _ = _active(session)
    reviewer.kdf_salt = corrupt
    session.commit()
    # when it logs in with the right passphrase, then login fails cleanly
    with pytest.raises(LoginFailed):
        authenticate(session, username="rina", passphrase=PASSPHRASE, kdf=CHEAP_KDF)


def test_disabled_account_cannot_log_in(session: Session) -> None:
    # given an active account that is then disabled
    reviewer, _ = _active(session)
    reviewer.state = "disabled"
    session.commit()
    # when it logs in with the right passphrase, then login fails
    with pytest.raises(LoginFailed):
        authenticate(session, username="rina", passphrase=PASSPHRASE, kdf=CHEAP_KDF)
