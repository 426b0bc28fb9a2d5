"""Accounts made from the command line (cases.team.accounts): the installation ceremony's
founding key holders, and reviewers signed into the roster by a key-holding admin."""

import click
from flask.cli import AppGroup

from cases.team.accounts import create_founder, create_reviewer
from cases.team.errors import AccountExists, InvalidEmail, NotAKeyHolder
from cases.team.grants import vouchable_recovery_key
from cases.team.login import unlock
from cases.team.trust import trust_of
from cases.web.app import command_session
from review.cli.shared import add_root, key_holder_login, key_holder_refusals, print_activation

commands = AppGroup("team")


@commands.command("create-founder")
@click.argument("username")
@click.option("--name", default="", help="Display name.")
@click.option("--no-admin", is_flag=True, help="A reviewer who is not an administrator.")
@click.option("--no-reviewer", is_flag=True, help="Administrator only: cannot read cases.")
@click.option("--email", default="", help="Address for content-free activity notifications.")
def create_founder_command(username: str, name: str, no_admin: bool, no_reviewer: bool, email: str) -> None:
    """Installation ceremony: a founding key holder, whose fingerprint becomes a root of trust."""
    try:
        with command_session() as session, session.begin():
            reviewer, activation, fp = create_founder(
                session,
                username=username,
                display_name=name,
                is_admin=not no_admin,
                is_reviewer=not no_reviewer,
                email=email,
                vouch_recovery=vouchable_recovery_key(session),
            )
            add_root(trust_of(session), kind="founder", fp=fp)
    except AccountExists:
        raise click.ClickException(f"An account named '{username}' already exists.") from None
    except InvalidEmail:
        raise click.ClickException(f"'{email}' is not an e-mail address.") from None
    print_activation(reviewer.username, activation)
    click.echo(f"Founding key holder; signing-key fingerprint:\n  {fp}")


@commands.command("create-reviewer")
@click.argument("username")
@click.option("--by", "by", default="", help="The key-holding admin creating it (asked for their passphrase).")
@click.option("--name", default="", help="Display name.")
@click.option("--admin", is_flag=True, help="Also an administrator.")
@click.option("--no-reviewer", is_flag=True, help="Administrator only: cannot read cases.")
@click.option("--email", default="", help="Address for content-free activity notifications.")
def create_reviewer_command(username: str, by: str, name: str, admin: bool, no_reviewer: bool, email: str) -> None:
    """Create an account and print its one-time activation passphrase.

    Signed into the roster by the admin named with --by, who then cannot approve it (four eyes)."""
    if not by:
        raise click.ClickException(
            "Say who creates the account: --by NAME (a key-holding admin, asked for "
            "their passphrase). The first accounts are made with create-founder."
        )
    try:
        with key_holder_refusals(by), command_session() as session, session.begin():
            creator = unlock(session, key_holder_login(by))
            reviewer, activation = create_reviewer(
                session,
                username=username,
                display_name=name,
                is_admin=admin,
                is_reviewer=not no_reviewer,
                email=email,
                creator=creator,
            )
    except NotAKeyHolder:
        raise click.ClickException(f"'{by}' is not a key-holding admin in the signed roster.") from None
    except AccountExists:
        raise click.ClickException(f"An account named '{username}' already exists.") from None
    except InvalidEmail:
        raise click.ClickException(f"'{email}' is not an e-mail address.") from None
    print_activation(reviewer.username, activation)
    click.echo(f"Created by '{by}', who cannot approve it: another key holder approves it on the team page.")
