"""`flask --app wsgi:review prod-check`: is this configuration fit for production?

Problems make the command exit 1: the start-up refusals of `production_problems`
(secrets, KDF, cookies, proxy trust), the roster's roots of trust, the database (reachable, migrated, a
recovery key installed; on PostgreSQL, no commit timestamps kept), the shared rate-limit store, the
compiled Indonesian catalog. Warnings are printed but pass: a SQLite database works for one small
server, PostgreSQL is what production is tested with; items still in format 1
have unauthenticated metadata, and file streams from before padding give their
exact size, until `items upgrade` runs; a PostgreSQL server that archives its
write-ahead log or logs statements keeps exact times outside the database (docs/SECURITY.md).

`python -m cases.platform.readiness` gives the same report when the apps themselves
refuse to start (production's start-up check stops `flask --app ...` first).
"""

import dataclasses
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import click
from limits.storage import storage_from_string
from sqlalchemy import bindparam, text
from sqlalchemy.exc import SQLAlchemyError

from cases.platform.config import (
    Config,
    ConfigError,
    production_problems,
    read_config,
    redis_problems,
    roots_problems,
)
from cases.platform.db import make_engine
from cases.platform.item_upgrade import legacy_counts, unpadded_count
from cases.platform.preflight import check_deployment

CATALOG = Path(__file__).resolve().parents[2] / "translations" / "id" / "LC_MESSAGES" / "messages.mo"


@dataclass(frozen=True)
class Readiness:
    problems: list[str]
    warnings: list[str]


def assess(config: Config) -> Readiness:
    problems = production_problems(config)
    problems += roots_problems(config)
    problems += _proxy_problems(config.forwarded_allow_ips, onion=config.onion)
    problems += _database_problems(config)
    server_problems, server_warnings = server_time_findings(_postgres_settings(config.database_url))
    problems += server_problems
    problems += _limit_store_problems(config.redis_url)
    if not CATALOG.exists():
        problems.append("The Indonesian catalog is not compiled (pybabel compile -d translations).")
    warnings = []
    if config.onion and config.forwarded_allow_ips.strip():
        warnings.append(
            "KANAL_ONION=1 with KANAL_FORWARDED_ALLOW_IPS set: tor adds no X-Forwarded-Proto, so a "
            "client could send its own; leave it empty for the onion portal."
        )
    if not config.database_url.startswith("postgresql"):
        warnings.append(
            "DATABASE_URL is not PostgreSQL: SQLite serves one small server, but production is "
            "tested on PostgreSQL (concurrent workers, pg_dump backups)."
        )
    warnings += _legacy_item_warnings(config.database_url)
    warnings += server_warnings
    return Readiness(problems=problems, warnings=warnings)


def explain(readiness: Readiness) -> list[str]:
    """The report: one line per problem ("- ") and per warning ("! "), then the verdict."""
    lines = [f"- {problem}" for problem in readiness.problems] + [f"! {warning}" for warning in readiness.warnings]
    if not readiness.problems:
        lines.append("Ready for production." + (" Read the warnings above." if readiness.warnings else ""))
    return lines


@click.command()
def main() -> None:
    """Check the configuration in the environment for production (exit 1 on any problem)."""
    try:
        readiness = assess(read_config())
    except (ConfigError, ValueError) as error:  # e.g. KANAL_ENV or a number that does not parse
        readiness = Readiness(problems=[str(error)], warnings=[])
    for line in explain(readiness):
        click.echo(line)
    if readiness.problems:
        raise SystemExit(1)


def _proxy_problems(allowed: str, *, onion: bool) -> list[str]:
    """gunicorn believes X-Forwarded-Proto only from these: they must be addresses, not a wildcard."""
    entries = [entry.strip() for entry in allowed.split(",") if entry.strip()]
    if not entries and not onion:
        return ["KANAL_FORWARDED_ALLOW_IPS is empty: name the address of the proxy in front (nginx)."]
    invalid = []
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            invalid.append(entry)
    if invalid and "*" not in invalid:  # the wildcard is already a start-up refusal
        return [f"KANAL_FORWARDED_ALLOW_IPS holds something that is not an address: {', '.join(invalid)}."]
    return []


def _database_problems(config: Config) -> list[str]:
    try:
        check_deployment(dataclasses.replace(config, env="production"), roots=False, redis=False)
    except ConfigError as error:
        reason = str(error).replace("Refusing to start in production: ", "")
        return [reason[:1].upper() + reason[1:]]
    return []


def _legacy_item_warnings(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            items, streams = legacy_counts(connection)
            unpadded = unpadded_count(connection)
    except SQLAlchemyError:
        return []  # unreachable or not migrated: already a problem above
    finally:
        engine.dispose()
    warnings = []
    if items or streams:
        warnings.append(
            f"{items} item(s) and {streams} file stream(s) are still in format 1: a database writer could relabel "
            "their author, kind or order unnoticed. Run flask --app wsgi:review items upgrade (with the recovery "
            "secret on standard input)."
        )
    if unpadded:
        warnings.append(
            f"{unpadded} file stream(s) are not padded: their stored length gives the exact file size. Run "
            "flask --app wsgi:review items upgrade (with the recovery secret on standard input)."
        )
    return warnings


_TIME_SETTINGS = ("track_commit_timestamp", "archive_mode", "log_statement", "log_min_duration_statement")


def _postgres_settings(database_url: str) -> dict[str, str]:
    """The PostgreSQL server settings that keep exact times of commits; {} for SQLite or when unreachable."""
    if not database_url.startswith("postgresql"):
        return {}
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT name, setting FROM pg_settings WHERE name IN :names").bindparams(
                    bindparam("names", expanding=True)
                ),
                {"names": list(_TIME_SETTINGS)},
            )
            return {name: setting for name, setting in rows}
    except SQLAlchemyError:
        return {}  # unreachable: already a problem above
    finally:
        engine.dispose()


def server_time_findings(settings: dict[str, str]) -> tuple[list[str], list[str]]:
    """(problems, warnings) about what the database server itself records of *when* (DESIGN.md §3, the
    time rule): every plaintext time in the database is an hour, but the server can keep more."""
    problems, warnings = [], []
    if settings.get("track_commit_timestamp") == "on":
        problems.append(
            "PostgreSQL keeps the commit time of every transaction (track_commit_timestamp = on): every row, a "
            "report's included, could be dated to the microsecond. Turn it off (docs/SECURITY.md)."
        )
    if settings.get("archive_mode", "off") != "off":
        warnings.append(
            "PostgreSQL archives its write-ahead log (archive_mode): every commit record in it carries its exact "
            "time. Keep the archives as protected as the database, and no longer than recovery needs."
        )
    if (
        settings.get("log_statement", "none") in ("mod", "all")
        or settings.get("log_min_duration_statement", "-1") != "-1"
    ):
        warnings.append(
            "PostgreSQL logs statements (log_statement or log_min_duration_statement): each log line is "
            "time-stamped, so the server log dates submissions. Set log_statement = none and "
            "log_min_duration_statement = -1."
        )
    return problems, warnings


def _limit_store_problems(redis_url: str) -> list[str]:
    """Whether Redis answers (`production_problems` already says when it is missing or no Redis URL)."""
    if redis_problems(redis_url):
        return []
    try:
        reachable = storage_from_string(redis_url, socket_connect_timeout=5, socket_timeout=5).check()
    except Exception as error:  # noqa: BLE001 - any failure to build the storage is the operator's to fix
        return [f"KANAL_REDIS_URL cannot be used for rate limits ({type(error).__name__})."]
    if not reachable:
        return ["KANAL_REDIS_URL does not answer (rate limits need it)."]
    return []


if __name__ == "__main__":
    main()
