"""The one exception every cryptographic failure raises.

Callers never learn *why* a decryption failed (wrong key, flipped bit,
truncated blob, wrong case id, unknown version): one type, one message, so no
caller can build an oracle from the difference (the Fernet habit).
"""


class CryptoError(Exception):
    """A ciphertext, grant or wrapped key could not be opened or parsed."""

    def __init__(self) -> None:
        super().__init__("decryption failed")
