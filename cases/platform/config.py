"""Configuration: one frozen dataclass, built from the environment in one place.

Development gets working defaults: secrets are generated once into the data
directory (`dev-secrets.json`, prefixed "dev-" so they are recognisable).
`KANAL_ENV=production` refuses to start with a development secret, a missing
secret, or KDF parameters below the production minimum.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cases.evidence.sandbox_limits import SandboxLimits
from crypto.passphrase import KdfParams

if TYPE_CHECKING:
    from cases.team.trust import Trust

DEV_PREFIX = "dev-"
SECRET_NAMES = ("KANAL_PORTAL_SECRET_KEY", "KANAL_REVIEW_SECRET_KEY", "KANAL_RECEIPT_KEY", "KANAL_AUDIT_KEY")
ROOTS_FILE = "roster-roots.txt"
_MIN_SECRET_CHARS = 32


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to fix."""


@dataclass(frozen=True)
class Config:
    env: str
    data_dir: Path
    database_url: str
    portal_secret_key: str
    review_secret_key: str
    receipt_key: str
    # Keys the audit chain (HMAC) and the anchor file: a database writer cannot recompute either.
    audit_key: str = ""
    # Roots of trust for the team roster (cases.team.roster): "founder <fingerprint>" and
    # "recovery <fingerprint>" lines, from KANAL_ROSTER_ROOTS and/or a file kept with the secrets
    # (KANAL_ROSTER_ROOTS_FILE; in development data_dir/roster-roots.txt, written by dev-setup).
    roster_roots: str = ""
    roster_roots_file: str = ""
    # Where the apps write the latest anchored heads (outside the database); "" = data_dir/anchor.json.
    anchor_file: str = ""
    kdf: KdfParams = field(default_factory=KdfParams)
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    first_response_hours: int = 24
    # Public statistics: counts below this are shown as "< N" (docs/STATISTICS.md); at least 3,
    # since 0 is published and "< 2" would mean exactly 1
    stats_min_cell: int = 5
    secure_cookies: bool = False
    # This instance answers only on a Tor onion address over plain HTTP (KANAL_ONION=1):
    # the one production case where KANAL_SECURE_COOKIES=0 is right (docs/deploy/README.md).
    onion: bool = False
    # Addresses whose X-Forwarded-Proto gunicorn believes (gunicorn.conf.py reads the same variable).
    forwarded_allow_ips: str = "127.0.0.1"
    max_file_mb: int = 25
    max_case_mb: int = 100
    max_upload_mb_per_hour: int = 2048
    # The metadata cleaners' child processes (cases/evidence/sandbox.py, issue 17).
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    # One visit's share of that hour (issue 17): a single visitor cannot use up everyone's allowance.
    max_upload_mb_per_visit_hour: int = 256
    reporter_visit_minutes: int = 30
    # Rate limits (Flask-Limiter syntax). Keyed per visit (the session), never per IP
    # address, plus global ceilings: behind Tor every client shares one address.
    redis_url: str = ""
    # Prefix of every limiter key in Redis: instances (or test runs) sharing one Redis keep apart.
    redis_key_prefix: str = "kanal"
    limit_status: str = "10/minute;60/hour"
    limit_status_global: str = "600/minute"
    limit_submit: str = "5/hour"
    limit_submit_global: str = "120/minute"
    # Replies from the reporter's own page (/laporan-saya): per visit, and for everyone.
    limit_reply: str = "20/hour"
    limit_reply_global: str = "60/minute"
    limit_login_global: str = "60/minute"
    # Logins from a reviewer's trusted device: that device's own bucket, outside the global one.
    limit_login_device: str = "10/minute"
    # How long a trusted device (a cookie issued after a full login with the second factor) lasts.
    trusted_device_days: int = 30
    # Retention of concluded cases (cases.triage.retention), per archive rules.
    retention_days: int = 730
    # Content-free notifications (cases.team.notifications): off unless smtp_host is set.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_ca_file: str = ""  # a private CA for the mail relay; the system's CAs otherwise
    notify_interval_minutes: int = 60

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def receipt_key_bytes(self) -> bytes:
        return self.receipt_key.encode("utf-8")

    @property
    def anchor_path(self) -> Path:
        return Path(self.anchor_file) if self.anchor_file else self.data_dir / "anchor.json"

    def trust(self) -> "Trust":
        """The audit key and the roster's roots of trust, for the session factory."""
        from cases.team.trust import Trust

        return Trust(
            audit_key=self.audit_key.encode("utf-8"),
            roots_text=self.roster_roots,
            roots_file=Path(self.roster_roots_file) if self.roster_roots_file else None,
            anchor_path=self.anchor_path,
        )

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return f"Config(env={self.env!r}, data_dir={str(self.data_dir)!r})"


def _dev_secrets(data_dir: Path) -> dict[str, str]:
    path = data_dir / "dev-secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if all(name in stored for name in SECRET_NAMES):
        return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    # Secrets added by a later version join the ones already there (never replace a key in use).
    values = {name: stored.get(name) or DEV_PREFIX + secrets.token_urlsafe(32) for name in SECRET_NAMES}
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    os.replace(temporary, path)
    return values


def load_config(environ: dict[str, str] | None = None) -> Config:
    config = read_config(environ)
    if config.production:
        check_production(config)
    return config


def _sandbox_limits(env: dict[str, str]) -> SandboxLimits:
    default = SandboxLimits()
    return SandboxLimits(
        memory_mb=int(env.get("KANAL_SANDBOX_MEMORY_MB", str(default.memory_mb))),
        cpu_seconds=int(env.get("KANAL_SANDBOX_CPU_SECONDS", str(default.cpu_seconds))),
        wall_seconds=float(env.get("KANAL_SANDBOX_WALL_SECONDS", str(default.wall_seconds))),
        max_pixels=int(env.get("KANAL_MAX_IMAGE_MPX", str(default.max_pixels // 1_000_000))) * 1_000_000,
        pool_size=int(env.get("KANAL_SANDBOX_POOL", str(default.pool_size))),
        jobs_per_child=int(env.get("KANAL_SANDBOX_JOBS", str(default.jobs_per_child))),
    )


def read_config(environ: dict[str, str] | None = None) -> Config:
    """The configuration without production's refusal: `prod-check` lists every problem instead."""
    env = dict(os.environ if environ is None else environ)
    mode = env.get("KANAL_ENV", "development")
    if mode not in ("development", "production", "test"):
        raise ConfigError(f"KANAL_ENV must be development, production or test, not {mode!r}")
    data_dir = Path(env.get("KANAL_DATA_DIR", "instance")).resolve()
    production = mode == "production"
    values = {name: env.get(name, "") for name in SECRET_NAMES}
    if not production and not all(values.values()):
        dev = _dev_secrets(data_dir)
        values = {name: values[name] or dev[name] for name in SECRET_NAMES}
    kdf = KdfParams(
        memory_kib=int(env.get("KANAL_KDF_MEMORY_KIB", "65536")),
        iterations=int(env.get("KANAL_KDF_ITERATIONS", "3")),
        lanes=int(env.get("KANAL_KDF_LANES", "4")),
    )
    config = Config(
        env=mode,
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'kanal.db'}",
        portal_secret_key=values["KANAL_PORTAL_SECRET_KEY"],
        review_secret_key=values["KANAL_REVIEW_SECRET_KEY"],
        receipt_key=values["KANAL_RECEIPT_KEY"],
        audit_key=values["KANAL_AUDIT_KEY"],
        roster_roots=env.get("KANAL_ROSTER_ROOTS", "").replace(";", "\n"),
        roster_roots_file=env.get("KANAL_ROSTER_ROOTS_FILE", "" if production else str(data_dir / ROOTS_FILE)),
        anchor_file=env.get("KANAL_ANCHOR_FILE", ""),
        kdf=kdf,
        first_response_hours=int(env.get("KANAL_FIRST_RESPONSE_HOURS", "24")),
        stats_min_cell=max(3, int(env.get("KANAL_STATS_MIN_CELL", str(Config.stats_min_cell)))),
        secure_cookies=env.get("KANAL_SECURE_COOKIES", "1" if production else "0") == "1",
        onion=env.get("KANAL_ONION", "0") == "1",
        forwarded_allow_ips=env.get("KANAL_FORWARDED_ALLOW_IPS", Config.forwarded_allow_ips),
        max_file_mb=int(env.get("KANAL_MAX_FILE_MB", "25")),
        max_case_mb=int(env.get("KANAL_MAX_CASE_MB", "100")),
        max_upload_mb_per_hour=int(env.get("KANAL_MAX_UPLOAD_MB_PER_HOUR", str(Config.max_upload_mb_per_hour))),
        sandbox=_sandbox_limits(env),
        max_upload_mb_per_visit_hour=int(
            env.get("KANAL_MAX_UPLOAD_MB_PER_VISIT_HOUR", str(Config.max_upload_mb_per_visit_hour))
        ),
        redis_url=env.get("KANAL_REDIS_URL", ""),
        redis_key_prefix=env.get("KANAL_REDIS_PREFIX", Config.redis_key_prefix),
        limit_status=env.get("KANAL_LIMIT_STATUS", Config.limit_status),
        limit_status_global=env.get("KANAL_LIMIT_STATUS_GLOBAL", Config.limit_status_global),
        limit_submit=env.get("KANAL_LIMIT_SUBMIT", Config.limit_submit),
        limit_submit_global=env.get("KANAL_LIMIT_SUBMIT_GLOBAL", Config.limit_submit_global),
        limit_reply=env.get("KANAL_LIMIT_REPLY", Config.limit_reply),
        limit_reply_global=env.get("KANAL_LIMIT_REPLY_GLOBAL", Config.limit_reply_global),
        limit_login_global=env.get("KANAL_LIMIT_LOGIN_GLOBAL", Config.limit_login_global),
        limit_login_device=env.get("KANAL_LIMIT_LOGIN_DEVICE", Config.limit_login_device),
        trusted_device_days=int(env.get("KANAL_TRUSTED_DEVICE_DAYS", str(Config.trusted_device_days))),
        retention_days=int(env.get("KANAL_RETENTION_DAYS", str(Config.retention_days))),
        smtp_host=env.get("KANAL_SMTP_HOST", ""),
        smtp_port=int(env.get("KANAL_SMTP_PORT", str(Config.smtp_port))),
        smtp_user=env.get("KANAL_SMTP_USER", ""),
        smtp_password=env.get("KANAL_SMTP_PASSWORD", ""),
        smtp_from=env.get("KANAL_SMTP_FROM", ""),
        smtp_ca_file=env.get("KANAL_SMTP_CA_FILE", ""),
        notify_interval_minutes=int(env.get("KANAL_NOTIFY_INTERVAL_MINUTES", str(Config.notify_interval_minutes))),
    )
    return config


def production_problems(config: Config) -> list[str]:
    """Everything that makes `config` unfit for production, as sentences."""
    problems = []
    secrets_ = (config.portal_secret_key, config.review_secret_key, config.receipt_key, config.audit_key)
    for name, value in zip(SECRET_NAMES, secrets_, strict=True):
        if not value:
            problems.append(f"{name} is not set.")
        elif value.startswith(DEV_PREFIX):
            problems.append(f"{name} is a development secret.")
        elif len(value) < _MIN_SECRET_CHARS:
            problems.append(f"{name} is shorter than {_MIN_SECRET_CHARS} characters.")
    if len(set(secrets_)) < len(secrets_):
        problems.append("The four secrets must all differ.")
    if not config.kdf.at_least(KdfParams.production_minimum()):
        problems.append(f"KDF parameters {config.kdf.encode()} are below {KdfParams.production_minimum().encode()}.")
    if config.database_url.startswith("sqlite") and ":memory:" in config.database_url:
        problems.append("DATABASE_URL points at an in-memory database.")
    if not config.secure_cookies and not config.onion:
        problems.append(
            "KANAL_SECURE_COOKIES=0 sends the session cookie over plain HTTP and drops HSTS; "
            "only an onion-only portal may do that, and says so with KANAL_ONION=1."
        )
    problems += redis_problems(config.redis_url)
    if "*" in config.forwarded_allow_ips:
        problems.append("KANAL_FORWARDED_ALLOW_IPS=* lets any client claim HTTPS; name the proxy's address.")
    if config.smtp_host and not config.smtp_from:
        problems.append("KANAL_SMTP_HOST is set but KANAL_SMTP_FROM (the sender address) is not.")
    if config.retention_days < 1 or config.notify_interval_minutes < 1:
        problems.append("KANAL_RETENTION_DAYS and KANAL_NOTIFY_INTERVAL_MINUTES must be at least 1.")
    return problems


REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")


def redis_problems(redis_url: str) -> list[str]:
    """Production counts its rate limits in Redis, or not at all: without it every gunicorn worker
    keeps its own counts in memory, so each limit multiplies by the worker count and resets on every
    restart — the global ceilings that bound receipt guessing and floods would not hold."""
    if not redis_url:
        return [
            "KANAL_REDIS_URL is not set: without Redis each gunicorn worker counts the rate limits on "
            "its own (every limit multiplies by the worker count and resets on every restart), so the "
            "global ceilings against receipt guessing and floods would not hold."
        ]
    if not redis_url.startswith(REDIS_SCHEMES):
        return ["KANAL_REDIS_URL is not a Redis URL: the rate limits must be shared by every worker and node."]
    return []


def roots_problems(config: Config) -> list[str]:
    """What is missing from the roster's roots of trust (docs/INSTALL.md)."""
    from cases.team.trust import RootsError

    if config.roster_roots_file and not Path(config.roster_roots_file).is_file():
        return [f"KANAL_ROSTER_ROOTS_FILE names {config.roster_roots_file!r}, which is not a readable file."]
    try:
        roots = config.trust().roots()
    except (RootsError, OSError) as error:
        return [f"The roster's roots of trust cannot be read: {error}"]
    problems = []
    if not roots.founders:
        problems.append(
            "KANAL_ROSTER_ROOTS names no founding key holder (run the installation ceremony, docs/INSTALL.md)."
        )
    if not roots.recovery:
        problems.append("KANAL_ROSTER_ROOTS names no recovery key.")
    return problems


def check_production(config: Config) -> None:
    problems = production_problems(config)
    if problems:
        raise ConfigError("Refusing to start in production: " + " ".join(problems))


def new_production_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
