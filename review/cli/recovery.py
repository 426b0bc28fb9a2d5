"""The organisation recovery key (cases.team.recovery_keys): generating it at installation, and
re-sealing every case to a reviewer with it after a disaster."""

import click
from flask.cli import AppGroup

from cases.errors import DomainError
from cases.reporting.errors import RecoveryKeyMissing
from cases.team.accounts import account_named
from cases.team.errors import RecoveryMismatch
from cases.team.grants import active_recovery_key
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint, recovery_shares, reseal_with_recovery
from cases.team.trust import trust_of
from cases.web.app import command_session
from review.cli.shared import add_root, print_recovery_secret, read_secret

commands = AppGroup("recovery")


@commands.command("generate-recovery-key")
@click.option("--force", is_flag=True, help="Replace the active recovery key.")
@click.option("--shares", type=int, default=0, help="Split the secret into this many SLIP-39 word shares.")
@click.option("--threshold", type=int, default=0, help="How many shares rebuild the secret.")
def generate_recovery_key_command(force: bool, shares: int, threshold: int) -> None:
    """Generate the organisation recovery key and print its master secret (or its shares) once."""
    if shares and not 2 <= threshold <= shares <= 16:
        raise click.ClickException("Use 2 <= --threshold <= --shares <= 16.")
    with command_session() as session, session.begin():
        try:
            active_recovery_key(session)
            if not force:
                raise click.ClickException("A recovery key is already installed (use --force to replace it).")
        except RecoveryKeyMissing:
            pass
        key, master = generate_recovery_key(session)
        add_root(trust_of(session), kind="recovery", fp=recovery_fingerprint(key))
    if shares:
        click.echo(
            f"Recovery shares: any {threshold} of these {shares} rebuild the secret. Give each to a "
            "different person, on paper; they are shown ONCE:"
        )
        for number, words in enumerate(recovery_shares(master, threshold=threshold, shares=shares), 1):
            click.echo(f"  share {number}: {words}")
    else:
        print_recovery_secret(master)


@commands.group("recovery")
def recovery_group() -> None:
    """Use the organisation recovery key."""


@recovery_group.command("reseal")
@click.argument("username")
def recovery_reseal(username: str) -> None:
    """Seal every case to USERNAME with the recovery key.

    Reads the master secret (hex) or k SLIP-39 shares (one per line) from
    standard input, so it never appears in the shell history.
    """
    master = read_secret()
    with command_session() as session, session.begin():
        reviewer = account_named(session, username)
        if reviewer is None:
            raise click.ClickException(f"No account named '{username}'.")
        try:
            count = reseal_with_recovery(session, master_secret=master, reviewer=reviewer)
        except RecoveryMismatch:
            raise click.ClickException("That secret does not belong to an installed recovery key.") from None
        except DomainError as refused:
            raise click.ClickException(f"Refused: {refused}.") from None
    click.echo(f"Sealed {count} keys to '{username}'.")
