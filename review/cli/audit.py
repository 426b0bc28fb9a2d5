"""The audit log (cases.accountability.audit and .anchors): verifying the keyed chain and its
anchors, and accepting a database restored from a backup on purpose."""

import click
from flask.cli import AppGroup

from cases.accountability import anchors, audit
from cases.web.app import command_session

commands = AppGroup("audit")


@commands.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the whole audit log: the keyed chain, the anchor file and every anchor."""
    with command_session() as session:
        problems = anchors.verify(session)
        head = anchors.heads(session)
        count, _ = audit.chain_head(session)
        anchored = anchors.anchor_count(session)
    if problems:
        click.echo(f"Audit log broken: {len(problems)} problem(s).", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"Audit log intact: {count} events, {anchored} anchors; head {head.describe()}.")


@audit_group.command("accept-restore")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def audit_accept_restore(yes: bool) -> None:
    """After restoring a database backup on purpose: anchor its heads, giving up the newer anchor."""
    with command_session() as session:
        try:
            given_up = anchors.accept_restore(session)
        except anchors.RestoreRefused as refused:
            click.echo("Refused: the database contradicts itself, which a restore does not explain:", err=True)
            for problem in refused.problems:
                click.echo(f"  - {problem}", err=True)
            raise SystemExit(1) from None
        click.echo("Accepting the restored database gives up:")
        for line in given_up:
            click.echo(f"  - {line}")
        if not yes and not click.confirm("Anchor the restored database's heads?"):
            session.rollback()
            raise SystemExit(1)
        session.commit()
    click.echo("Anchored. The restore is recorded in the audit log (audit.accept_restore).")
