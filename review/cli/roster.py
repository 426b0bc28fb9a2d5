"""The signed team roster (cases.team.roster): verifying it, and the upgrade ceremony that makes
an existing key holder a founder."""

import click
from flask.cli import AppGroup

from cases.team import roster
from cases.team.integrity import findings
from cases.team.login import unlock
from cases.team.membership import make_founder
from cases.team.trust import trust_of
from cases.web.app import command_session
from review.cli.shared import add_root, key_holder_login, key_holder_refusals

commands = AppGroup("roster")


@commands.group("roster")
def roster_group() -> None:
    """The signed team roster (who may read)."""


@roster_group.command("verify")
def roster_verify() -> None:
    """Verify the roster from the roots of trust; name every entry and account that does not verify."""
    with command_session() as session:
        found = findings(session, fresh=True)
        verified = roster.verified(session)
    for finding in found:
        click.echo(f"- {finding.detail}")
    if found:
        raise click.ClickException(f"{len(found)} problem(s): nothing is sealed to what does not verify.")
    readers = sum(1 for m in verified.members.values() if m.key_holder and m.reviewer and m.encryption_key)
    click.echo(
        f"Roster intact: {verified.head[0]} entries, head {verified.head[1].hex()}, {readers} verified reader(s)."
    )


@roster_group.command("found")
@click.argument("username")
def roster_found(username: str) -> None:
    """Upgrade ceremony: make an existing, activated key holder a founder (asks their passphrase)."""
    with key_holder_refusals(username), command_session() as session, session.begin():
        fp = make_founder(session, actor=unlock(session, key_holder_login(username)))
        add_root(trust_of(session), kind="founder", fp=fp)
    click.echo(f"'{username}' is a founding key holder; signing-key fingerprint:\n  {fp}")
