"""Production start-up refuses a database without a recovery key."""

import dataclasses

import pytest
from sqlalchemy import Engine

from cases.config import Config, ConfigError, new_production_secret
from cases.preflight import check_deployment


def _production(config: Config) -> Config:
    secrets = {name: new_production_secret() for name in ("portal_secret_key", "review_secret_key", "receipt_key")}
    return dataclasses.replace(config, env="production", **secrets)


def test_production_without_a_recovery_key_is_refused(config: Config, engine: Engine) -> None:
    with pytest.raises(ConfigError, match="no recovery key"):
        check_deployment(_production(config))


def test_production_with_a_recovery_key_passes(config: Config, recovery_secret: bytes) -> None:
    assert check_deployment(_production(config)).production


def test_development_is_not_checked_against_the_database(config: Config) -> None:
    assert check_deployment(config) is config
