"""`prod-check` says what makes a configuration unfit for production, one sentence per problem."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cases.platform import readiness
from cases.platform.config import Config, ConfigError, load_config, new_production_secret
from cases.platform.readiness import assess
from crypto.passphrase import KdfParams

pytestmark = pytest.mark.committed  # prod-check reads the database through engines of its own

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _ready(config: Config) -> Config:
    """`config` with everything production asks for (the database is the fixture's)."""
    return dataclasses.replace(
        config,
        portal_secret_key=new_production_secret(),
        review_secret_key=new_production_secret(),
        receipt_key=new_production_secret(),
        kdf=KdfParams.production_minimum(),
        secure_cookies=True,
        redis_url=REDIS,
        audit_key=new_production_secret(),
        # a founder's fingerprint (any will do here), and the fixture's roots file holding the recovery key's
        roster_roots="founder " + "ab" * 32 + ("" if config.roster_roots_file else "\nrecovery " + "cd" * 32),
    )


def _offline(tmp_path: Path, **changes: object) -> Config:
    """A ready configuration whose database is not set up (its problem is not the one under test)."""
    base = Config(
        env="production",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'none.db'}",
        portal_secret_key="",
        review_secret_key="",
        receipt_key="",
    )
    return dataclasses.replace(_ready(base), **changes)  # type: ignore[arg-type]


def test_a_ready_installation_passes_and_sqlite_only_warns(config: Config, recovery_secret: bytes) -> None:
    result = assess(_ready(config))
    assert result.problems == []
    if config.database_url.startswith("sqlite"):
        assert len(result.warnings) == 1 and "not PostgreSQL" in result.warnings[0]
    else:
        assert result.warnings == []


def test_the_command_prints_problems_and_fails(config: Config, engine: Engine) -> None:
    from review import create_app

    app = create_app(dataclasses.replace(_ready(config), secure_cookies=False, redis_url=""))
    try:
        result = app.test_cli_runner().invoke(args=["prod-check"])
    finally:
        from cases.web.app import dispose

        dispose(app)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("- KANAL_SECURE_COOKIES=0") for line in lines)
    assert any(line.startswith("- KANAL_REDIS_URL is not set") for line in lines)
    assert any(line.startswith("- ") and "recovery key" in line for line in lines)
    assert "Ready for production" not in result.output


def test_the_command_says_ready_when_nothing_is_wrong(config: Config, recovery_secret: bytes) -> None:
    from review import create_app

    app = create_app(_ready(config))
    try:
        result = app.test_cli_runner().invoke(args=["prod-check"])
    finally:
        from cases.web.app import dispose

        dispose(app)
    assert result.exit_code == 0, result.output
    assert "Ready for production." in result.output


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [
        ("", "KANAL_REDIS_URL is not set"),
        ("memory://", "not a Redis URL"),
        ("redis://127.0.0.1:1/0", "does not answer"),
    ],
)
def test_rate_limits_need_a_reachable_redis(tmp_path: Path, redis_url: str, expected: str) -> None:
    problems = assess(_offline(tmp_path, redis_url=redis_url)).problems
    assert any(expected in problem for problem in problems), problems


def test_a_reachable_redis_is_no_problem(tmp_path: Path) -> None:
    assert not [p for p in assess(_offline(tmp_path)).problems if "REDIS" in p]


def test_plain_http_cookies_only_for_an_onion_only_portal(tmp_path: Path) -> None:
    insecure = assess(_offline(tmp_path, secure_cookies=False)).problems
    assert any("KANAL_SECURE_COOKIES=0" in problem and "KANAL_ONION=1" in problem for problem in insecure)
    onion = assess(_offline(tmp_path, secure_cookies=False, onion=True)).problems
    assert not [problem for problem in onion if "COOKIES" in problem]


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        ("*", "lets any client claim HTTPS"),
        ("127.0.0.1, nginx.internal", "not an address: nginx.internal"),
        ("", "is empty"),
    ],
)
def test_proxy_trust_names_addresses(tmp_path: Path, allowed: str, expected: str) -> None:
    problems = assess(_offline(tmp_path, forwarded_allow_ips=allowed)).problems
    assert any(expected in problem for problem in problems), problems


def test_the_onion_portal_trusts_no_proxy(tmp_path: Path) -> None:
    result = assess(_offline(tmp_path, secure_cookies=False, onion=True, forwarded_allow_ips=""))
    assert not [problem for problem in result.problems if "FORWARDED" in problem]
    assert not result.warnings[:-1]  # only the SQLite warning
    trusting = assess(_offline(tmp_path, secure_cookies=False, onion=True, forwarded_allow_ips="127.0.0.1"))
    assert any("leave it empty for the onion portal" in warning for warning in trusting.warnings)


def test_proxy_addresses_and_networks_are_accepted(tmp_path: Path) -> None:
    problems = assess(_offline(tmp_path, forwarded_allow_ips="127.0.0.1,10.0.0.0/24, ::1")).problems
    assert not [problem for problem in problems if "FORWARDED" in problem]


def test_secrets_kdf_and_database_are_reported(tmp_path: Path) -> None:
    problems = assess(
        _offline(tmp_path, portal_secret_key="dev-" + "x" * 40, kdf=KdfParams(memory_kib=1024, iterations=1, lanes=1))
    ).problems
    assert any("KANAL_PORTAL_SECRET_KEY is a development secret" in problem for problem in problems)
    assert any("KDF parameters" in problem for problem in problems)
    assert any("The database is unreachable or not initialised" in problem for problem in problems)


def test_an_uncompiled_catalog_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readiness, "CATALOG", tmp_path / "messages.mo")
    assert any("pybabel compile" in problem for problem in assess(_offline(tmp_path)).problems)


def test_production_start_refuses_plain_http_cookies_unless_onion(tmp_path: Path) -> None:
    env = {
        "KANAL_ENV": "production",
        "KANAL_DATA_DIR": str(tmp_path),
        "KANAL_SECURE_COOKIES": "0",
        "KANAL_PORTAL_SECRET_KEY": new_production_secret(),
        "KANAL_REVIEW_SECRET_KEY": new_production_secret(),
        "KANAL_RECEIPT_KEY": new_production_secret(),
        "KANAL_AUDIT_KEY": new_production_secret(),
        "KANAL_ROSTER_ROOTS": "founder " + "ab" * 32 + ";recovery " + "cd" * 32,
        "KANAL_REDIS_URL": REDIS,
    }
    with pytest.raises(ConfigError, match="KANAL_ONION=1"):
        load_config(env)
    config = load_config({**env, "KANAL_ONION": "1"})
    assert config.onion and not config.secure_cookies
    with pytest.raises(ConfigError, match="KANAL_FORWARDED_ALLOW_IPS"):
        load_config({**env, "KANAL_ONION": "1", "KANAL_FORWARDED_ALLOW_IPS": "*"})


def test_the_module_reports_even_when_the_apps_refuse_to_start(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "KANAL_ENV": "production",
        "KANAL_DATA_DIR": str(tmp_path),
        "KANAL_SECURE_COOKIES": "0",
        "KANAL_REDIS_URL": REDIS,
    }
    result = subprocess.run(
        [sys.executable, "-m", "cases.platform.readiness"],
        env=env,
        capture_output=True,  # noqa: S603
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 1 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert "- KANAL_PORTAL_SECRET_KEY is not set." in lines
    assert any(line.startswith("- KANAL_SECURE_COOKIES=0") for line in lines)
    assert any(line.startswith("! DATABASE_URL is not PostgreSQL") for line in lines)
    assert not list(tmp_path.glob("dev-secrets.json"))  # production never invents secrets


@pytest.mark.parametrize(
    ("settings", "problem", "warning"),
    [
        ({"track_commit_timestamp": "off", "archive_mode": "off", "log_statement": "none"}, None, None),
        ({"track_commit_timestamp": "on"}, "track_commit_timestamp = on", None),
        ({"archive_mode": "on"}, None, "archive_mode"),
        ({"archive_mode": "always"}, None, "archive_mode"),
        ({"log_statement": "mod"}, None, "log_statement"),
        ({"log_statement": "ddl", "log_min_duration_statement": "0"}, None, "log_min_duration_statement"),
        ({}, None, None),  # SQLite, or a server that did not answer
    ],
)
def test_a_postgresql_server_that_keeps_commit_times_is_named(
    settings: dict[str, str], problem: str | None, warning: str | None
) -> None:
    # every plaintext time in the database is an hour; the server must not keep more (docs/SECURITY.md)
    problems, warnings = readiness.server_time_findings(settings)
    assert [p for p in problems if problem and problem in p] == problems and bool(problems) == bool(problem)
    assert [w for w in warnings if warning and warning in w] == warnings and bool(warnings) == bool(warning)
