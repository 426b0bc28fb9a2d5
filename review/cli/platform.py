"""Running the installation (cases.platform, and the timers of cases.triage.retention and
cases.team.notifications): the schema, seed data, the first start in development, backups, the
production check, the retention purge and notification mail."""

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from cases.platform.backup import backup_sqlite
from cases.platform.config import Config
from cases.platform.errors import BackupRefused
from cases.platform.migrations import UnversionedDatabase, new_revision, upgrade
from cases.platform.readiness import assess, explain
from cases.platform.seed import load_seed
from cases.platform.smtp_mail import SmtpSender, SmtpSettings
from cases.reporting.errors import RecoveryKeyMissing
from cases.reporting.report_forms import purge_stale_forms
from cases.reporting.visits import purge_stale
from cases.team.accounts import any_account, create_founder
from cases.team.grants import active_recovery_key, vouchable_recovery_key
from cases.team.notifications import NoticeText, send_due
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint
from cases.team.sessions import purge_expired as purge_expired_sessions
from cases.team.trust import trust_of
from cases.triage.retention import purge_expired
from cases.web.app import command_session, session_factory
from review.cli.shared import add_root, print_activation, print_recovery_secret

commands = AppGroup("platform")


def _upgrade(revision: str = "head") -> None:
    try:
        upgrade(session_factory(current_app).kw["bind"], revision)
    except UnversionedDatabase as error:
        raise click.ClickException(str(error)) from None


@commands.group("db")
def db_group() -> None:
    """The database schema (Alembic migrations in migrations/)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create the schema, or upgrade it to REVISION (default: the newest)."""
    _upgrade(revision)
    click.echo(f"Database at {revision}.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """(Developers) autogenerate a migration from the models."""
    new_revision(session_factory(current_app).kw["bind"], message)


@commands.command("init-db")
def init_db() -> None:
    """Create or upgrade the database tables (same as `db upgrade`)."""
    _upgrade()
    click.echo("Database ready.")


@commands.command("seed")
def seed() -> None:
    """Load categories and the OPD list (idempotent)."""
    with command_session() as session, session.begin():
        categories, opds = load_seed(session)
    click.echo(f"Added {categories} categories and {opds} OPDs.")


@commands.command("purge-expired")
@click.option(
    "--days",
    type=int,
    default=None,
    help="Keep concluded cases this many days after closing (default: KANAL_RETENTION_DAYS, 730).",
)
def purge_expired_command(days: int | None) -> None:
    """Delete concluded cases past retention, reporters' visits past their hour and expired reviewer
    sessions (run hourly from a systemd timer or cron)."""
    config: Config = current_app.extensions["kanal.config"]
    with command_session() as session, session.begin():
        count = purge_expired(session, retention_days=days or config.retention_days)
        visits = purge_stale(session)
        forms = purge_stale_forms(session)
        sessions = purge_expired_sessions(
            session,
            idle=timedelta(minutes=config.session_idle_minutes),
            absolute=timedelta(hours=config.session_absolute_hours),
        )
    click.echo(
        f"Purged {count} case(s), {visits} expired visit(s), {sessions} expired reviewer session(s), "
        f"{forms} kept file(s) or sent form(s)."
    )


@commands.command("notify")
def notify_command() -> None:
    """Mail reviewers that there is new activity, nothing more (run every few minutes from a timer)."""
    config: Config = current_app.extensions["kanal.config"]
    if not config.smtp_host:
        click.echo("Notifications are off (KANAL_SMTP_HOST is not set).")
        return
    # The installation's language (no request here): Indonesian unless configured otherwise.
    text = NoticeText(
        subject=_("New activity in Kanal Integritas"),
        body=_(
            "There is new activity in the review application of Kanal Integritas. Sign in to see it.\n\n"
            "This message deliberately says nothing more."
        ),
    )
    report = send_due(
        session_factory(current_app),
        sender=SmtpSender(SmtpSettings.from_config(config)),
        text=text,
        interval=timedelta(minutes=config.notify_interval_minutes),
    )
    click.echo(f"Notified {report.sent} reviewer(s); {report.failed} failed and are retried on the next run.")
    if report.failed:
        raise SystemExit(1)


@commands.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Copy a SQLite database to TARGET while the apps keep running (PostgreSQL: use pg_dump -Fc)."""
    config: Config = current_app.extensions["kanal.config"]
    try:
        backup_sqlite(config.database_url, target)
    except BackupRefused as refused:
        raise click.ClickException(f"Refused: {refused}.") from None
    click.echo(f"Backup written to {target}. Keep the recovery secret and the KANAL_* secrets elsewhere.")


@commands.command("prod-check")
def prod_check() -> None:
    """Say what is wrong with this configuration for production (exit 1 if anything)."""
    readiness = assess(current_app.extensions["kanal.config"])
    for line in explain(readiness):
        click.echo(line)
    if readiness.problems:
        raise SystemExit(1)


@commands.command("dev-setup")
def dev_setup() -> None:
    """First start in development: tables, seed data, first admin, recovery key."""
    config: Config = current_app.extensions["kanal.config"]
    if config.production:
        raise click.ClickException("dev-setup is for development; use the individual commands in production.")
    _upgrade()
    with command_session() as session, session.begin():
        load_seed(session)
        try:
            active_recovery_key(session)
            master = None
        except RecoveryKeyMissing:
            _, master = generate_recovery_key(session)
        if master is not None:
            add_root(trust_of(session), kind="recovery", fp=recovery_fingerprint(active_recovery_key(session)))
        created = None
        if not any_account(session):
            reviewer, activation, fp = create_founder(
                session,
                username="admin",
                display_name="Administrator",
                is_admin=True,
                is_reviewer=True,
                vouch_recovery=vouchable_recovery_key(session),
            )
            add_root(trust_of(session), kind="founder", fp=fp)
            created = (reviewer.username, activation)
    if master is not None:
        print_recovery_secret(master)
    if created is not None:
        print_activation(*created)
    click.echo("Development database ready.")
