"""cases.platform.config: working development defaults, and a production mode that refuses unsafe settings."""

import os
import stat
from pathlib import Path

import pytest

from cases.platform.config import DEV_PREFIX, SECRET_NAMES, ConfigError, load_config, new_production_secret
from crypto.passphrase import KdfParams

# Roots of trust as the installation ceremony writes them (any well-formed fingerprints will do here).
ROOTS = "founder " + "ab" * 32 + ";recovery " + "cd" * 32


def _production(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {"KANAL_ENV": "production", "KANAL_DATA_DIR": str(tmp_path)}
    env.update({name: new_production_secret() for name in SECRET_NAMES})
    env["KANAL_ROSTER_ROOTS"] = ROOTS
    env["KANAL_REDIS_URL"] = "redis://127.0.0.1:6379/15"  # not contacted by load_config
    env.update(overrides)
    return {k: v for k, v in env.items() if v != "<unset>"}


def test_development_generates_private_dev_secrets_once(tmp_path: Path) -> None:
    # given an empty data directory and no secrets in the environment
    data_dir = tmp_path / "instance"
    env = {"KANAL_DATA_DIR": str(data_dir)}
    # when the configuration is loaded
    config = load_config(env)
    # then dev-secrets.json is created, readable by the owner only, with three distinct dev- secrets
    path = data_dir / "dev-secrets.json"
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    values = (config.portal_secret_key, config.review_secret_key, config.receipt_key)
    assert all(v.startswith(DEV_PREFIX) and len(v) > 32 for v in values) and len(set(values)) == 3
    assert config.env == "development" and not config.production and config.data_dir == data_dir.resolve()
    assert config.database_url == f"sqlite:///{data_dir.resolve() / 'kanal.db'}"


def test_development_reuses_the_generated_secrets(tmp_path: Path) -> None:
    # given a first load that generated secrets
    env = {"KANAL_DATA_DIR": str(tmp_path)}
    first = load_config(env)
    written = (tmp_path / "dev-secrets.json").read_text()
    # when the configuration is loaded again, then the same secrets come back and the file is unchanged
    second = load_config(env)
    assert (first.portal_secret_key, first.review_secret_key, first.receipt_key) == (
        second.portal_secret_key,
        second.review_secret_key,
        second.receipt_key,
    )
    assert (tmp_path / "dev-secrets.json").read_text() == written


def test_development_prefers_secrets_from_the_environment(tmp_path: Path) -> None:
    # given one secret set explicitly, when loaded in development, then it is used and the rest are dev ones
    config = load_config({"KANAL_DATA_DIR": str(tmp_path), "KANAL_RECEIPT_KEY": "explicit-receipt-key"})
    assert config.receipt_key == "explicit-receipt-key" and config.receipt_key_bytes == b"explicit-receipt-key"
    assert config.portal_secret_key.startswith(DEV_PREFIX)


def test_environment_values_are_read(tmp_path: Path) -> None:
    # given explicit settings, when loaded, then they are applied
    config = load_config(
        {
            "KANAL_ENV": "test",
            "KANAL_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql://db/kanal",
            "KANAL_FIRST_RESPONSE_HOURS": "48",
            "KANAL_KDF_MEMORY_KIB": "1024",
            "KANAL_KDF_ITERATIONS": "1",
            "KANAL_KDF_LANES": "1",
            "KANAL_SECURE_COOKIES": "1",
        }
    )
    assert config.database_url == "postgresql://db/kanal" and config.first_response_hours == 48
    assert config.kdf == KdfParams(1024, 1, 1) and config.secure_cookies and config.env == "test"


@pytest.mark.parametrize(
    "overrides, complaint",
    [
        ({name: "<unset>" for name in SECRET_NAMES}, "is not set"),
        ({"KANAL_PORTAL_SECRET_KEY": "<unset>"}, "KANAL_PORTAL_SECRET_KEY is not set"),
        ({"KANAL_REVIEW_SECRET_KEY": DEV_PREFIX + "x" * 43}, "KANAL_REVIEW_SECRET_KEY is a development secret"),
        ({"KANAL_RECEIPT_KEY": "short-but-not-empty"}, "KANAL_RECEIPT_KEY is shorter than 32"),
        ({"KANAL_PORTAL_SECRET_KEY": "s" * 43, "KANAL_REVIEW_SECRET_KEY": "s" * 43}, "must all differ"),
        ({"KANAL_KDF_MEMORY_KIB": "1024"}, "KDF parameters"),
        ({"KANAL_KDF_ITERATIONS": "1"}, "KDF parameters"),
        ({"DATABASE_URL": "sqlite:///:memory:"}, "in-memory"),
        ({"KANAL_REDIS_URL": "<unset>"}, "KANAL_REDIS_URL is not set: without Redis each gunicorn worker"),
        ({"KANAL_REDIS_URL": "memory://"}, "KANAL_REDIS_URL is not a Redis URL"),
    ],
    ids=[
        "no_secrets",
        "one_missing",
        "dev_prefixed",
        "short",
        "identical",
        "cheap_kdf_memory",
        "cheap_kdf_time",
        "memory_db",
        "no_redis",
        "memory_limits",
    ],
)
def test_production_refuses_unsafe_configuration(tmp_path: Path, overrides: dict[str, str], complaint: str) -> None:
    # given a production environment with one unsafe setting
    env = _production(tmp_path, **overrides)
    # when loaded, then it refuses, saying what is wrong
    with pytest.raises(ConfigError, match=complaint):
        load_config(env)
    # and no development secrets were generated behind the operator's back
    assert not (tmp_path / "dev-secrets.json").exists()


def test_production_refuses_secrets_from_a_dev_secrets_file(tmp_path: Path) -> None:
    # given a data directory with generated development secrets
    load_config({"KANAL_DATA_DIR": str(tmp_path)})
    # when production starts there without secrets of its own, then it refuses rather than using them
    with pytest.raises(ConfigError, match="is not set"):
        load_config({"KANAL_ENV": "production", "KANAL_DATA_DIR": str(tmp_path)})


def test_production_accepts_three_distinct_strong_secrets(tmp_path: Path) -> None:
    # given three fresh production secrets and the default KDF
    env = _production(tmp_path)
    assert all(len(env[name]) == 43 for name in SECRET_NAMES)
    # when loaded, then production starts with secure cookies and the environment's secrets
    config = load_config(env)
    assert config.production and config.secure_cookies and config.kdf == KdfParams.production_minimum()
    assert config.receipt_key == env["KANAL_RECEIPT_KEY"]
    assert not (tmp_path / "dev-secrets.json").exists()


def test_new_production_secrets_are_43_chars_and_distinct() -> None:
    # given many fresh secrets, then each is 43 url-safe characters and all differ
    values = {new_production_secret() for _ in range(50)}
    assert len(values) == 50 and all(len(v) == 43 and "=" not in v and not v.startswith(DEV_PREFIX) for v in values)


def test_repr_contains_no_secret(tmp_path: Path) -> None:
    # given a loaded production configuration
    env = _production(tmp_path)
    config = load_config(env)
    # then its repr and str show no secret, only env and data dir
    for shown in (repr(config), str(config)):
        assert "production" in shown
        assert not any(env[name] in shown for name in SECRET_NAMES)


@pytest.mark.parametrize("mode", ["staging", "PRODUCTION", "prod", ""])
def test_invalid_env_is_refused(tmp_path: Path, mode: str) -> None:
    # given an unknown KANAL_ENV, when loaded, then it is refused
    with pytest.raises(ConfigError, match="KANAL_ENV"):
        load_config({"KANAL_ENV": mode, "KANAL_DATA_DIR": str(tmp_path)})
