"""The architecture rules of DESIGN.md §2, checked on the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("package", "forbidden"), [("portal", "review"), ("review", "portal")])
def test_the_two_apps_never_import_each_other(package: str, forbidden: str) -> None:
    assert forbidden not in _imports(package)


def test_domain_never_imports_an_app() -> None:
    assert not {"portal", "review"} & _imports("cases")


def test_crypto_is_pure() -> None:
    assert not {"flask", "sqlalchemy", "cases", "portal", "review"} & _imports("crypto")


@pytest.mark.parametrize("package", ["portal", "review"])
def test_views_never_touch_keys_or_sql(package: str) -> None:
    """Views and operator commands (review/cli/) alike call `cases` operations; none imports either."""
    for path in (ROOT / package).rglob("*.py"):
        source = path.read_text()
        assert "from crypto" not in source and "import crypto" not in source, path
        assert "sqlalchemy" not in source, path


KEY_WORDS = ("private_key", "keypair", "signing_key", "case_key", "unwrap", "KeyPair", "SigningKey", "session_token")


@pytest.mark.parametrize("package", ["portal", "review"])
def test_no_app_module_handles_key_bytes(package: str) -> None:
    """Views and CLI commands hand `cases` an actor (cases.team.actor) or a visit (cases.reporting.visits);
    keys are unwrapped and used only inside `cases`. No app module imports crypto or names a key."""
    for path in (ROOT / package).rglob("*.py"):
        source = path.read_text()
        assert "crypto" not in _module_imports(path), path
        named = [word for word in KEY_WORDS if word in source]
        assert not named, f"{path} handles keys: {named}"


def test_app_code_never_prints() -> None:
    for package in ("crypto", "cases", "portal", "review"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
            assert not calls, path


def test_nothing_reads_the_client_address() -> None:
    for package in ("cases", "portal", "review"):
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text()
            for needle in ("remote_addr", "X-Forwarded-For", "user_agent", "User-Agent"):
                assert needle not in source, f"{needle} in {path}"


def test_templates_never_mark_content_safe() -> None:
    """Autoescaping is the only defence a template needs; `|safe` would switch it off."""
    for path in ROOT.glob("*/templates/*.html"):
        source = path.read_text()
        assert "|safe" not in source.replace(" ", "") and "Markup(" not in source, path


def test_markup_is_built_only_where_reviewed() -> None:
    users = [
        p.relative_to(ROOT).as_posix()
        for package in ("cases", "portal", "review")
        for p in (ROOT / package).rglob("*.py")
        if "Markup(" in p.read_text()
    ]
    assert users == ["review/auth.py"]  # the TOTP QR code: our own SVG of our own URI


def test_no_file_is_sent_from_a_request_derived_path() -> None:
    for package in ("cases", "portal", "review"):
        for path in (ROOT / package).rglob("*.py"):
            assert "send_file(" not in path.read_text() and "send_from_directory(" not in path.read_text(), path


def _module_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_cases_web_imports_flask_or_wtforms() -> None:
    """Domain rooms stay framework-free: the Flask/WTForms glue lives in cases/web/ alone."""
    web = {"flask", "flask_babel", "flask_wtf", "flask_limiter", "wtforms", "werkzeug", "jinja2"}
    offenders = [
        (path.relative_to(ROOT).as_posix(), sorted(web & _module_imports(path)))
        for path in (ROOT / "cases").rglob("*.py")
        if "web" not in path.relative_to(ROOT / "cases").parts and web & _module_imports(path)
    ]
    assert offenders == []


def test_cases_is_only_rooms() -> None:
    """cases/ holds rooms (packages) and the three modules every room shares, nothing else."""
    modules = sorted(p.name for p in (ROOT / "cases").glob("*.py"))
    assert modules == ["__init__.py", "errors.py", "items.py", "models.py"]
    rooms = sorted(p.name for p in (ROOT / "cases").iterdir() if (p / "__init__.py").exists())
    assert rooms == ["accountability", "evidence", "identity", "platform", "reporting", "team", "triage", "web"]


def test_tests_mirror_the_rooms() -> None:
    """Every room has its tests in tests/cases/<room>/."""
    for room in ("accountability", "evidence", "identity", "platform", "reporting", "team", "triage", "web"):
        assert list((ROOT / "tests" / "cases" / room).glob("test_*.py")), room
