"""Production start-up refuses what would lose or expose reports."""

import dataclasses

import pytest
from sqlalchemy import Engine

from cases.platform.config import Config, ConfigError, new_production_secret
from portal import create_app

pytestmark = pytest.mark.committed  # production start-up reads the database through an engine of its own


def _production(config: Config) -> Config:
    return dataclasses.replace(
        config,
        env="production",
        portal_secret_key=new_production_secret(),
        review_secret_key=new_production_secret(),
        receipt_key=new_production_secret(),
        audit_key=new_production_secret(),
        roster_roots="founder " + "ab" * 32,  # the fixture's roots file names the recovery key
    )


def test_portal_refuses_to_start_without_a_recovery_key(config: Config, engine: Engine) -> None:
    with pytest.raises(ConfigError, match="recovery key"):
        create_app(_production(config))


def test_portal_starts_in_production_once_a_recovery_key_exists(config: Config, recovery_secret: bytes) -> None:
    app = create_app(_production(config))
    assert app.config["SECRET_KEY"] != config.portal_secret_key
    from cases.web.app import dispose

    dispose(app)
