"""Checks run before a server accepts traffic (gunicorn's `on_starting` hook).

Production must not serve with development secrets, cheap KDF parameters, no
Redis for the rate limits, no roots of trust or no recovery key among them.
`load_config` checks the first three (that Redis is configured); this adds that
Redis answers, the roots and the database. The Flask CLI builds the same apps
without this check, so an operator can still run the installation ceremony
(schema, recovery key, founding key holders) first.
"""

from limits.storage import storage_from_string
from sqlalchemy.exc import SQLAlchemyError

from cases.platform.config import Config, ConfigError, load_config, redis_problems, roots_problems
from cases.platform.db import make_engine, make_session_factory
from cases.reporting.errors import RecoveryKeyMissing
from cases.team.grants import active_recovery_key, recovery_key_verified


def check_deployment(config: Config | None = None, *, roots: bool = True, redis: bool = True) -> Config:
    """`roots=False` and `redis=False` leave the roots of trust and Redis to the caller (prod-check
    lists them itself)."""
    config = config or load_config()
    if not config.production:
        return config
    if redis:
        check_redis(config)
    engine = make_engine(config.database_url)
    try:
        with make_session_factory(engine, config.trust())() as session:
            key = active_recovery_key(session)
            missing = roots_problems(config)
            if missing and roots:
                raise ConfigError("Refusing to start in production: " + " ".join(missing))
            if not missing and not recovery_key_verified(session, key):
                raise ConfigError(
                    "Refusing to start in production: the installed recovery key is not among the "
                    "roots of trust (KANAL_ROSTER_ROOTS; docs/INSTALL.md)."
                )
    except SQLAlchemyError as error:
        raise ConfigError(
            f"Refusing to start in production: the database is unreachable or not initialised "
            f"({type(error).__name__}; run flask --app wsgi:review init-db)."
        ) from None
    except RecoveryKeyMissing:
        raise ConfigError(
            "Refusing to start in production: no recovery key is installed "
            "(flask --app wsgi:review generate-recovery-key)."
        ) from None
    finally:
        engine.dispose()
    return config


def check_redis(config: Config) -> None:
    """Production counts its rate limits in a Redis that answers (issue 17): without it each worker
    would count on its own and the global ceilings against guessing and floods would not hold."""
    missing = redis_problems(config.redis_url)
    if missing:
        raise ConfigError("Refusing to start in production: " + " ".join(missing))
    try:
        reachable = storage_from_string(config.redis_url, socket_connect_timeout=5, socket_timeout=5).check()
    except Exception as error:  # noqa: BLE001 - whatever stops the storage, production must not start
        raise ConfigError(
            f"Refusing to start in production: KANAL_REDIS_URL cannot be used for the rate limits "
            f"({type(error).__name__})."
        ) from None
    if not reachable:
        raise ConfigError(
            "Refusing to start in production: KANAL_REDIS_URL does not answer, and the rate limits "
            "must be counted in Redis shared by every worker."
        )
