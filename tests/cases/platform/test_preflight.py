"""Production start-up refuses a database without a recovery key."""

import dataclasses
import os

import pytest
from sqlalchemy import Engine

from cases.platform.config import Config, ConfigError, new_production_secret
from cases.platform.preflight import check_deployment

pytestmark = pytest.mark.committed  # check_deployment reads the database through an engine of its own


def _production(config: Config) -> Config:
    secrets = {
        name: new_production_secret() for name in ("portal_secret_key", "review_secret_key", "receipt_key", "audit_key")
    }
    # a founder's fingerprint in the roots (any will do here); the fixture's roots file names the recovery key
    redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    return dataclasses.replace(
        config, env="production", roster_roots="founder " + "ab" * 32, redis_url=redis, **secrets
    )


def test_production_without_a_recovery_key_is_refused(config: Config, engine: Engine) -> None:
    with pytest.raises(ConfigError, match="no recovery key"):
        check_deployment(_production(config))


def test_production_with_a_recovery_key_passes(config: Config, recovery_secret: bytes) -> None:
    assert check_deployment(_production(config)).production


def test_development_is_not_checked_against_the_database(config: Config) -> None:
    assert check_deployment(config) is config


def test_production_refuses_without_roots_of_trust(config: Config, recovery_secret: bytes) -> None:
    with pytest.raises(ConfigError, match="no founding key holder"):
        check_deployment(dataclasses.replace(_production(config), roster_roots=""))


def test_production_refuses_a_recovery_key_that_is_not_a_root(config: Config, recovery_secret: bytes) -> None:
    other = "founder " + "ab" * 32 + "\nrecovery " + "cd" * 32
    with pytest.raises(ConfigError, match="not among the roots of trust"):
        check_deployment(dataclasses.replace(_production(config), roster_roots=other, roster_roots_file=""))
