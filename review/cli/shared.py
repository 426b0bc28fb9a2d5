"""What the command groups share: reading and printing secrets, the roots of trust, and the
key holder who runs a command that changes the roster.

Secrets these commands print (activation passphrases, the recovery master secret) go to the
operator's terminal once and are never stored or logged.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app

from cases.platform.config import Config
from cases.team.errors import AccountLocked, CodeRejected, LoginFailed, NotActivated, RecoverySecretUnreadable
from cases.team.login import KeyHolderLogin
from cases.team.recovery_keys import read_recovery_secret
from cases.team.trust import Trust


def print_recovery_secret(master: bytes) -> None:
    click.echo("Recovery master secret (shown ONCE; write it down and keep it offline):")
    click.echo("  " + " ".join(master.hex()[i : i + 8] for i in range(0, 64, 8)))


def read_secret() -> bytes:
    """The master secret (hex) or k SLIP-39 shares (one per line) from standard input, never the shell history."""
    try:
        return read_recovery_secret(sys.stdin.read())
    except RecoverySecretUnreadable:
        raise click.ClickException("Those shares do not rebuild a recovery secret (too few, or mistyped).") from None


def print_activation(username: str, activation: str) -> None:
    click.echo(f"Account '{username}' created. One-time activation passphrase (shown once):")
    click.echo(f"  {activation}")


def add_root(trust: Trust, *, kind: str, fp: str) -> None:
    """Put a fingerprint into the roots of trust (the roots file), or say where it must go."""
    written = trust.add_roots(**({"founders": [fp]} if kind == "founder" else {"recovery": [fp]}))
    if written:
        click.echo(
            f"Roots of trust: added '{kind} {fp}' to {trust.roots_file}. Keep a copy of that "
            "file with the other secrets."
        )
    else:
        click.echo(
            "Roots of trust come from KANAL_ROSTER_ROOTS: add this line there (with the other secrets), "
            f"then restart the apps:\n  {kind} {fp}"
        )


def key_holder_login(username: str) -> KeyHolderLogin:
    """Who runs a CLI command that changes the roster: their passphrase unlocks their signing key
    (cases.team.login.unlock), with the same two factors as the review app's login."""
    passphrase = click.prompt(f"Passphrase of '{username}'", hide_input=True, err=True)
    config: Config = current_app.extensions["kanal.config"]
    return KeyHolderLogin(
        username=username,
        passphrase=passphrase,
        ask_code=lambda: str(click.prompt(f"Code from the authenticator app of '{username}'", err=True)),
        kdf=config.kdf,
        server_secret=config.review_secret_key.encode(),
    )


@contextmanager
def key_holder_refusals(username: str) -> Iterator[None]:
    """Why `cases.team.login.unlock` refused, in the operator's words."""
    try:
        yield
    except (LoginFailed, AccountLocked):
        raise click.ClickException(f"'{username}' and that passphrase do not match an active account.") from None
    except NotActivated:
        raise click.ClickException(f"'{username}' has not activated their account yet.") from None
    except CodeRejected:
        raise click.ClickException("That code is not valid (or was already used).") from None
