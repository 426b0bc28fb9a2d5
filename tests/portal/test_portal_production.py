"""Production start-up refuses what would lose or expose reports."""

import dataclasses
import os

import pytest
from sqlalchemy import Engine

from cases.platform.config import Config, ConfigError, new_production_secret
from portal import create_app

pytestmark = pytest.mark.committed  # production start-up reads the database through an engine of its own

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _production(config: Config) -> Config:
    return dataclasses.replace(
        config,
        env="production",
        portal_secret_key=new_production_secret(),
        review_secret_key=new_production_secret(),
        receipt_key=new_production_secret(),
        audit_key=new_production_secret(),
        roster_roots="founder " + "ab" * 32,  # the fixture's roots file names the recovery key
        redis_url=REDIS,
    )


def test_portal_refuses_to_start_without_a_recovery_key(config: Config, engine: Engine) -> None:
    with pytest.raises(ConfigError, match="recovery key"):
        create_app(_production(config))


def test_portal_starts_in_production_once_a_recovery_key_exists(config: Config, recovery_secret: bytes) -> None:
    app = create_app(_production(config))
    assert app.config["SECRET_KEY"] != config.portal_secret_key
    from cases.web.app import dispose

    dispose(app)


@pytest.mark.parametrize("app_name", ["portal", "review"])
def test_production_without_redis_refuses_to_start_and_says_why(
    config: Config, recovery_secret: bytes, app_name: str
) -> None:
    """Without Redis every worker would count the limits on its own: the global ceilings would not hold."""
    import importlib

    factory = importlib.import_module(app_name).create_app
    # Given a production configuration that is otherwise ready, without KANAL_REDIS_URL
    unready = dataclasses.replace(_production(config), redis_url="")
    # When the app is built, then it refuses, naming the setting and the reason
    with pytest.raises(ConfigError, match="Refusing to start in production: KANAL_REDIS_URL is not set") as refused:
        factory(unready)
    assert "rate limits" in str(refused.value) and "worker" in str(refused.value)


def test_production_refuses_a_redis_that_does_not_answer(config: Config, recovery_secret: bytes) -> None:
    with pytest.raises(ConfigError, match="KANAL_REDIS_URL does not answer"):
        create_app(dataclasses.replace(_production(config), redis_url="redis://127.0.0.1:1/0"))
