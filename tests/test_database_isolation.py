"""Tests share databases built once per worker (tests/conftest.py, docs/TESTING.md), yet no test
ever sees another's rows."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from cases.platform.config import Config
from cases.platform.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def test_a_test_sees_none_of_the_rows_the_tests_before_it_committed(tmp_path: Path) -> None:
    # given tests that write and commit rows in every kind of database, on both backends, then tests
    # that look for them, run in that order in one process (tests/isolation_probe.py)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:xdist",
            f"--basetemp={tmp_path / 'probe'}",
            "tests/isolation_probe.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # then the later ones find nothing, and every one of them ran
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    backends = 2 if os.environ.get("TEST_DATABASE_URL") else 1
    assert passed is not None and int(passed.group(1)) == 8 * backends, result.stdout[-2000:]


def test_an_engine_of_its_own_is_refused_in_a_rolled_back_test(config: Config, session: Session) -> None:
    # it would see none of this test's rows: such a test must be marked committed
    engine = make_engine(config.database_url)
    try:
        with pytest.raises(RuntimeError, match="mark it @pytest.mark.committed"):
            engine.connect()
    finally:
        engine.dispose()


@pytest.mark.committed
def test_an_engine_of_its_own_sees_a_committed_test_s_rows(config: Config, session: Session) -> None:
    from cases.models import Opd

    session.add(Opd(name="dinas uji"))
    session.commit()
    engine = make_engine(config.database_url)
    try:
        with Session(engine) as other:
            assert other.query(Opd).filter_by(name="dinas uji").count() == 1
    finally:
        engine.dispose()
