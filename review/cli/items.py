"""The encrypted case items (cases.platform.item_upgrade): re-encrypting the old format with the
recovery key."""

import click
from flask.cli import AppGroup

from cases.platform.item_upgrade import upgrade_legacy_items
from cases.team.errors import RecoveryMismatch
from cases.web.app import command_session
from review.cli.shared import read_secret

commands = AppGroup("items")


@commands.group("items")
def items_group() -> None:
    """The encrypted case items (report, messages, notes, files)."""


@items_group.command("upgrade")
def items_upgrade() -> None:
    """Re-encrypt items of format 1 as format 2 (binding their metadata) and unpadded files as padded
    format 3, with the recovery key.

    Reads the master secret (hex) or k SLIP-39 shares (one per line) from
    standard input, like `recovery reseal`. Safe to run again.
    """
    master = read_secret()
    with command_session() as session, session.begin():
        try:
            report = upgrade_legacy_items(session, master_secret=master)
        except RecoveryMismatch:
            raise click.ClickException("That secret does not belong to an installed recovery key.") from None
    click.echo(
        f"Upgraded {report.items} item(s) and {report.streams} file stream(s) in {report.cases} case(s); "
        f"tagged the keys of {report.tagged} case(s) from before key tags."
    )
    if report.failed or report.without_grant:
        click.echo(
            f"Left as they were: {report.failed} item(s) or stream(s) that failed their integrity check, "
            f"{report.without_grant} case(s) without a grant for this recovery key."
        )
        raise SystemExit(1)
