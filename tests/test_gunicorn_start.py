"""gunicorn itself refuses to serve an unsafe production configuration."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _start_gunicorn(env: dict[str, str], app: str) -> subprocess.CompletedProcess[str]:
    """gunicorn with the shared config, as systemd starts it; it is expected to refuse."""
    return subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", app],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_gunicorn_refuses_production_with_development_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANAL_")}
    env.update(KANAL_ENV="production", KANAL_DATA_DIR=str(tmp_path), KANAL_PORTAL_SECRET_KEY="dev-" + "x" * 40)
    result = _start_gunicorn(env, "wsgi:review")
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert "development secret" in result.stderr


def test_gunicorn_refuses_production_without_redis_and_says_why(tmp_path: Path) -> None:
    """Issue 17: without Redis each worker would count the rate limits on its own."""
    from cases.platform.config import SECRET_NAMES, new_production_secret

    env = {k: v for k, v in os.environ.items() if not k.startswith("KANAL_")}
    env.update({name: new_production_secret() for name in SECRET_NAMES})
    env.update(KANAL_ENV="production", KANAL_DATA_DIR=str(tmp_path))
    result = _start_gunicorn(env, "wsgi:portal")
    assert result.returncode != 0
    assert "Refusing to start in production: KANAL_REDIS_URL is not set" in result.stderr
    assert "rate limits" in result.stderr


def test_each_app_has_a_production_gunicorn_config_without_an_access_log() -> None:
    import runpy

    root = Path(__file__).resolve().parent.parent
    portal = runpy.run_path(str(root / "gunicorn.portal.conf.py"))
    review = runpy.run_path(str(root / "gunicorn.review.conf.py"))
    for settings in (portal, review):
        assert settings["accesslog"] is None and settings["loglevel"] == "warning"
        assert settings["forwarded_allow_ips"] == "127.0.0.1" and callable(settings["on_starting"])
        assert settings["workers"] >= 2
    assert portal["bind"] == "127.0.0.1:8000" and review["bind"] == "127.0.0.1:8001"
    assert portal["timeout"] >= 120 > review["timeout"]
