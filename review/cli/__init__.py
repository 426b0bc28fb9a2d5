"""Operator commands: `flask --app wsgi:review <command>`, one module per group, each naming
the `cases` code it drives. The commands call `cases` operations only: no query, no key here.

    platform   db upgrade | db revision, init-db, seed, dev-setup, backup, prod-check,
               purge-expired, notify
    team       create-founder, create-reviewer
    recovery   generate-recovery-key, recovery reseal
    roster     roster verify, roster found
    audit      audit verify, audit accept-restore
    items      items upgrade

Secrets these commands print (activation passphrases, the recovery master secret) go to the
operator's terminal once and are never stored or logged.
"""

from flask import Flask

from review.cli import audit, items, platform, recovery, roster, team

# Each module collects its commands and groups in `commands`, an AppGroup (so every command runs
# inside the app context) that is never registered itself: what it holds becomes top-level.
GROUPS = (platform.commands, team.commands, recovery.commands, roster.commands, audit.commands, items.commands)


def register(app: Flask) -> None:
    """Every command and group becomes a command of the review app's `flask` CLI."""
    for group in GROUPS:
        for command in group.commands.values():
            app.cli.add_command(command)
