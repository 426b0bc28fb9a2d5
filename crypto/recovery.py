"""The organisation recovery key pair, derived from a 32-byte master secret.

The master secret is generated once, shown once, and kept offline (later split
into k-of-n SLIP-39 word shares). Only the public half lives on the server; it
receives a grant for every case and team key, so losing every reviewer's
passphrase loses no case.
"""

import os

from .keys import KeyPair, keypair_from_secret

MASTER_SECRET_BYTES = 32


def new_master_secret() -> bytes:
    return os.urandom(MASTER_SECRET_BYTES)


def recovery_keypair(master_secret: bytes) -> KeyPair:
    if len(master_secret) != MASTER_SECRET_BYTES:
        raise ValueError("the recovery master secret is 32 bytes")
    return keypair_from_secret(master_secret, label="recovery-key")
