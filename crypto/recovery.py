"""The organisation recovery key pair, derived from a 32-byte master secret.

The master secret is generated once, shown once, and kept offline (later split
into k-of-n SLIP-39 word shares, so no single person holds it). Only the public half lives on the server; it
receives a grant for every case and team key, so losing every reviewer's
passphrase loses no case.
"""

import os

import shamir_mnemonic

from .errors import CryptoError
from .keys import KeyPair, keypair_from_secret

MASTER_SECRET_BYTES = 32


def new_master_secret() -> bytes:
    return os.urandom(MASTER_SECRET_BYTES)


def recovery_keypair(master_secret: bytes) -> KeyPair:
    if len(master_secret) != MASTER_SECRET_BYTES:
        raise ValueError("the recovery master secret is 32 bytes")
    return keypair_from_secret(master_secret, label="recovery-key")


def split_master_secret(master_secret: bytes, *, threshold: int, shares: int) -> list[str]:
    """SLIP-39 word shares: any `threshold` of the `shares` rebuild the secret, fewer reveal nothing."""
    if len(master_secret) != MASTER_SECRET_BYTES:
        raise ValueError("the recovery master secret is 32 bytes")
    if not 1 <= threshold <= shares <= 16 or (threshold == 1 and shares > 1):
        raise ValueError("need 1 <= threshold <= shares <= 16 (and a 1-of-n split is just n copies)")
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, shares)], master_secret, b"", True, 1)
    return list(groups[0])


def combine_shares(mnemonics: list[str]) -> bytes:
    """The master secret from enough SLIP-39 shares; CryptoError when they do not add up.

    Holders in an emergency may type every share they have: extra shares beyond
    the threshold are fine (SLIP-39 itself wants exactly the threshold).
    """
    try:
        shares = [shamir_mnemonic.Share.from_mnemonic(" ".join(m.split())) for m in mnemonics if m.strip()]
        if not shares:
            raise CryptoError()
        distinct = list({share.index: share for share in shares}.values())
        chosen = distinct[: shares[0].member_threshold]
        secret: bytes = shamir_mnemonic.combine_mnemonics([share.mnemonic() for share in chosen])
    except (shamir_mnemonic.MnemonicError, ValueError):
        raise CryptoError() from None
    if len(secret) != MASTER_SECRET_BYTES:
        raise CryptoError()
    return secret


def parse_recovery_input(text: str) -> bytes:
    """What an operator types at recovery: 64 hex digits (groups allowed), or SLIP-39 shares, one per line."""
    compact = "".join(text.split())
    if len(compact) == 2 * MASTER_SECRET_BYTES and all(c in "0123456789abcdefABCDEF" for c in compact):
        return bytes.fromhex(compact)
    return combine_shares([line for line in text.splitlines() if line.strip()])
