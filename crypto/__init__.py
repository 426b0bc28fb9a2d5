"""Kanal Integritas cryptography: pure functions over bytes, no Flask, no DB.

Modules:
    keys      hybrid ML-KEM-768 + X25519 key pairs and HPKE key grants
    envelope  AES-256-GCM encryption of case items under a case or team key
    derive    labelled key derivation and the small symmetric wraps built on it
    passphrase  Argon2id -> login verifier + private-key wrapping key
    receipts  reporter receipts: format, normalisation, look-up hash, key pair
    recovery  the organisation recovery key pair from a 32-byte master secret
    padding   Padme padding

Every failure to open anything raises `crypto.errors.CryptoError`.
See docs/CRYPTO.md for the design as built.
"""
