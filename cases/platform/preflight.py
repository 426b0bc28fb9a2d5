"""Checks run before a server accepts traffic (gunicorn's `on_starting` hook).

Production must not serve with development secrets, cheap KDF parameters, no
roots of trust or no recovery key among them. `load_config` checks the first
two; this adds the roots and the database. The Flask CLI builds the same apps
without this check, so an operator can still run the installation ceremony
(schema, recovery key, founding key holders) first.
"""

from sqlalchemy.exc import SQLAlchemyError

from cases.platform.config import Config, ConfigError, load_config, roots_problems
from cases.platform.db import make_engine, make_session_factory
from cases.reporting.errors import RecoveryKeyMissing
from cases.team.grants import active_recovery_key, recovery_key_verified


def check_deployment(config: Config | None = None, *, roots: bool = True) -> Config:
    """`roots=False` leaves the roots of trust to the caller (prod-check lists them itself)."""
    config = config or load_config()
    if not config.production:
        return config
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
