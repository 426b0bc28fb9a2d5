"""docs/SECURITY.md stays honest: every test it cites exists, and the ASVS 5.0
table lists at least the requirements issue #5 names."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DOC = (ROOT / "docs" / "SECURITY.md").read_text()
REQUIRED = (
    "1.2.4",
    "2.3.3",
    "2.4.1",
    "3.2.1",
    "3.3.1",
    "3.3.2",
    "3.3.3",
    "3.3.4",
    "3.4.1",
    "3.4.2",
    "3.4.3",
    "3.4.4",
    "3.4.5",
    "3.4.6",
    "3.5.1",
    "3.5.3",
    "5.2.1",
    "5.2.2",
    "5.3.2",
    "5.4.1",
    "6.2.1",
    "6.2.4",
    "6.2.9",
    "6.3.1",
    "6.3.3",
    "6.3.8",
    "6.5.1",
    "6.5.3",
    "7.2.3",
    "7.2.4",
    "7.3.1",
    "7.3.2",
    "7.4.1",
    "7.4.2",
    "7.5.1",
    "8.2.1",
    "8.2.2",
    "11.3.3",
    "11.4.2",
    "11.5.1",
    "14.2.1",
    "14.2.8",
    "14.3.2",
    "16.2.5",
    "16.3.1",
    "16.5.1",
)


def test_every_cited_test_exists() -> None:
    cited = re.findall(r"`((?:tests|bench|docs)/[\w/.]+\.py)(?:::(\w+))?`", DOC)
    assert len(cited) > 60
    for path, function in cited:
        assert (ROOT / path).is_file(), path
        if function:
            tree = ast.parse((ROOT / path).read_text())
            assert function in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, f"{path}::{function}"


def test_the_asvs_table_covers_the_required_requirements_each_with_a_test() -> None:
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| (\d+\.\d+\.\d+) \|.*$", DOC, re.MULTILINE)}
    assert [r for r in REQUIRED if r not in rows] == []
    for requirement, row in rows.items():
        assert "::" in row or "bench/" in row, requirement  # each names the test that proves it


def test_one_module_per_attack_class() -> None:
    for name in (
        "headers",
        "cookies_sessions",
        "identifying_traces",
        "rate_limiting",
        "constant_time",
        "upload_limits",
        "access_control",
        "static_checks",
    ):
        module = ROOT / "tests" / "security" / f"test_attack_{name}.py"
        docstring = ast.get_docstring(ast.parse(module.read_text())) or ""
        assert docstring.startswith("Attack class:") and "SecureDrop/GlobaLeaks" in docstring, name
        assert f"test_attack_{name}.py" in DOC, name
