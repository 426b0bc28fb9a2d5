"""Checks run before a server accepts traffic (gunicorn's `on_starting` hook).

Production must not serve with development secrets, cheap KDF parameters or no
recovery key. `load_config` checks the first two; this adds the database.
The Flask CLI builds the same apps without this check, so an operator can
still create the schema and generate the recovery key first.
"""

from sqlalchemy.exc import SQLAlchemyError

from .config import Config, ConfigError, load_config
from .db import make_engine, make_session_factory
from .errors import RecoveryKeyMissing
from .grants import active_recovery_key


def check_deployment(config: Config | None = None) -> Config:
    config = config or load_config()
    if not config.production:
        return config
    engine = make_engine(config.database_url)
    try:
        with make_session_factory(engine, config.trust())() as session:
            active_recovery_key(session)
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
