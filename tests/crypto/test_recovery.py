"""The organisation recovery key pair, derived from a 32-byte master secret."""

import pytest

from crypto.keys import keypair_from_secret, new_symmetric_key, open_grant, seal_key
from crypto.recovery import MASTER_SECRET_BYTES, new_master_secret, recovery_keypair

MASTER = bytes(range(32))
BINDING = {"case_id": "case-1", "key_kind": "team", "recipient_id": "recovery"}


def test_new_master_secret_is_32_random_bytes() -> None:
    # given 100 fresh master secrets, then all are 32 bytes and distinct
    secrets = {new_master_secret() for _ in range(100)}
    assert MASTER_SECRET_BYTES == 32
    assert len(secrets) == 100 and all(len(s) == 32 for s in secrets)


def test_recovery_keypair_is_deterministic() -> None:
    # given one master secret, when the key pair is derived twice, then it matches
    assert recovery_keypair(MASTER) == recovery_keypair(MASTER)


def test_recovery_keypair_has_serialised_lengths() -> None:
    # given a recovery key pair, then it has the usual 96/1216-byte halves
    keypair = recovery_keypair(MASTER)
    assert len(keypair.private) == 96 and len(keypair.public) == 1216


def test_different_master_secrets_give_different_keypairs() -> None:
    # given two master secrets, when derived, then the key pairs differ
    assert recovery_keypair(MASTER).public != recovery_keypair(new_master_secret()).public


def test_recovery_keypair_is_domain_separated() -> None:
    # given one secret, when used under another label (e.g. a reporter key), then the pair differs
    assert recovery_keypair(MASTER).private != keypair_from_secret(MASTER, label="reporter-key").private


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_master_secret_of_wrong_length_is_refused(length: int) -> None:
    # given a master secret that is not 32 bytes, when deriving, then it is refused
    with pytest.raises(ValueError):
        recovery_keypair(b"\x01" * length)


def test_grant_to_recovery_key_opens_with_rederived_keypair() -> None:
    # given a team key sealed to the recovery public key held on the server
    team_key = new_symmetric_key()
    sealed = seal_key(team_key, recipient_public=recovery_keypair(MASTER).public, **BINDING)
    # when the private half is re-derived from the offline master secret
    private = recovery_keypair(bytes(range(32))).private
    # then the grant opens to the same key
    assert open_grant(sealed, recipient_private=private, **BINDING) == team_key
