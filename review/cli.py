"""Operator commands: `flask --app wsgi:review <command>`.

Secrets these commands print (activation passphrases, the recovery master
secret) go to the operator's terminal once and are never stored or logged.
"""

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.accountability import anchors, audit
from cases.errors import DomainError
from cases.models import AuditAnchor, RecoveryKey, Reviewer
from cases.platform.backup import backup_sqlite
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.platform.errors import BackupRefused
from cases.platform.item_upgrade import upgrade_legacy_items
from cases.platform.migrations import UnversionedDatabase, new_revision, upgrade
from cases.platform.readiness import assess, explain
from cases.platform.seed import load_seed
from cases.platform.smtp_mail import SmtpSender, SmtpSettings
from cases.reporting.errors import RecoveryKeyMissing
from cases.team import roster
from cases.team.accounts import authenticate, create_founder, create_reviewer
from cases.team.errors import AccountExists, AccountLocked, InvalidEmail, LoginFailed, NotAKeyHolder, RecoveryMismatch
from cases.team.grants import active_recovery_key, recovery_key_verified
from cases.team.integrity import findings
from cases.team.notifications import NoticeText, send_due
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint, reseal_with_recovery
from cases.team.second_factor import check_code, use_backup_code
from cases.team.trust import trust_of
from cases.triage.retention import purge_expired
from cases.web.app import session_factory
from crypto.errors import CryptoError
from crypto.recovery import parse_recovery_input, split_master_secret
from crypto.signing import SigningKey, fingerprint


def _session() -> Session:
    return session_factory(current_app)()


def _upgrade(revision: str = "head") -> None:
    try:
        upgrade(session_factory(current_app).kw["bind"], revision)
    except UnversionedDatabase as error:
        raise click.ClickException(str(error)) from None


def _print_recovery_secret(master: bytes) -> None:
    click.echo("Recovery master secret (shown ONCE; write it down and keep it offline):")
    click.echo("  " + " ".join(master.hex()[i : i + 8] for i in range(0, 64, 8)))


def _read_recovery_secret() -> bytes:
    """The master secret (hex) or k SLIP-39 shares (one per line) from standard input, never the shell history."""
    try:
        return parse_recovery_input(sys.stdin.read())
    except CryptoError:
        raise click.ClickException("Those shares do not rebuild a recovery secret (too few, or mistyped).") from None


def _print_activation(username: str, activation: str) -> None:
    click.echo(f"Account '{username}' created. One-time activation passphrase (shown once):")
    click.echo(f"  {activation}")


def _add_root(session: Session, *, kind: str, fp: str) -> None:
    """Put a fingerprint into the roots of trust (the roots file), or say where it must go."""
    written = trust_of(session).add_roots(**({"founders": [fp]} if kind == "founder" else {"recovery": [fp]}))
    if written:
        click.echo(
            f"Roots of trust: added '{kind} {fp}' to {trust_of(session).roots_file}. Keep a copy of that "
            "file with the other secrets."
        )
    else:
        click.echo(
            "Roots of trust come from KANAL_ROSTER_ROOTS: add this line there (with the other secrets), "
            f"then restart the apps:\n  {kind} {fp}"
        )


def _recovery_to_vouch(session: Session) -> RecoveryKey | None:
    """The installed recovery key, for the founder to sign into the roster, when it is a root."""
    try:
        key = active_recovery_key(session)
    except RecoveryKeyMissing:
        return None
    return key if recovery_key_verified(session, key) else None


def _key_holder(session: Session, username: str) -> tuple[Reviewer, "SigningKey"]:
    """Who runs a CLI command that changes the roster: their passphrase unlocks their signing key."""
    passphrase = click.prompt(f"Passphrase of '{username}'", hide_input=True, err=True)
    config: Config = current_app.extensions["kanal.config"]
    try:
        outcome = authenticate(session, username=username, passphrase=passphrase, kdf=config.kdf)
    except (LoginFailed, AccountLocked):
        raise click.ClickException(f"'{username}' and that passphrase do not match an active account.") from None
    if outcome.signing is None or outcome.keypair is None:
        raise click.ClickException(f"'{username}' has not activated their account yet.")
    if outcome.reviewer.totp_enabled:  # the same two factors as the review app's login
        code = click.prompt(f"Code from the authenticator app of '{username}'", err=True)
        if not (
            check_code(reviewer=outcome.reviewer, code=code, server_secret=config.review_secret_key.encode())
            or use_backup_code(session, reviewer=outcome.reviewer, code=code)
        ):
            raise click.ClickException("That code is not valid (or was already used).")
    return outcome.reviewer, outcome.signing


def register(app: Flask) -> None:
    @app.cli.group("db")
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

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the database tables (same as `db upgrade`)."""
        _upgrade()
        click.echo("Database ready.")

    @app.cli.command("seed")
    def seed() -> None:
        """Load categories and the OPD list (idempotent)."""
        with _session() as session, session.begin():
            categories, opds = load_seed(session)
        click.echo(f"Added {categories} categories and {opds} OPDs.")

    @app.cli.command("create-founder")
    @click.argument("username")
    @click.option("--name", default="", help="Display name.")
    @click.option("--no-admin", is_flag=True, help="A reviewer who is not an administrator.")
    @click.option("--no-reviewer", is_flag=True, help="Administrator only: cannot read cases.")
    @click.option("--email", default="", help="Address for content-free activity notifications.")
    def create_founder_command(username: str, name: str, no_admin: bool, no_reviewer: bool, email: str) -> None:
        """Installation ceremony: a founding key holder, whose fingerprint becomes a root of trust."""
        try:
            with _session() as session, session.begin():
                reviewer, activation, fp = create_founder(
                    session,
                    username=username,
                    display_name=name,
                    is_admin=not no_admin,
                    is_reviewer=not no_reviewer,
                    email=email,
                    vouch_recovery=_recovery_to_vouch(session),
                )
                _add_root(session, kind="founder", fp=fp)
        except AccountExists:
            raise click.ClickException(f"An account named '{username}' already exists.") from None
        except InvalidEmail:
            raise click.ClickException(f"'{email}' is not an e-mail address.") from None
        _print_activation(reviewer.username, activation)
        click.echo(f"Founding key holder; signing-key fingerprint:\n  {fp}")

    @app.cli.command("create-reviewer")
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
            with _session() as session, session.begin():
                creator, key = _key_holder(session, by)
                reviewer, activation = create_reviewer(
                    session,
                    username=username,
                    display_name=name,
                    is_admin=admin,
                    is_reviewer=not no_reviewer,
                    email=email,
                    creator=creator,
                    creator_key=key,
                )
        except NotAKeyHolder:
            raise click.ClickException(f"'{by}' is not a key-holding admin in the signed roster.") from None
        except AccountExists:
            raise click.ClickException(f"An account named '{username}' already exists.") from None
        except InvalidEmail:
            raise click.ClickException(f"'{email}' is not an e-mail address.") from None
        _print_activation(reviewer.username, activation)
        click.echo(f"Created by '{by}', who cannot approve it: another key holder approves it on the team page.")

    @app.cli.command("generate-recovery-key")
    @click.option("--force", is_flag=True, help="Replace the active recovery key.")
    @click.option("--shares", type=int, default=0, help="Split the secret into this many SLIP-39 word shares.")
    @click.option("--threshold", type=int, default=0, help="How many shares rebuild the secret.")
    def generate_recovery_key_command(force: bool, shares: int, threshold: int) -> None:
        """Generate the organisation recovery key and print its master secret (or its shares) once."""
        if shares and not 2 <= threshold <= shares <= 16:
            raise click.ClickException("Use 2 <= --threshold <= --shares <= 16.")
        with _session() as session, session.begin():
            try:
                active_recovery_key(session)
                if not force:
                    raise click.ClickException("A recovery key is already installed (use --force to replace it).")
            except RecoveryKeyMissing:
                pass
            key, master = generate_recovery_key(session)
            _add_root(session, kind="recovery", fp=recovery_fingerprint(key))
        if shares:
            click.echo(
                f"Recovery shares: any {threshold} of these {shares} rebuild the secret. Give each to a "
                "different person, on paper; they are shown ONCE:"
            )
            for number, words in enumerate(split_master_secret(master, threshold=threshold, shares=shares), 1):
                click.echo(f"  share {number}: {words}")
        else:
            _print_recovery_secret(master)

    @app.cli.command("purge-expired")
    @click.option(
        "--days",
        type=int,
        default=None,
        help="Keep concluded cases this many days after closing (default: KANAL_RETENTION_DAYS, 730).",
    )
    def purge_expired_command(days: int | None) -> None:
        """Delete concluded cases past retention (run daily from cron or a systemd timer)."""
        config: Config = current_app.extensions["kanal.config"]
        with _session() as session, session.begin():
            count = purge_expired(session, retention_days=days or config.retention_days)
        click.echo(f"Purged {count} case(s).")

    @app.cli.command("notify")
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

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(target: Path) -> None:
        """Copy a SQLite database to TARGET while the apps keep running (PostgreSQL: use pg_dump -Fc)."""
        config: Config = current_app.extensions["kanal.config"]
        try:
            backup_sqlite(config.database_url, target)
        except BackupRefused as refused:
            raise click.ClickException(f"Refused: {refused}.") from None
        click.echo(f"Backup written to {target}. Keep the recovery secret and the KANAL_* secrets elsewhere.")

    @app.cli.command("prod-check")
    def prod_check() -> None:
        """Say what is wrong with this configuration for production (exit 1 if anything)."""
        readiness = assess(current_app.extensions["kanal.config"])
        for line in explain(readiness):
            click.echo(line)
        if readiness.problems:
            raise SystemExit(1)

    @app.cli.group("audit")
    def audit_group() -> None:
        """The audit log."""

    @audit_group.command("verify")
    def audit_verify() -> None:
        """Check the whole audit log: the keyed chain, the anchor file and every anchor."""
        with _session() as session:
            problems = anchors.verify(session)
            head = anchors.heads(session)
            count, _ = audit.chain_head(session)
            anchored = session.scalar(select(func.count()).select_from(AuditAnchor)) or 0
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
        with _session() as session:
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

    @app.cli.group("roster")
    def roster_group() -> None:
        """The signed team roster (who may read)."""

    @roster_group.command("verify")
    def roster_verify() -> None:
        """Verify the roster from the roots of trust; name every entry and account that does not verify."""
        with _session() as session:
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
        with _session() as session, session.begin():
            reviewer, key = _key_holder(session, username)
            roster.append(
                session,
                action="founder",
                subject_id=reviewer.id,
                fields={
                    "username": reviewer.username,
                    "signing_key": key.public.hex(),
                    "admin": reviewer.is_admin,
                    "reviewer": reviewer.is_reviewer,
                },
                signers=[(reviewer.id, key)],
            )
            assert reviewer.public_key is not None
            roster.append(
                session,
                action="account.activate",
                subject_id=reviewer.id,
                fields={
                    "signing_key": key.public.hex(),
                    "encryption_key": roster.encryption_fingerprint(reviewer.public_key),
                },
                signers=[(reviewer.id, key)],
            )
            reviewer.approved_at = reviewer.approved_at or utc_now()  # the row mirrors the roster
            reviewer.needs_grants = True  # key holders pass earlier cases on at their next visit
            audit.record(session, action="roster.found", detail=f"reviewer={reviewer.id}")
            fp = fingerprint(key.public)
            _add_root(session, kind="founder", fp=fp)
        click.echo(f"'{username}' is a founding key holder; signing-key fingerprint:\n  {fp}")

    @app.cli.group("recovery")
    def recovery_group() -> None:
        """Use the organisation recovery key."""

    @recovery_group.command("reseal")
    @click.argument("username")
    def recovery_reseal(username: str) -> None:
        """Seal every case to USERNAME with the recovery key.

        Reads the master secret (hex) or k SLIP-39 shares (one per line) from
        standard input, so it never appears in the shell history.
        """
        master = _read_recovery_secret()
        with _session() as session, session.begin():
            reviewer = session.scalars(select(Reviewer).where(Reviewer.username == username.lower())).first()
            if reviewer is None:
                raise click.ClickException(f"No account named '{username}'.")
            try:
                count = reseal_with_recovery(session, master_secret=master, reviewer=reviewer)
            except RecoveryMismatch:
                raise click.ClickException("That secret does not belong to an installed recovery key.") from None
            except DomainError as refused:
                raise click.ClickException(f"Refused: {refused}.") from None
        click.echo(f"Sealed {count} keys to '{username}'.")

    @app.cli.group("items")
    def items_group() -> None:
        """The encrypted case items (report, messages, notes, files)."""

    @items_group.command("upgrade")
    def items_upgrade() -> None:
        """Re-encrypt items of format 1 as format 2 (binding their metadata) and unpadded files as padded
        format 3, with the recovery key.

        Reads the master secret (hex) or k SLIP-39 shares (one per line) from
        standard input, like `recovery reseal`. Safe to run again.
        """
        master = _read_recovery_secret()
        with _session() as session, session.begin():
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

    @app.cli.command("dev-setup")
    def dev_setup() -> None:
        """First start in development: tables, seed data, first admin, recovery key."""
        config: Config = current_app.extensions["kanal.config"]
        if config.production:
            raise click.ClickException("dev-setup is for development; use the individual commands in production.")
        _upgrade()
        with _session() as session, session.begin():
            load_seed(session)
            try:
                active_recovery_key(session)
                master = None
            except RecoveryKeyMissing:
                _, master = generate_recovery_key(session)
            if master is not None:
                _add_root(session, kind="recovery", fp=recovery_fingerprint(active_recovery_key(session)))
            created = None
            if session.scalars(select(Reviewer.id).limit(1)).first() is None:
                reviewer, activation, fp = create_founder(
                    session,
                    username="admin",
                    display_name="Administrator",
                    is_admin=True,
                    is_reviewer=True,
                    vouch_recovery=_recovery_to_vouch(session),
                )
                _add_root(session, kind="founder", fp=fp)
                created = (reviewer.username, activation)
        if master is not None:
            _print_recovery_secret(master)
        if created is not None:
            _print_activation(*created)
        click.echo("Development database ready.")
