"""Attack class: flaws a reviewer of the source would find — weak randomness
(ids, receipts, tokens from a predictable generator), debug modes, dynamic code
execution, unsafe deserialisation, shell commands, templates rendered from
strings (SecureDrop/GlobaLeaks audit findings: weak randomness, debug left on,
injection sinks).

Static analysis runs in `make test` through `make lint` (ruff with the bandit
`S` rules, mypy, bandit); tests/test_layout.py holds the architecture checks (no
print, no client address, no `send_file`, no `|safe`). This module adds the
checks aimed at attacks, on the syntax tree of every app module.
"""

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

from cases.models import new_id
from crypto.receipts import ALPHABET, new_receipt

ROOT = Path(__file__).resolve().parent.parent.parent
APP_PACKAGES = ("crypto", "cases", "portal", "review")


def _app_modules() -> Iterator[tuple[Path, ast.Module]]:
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            yield path, ast.parse(path.read_text())
    yield ROOT / "wsgi.py", ast.parse((ROOT / "wsgi.py").read_text())


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_random_module_is_never_imported_by_app_code() -> None:
    """Mersenne Twister output can be predicted from a few hundred values: ids, receipts,
    tokens, salts and codes must come from `secrets` or `os.urandom`."""
    modules = list(_app_modules())
    assert len(modules) > 40
    for path, tree in modules:
        assert not {"random", "numpy.random"} & _imported(tree), path


def test_ids_and_receipts_come_from_the_system_generator() -> None:
    for path, name in ((ROOT / "cases" / "models.py", "new_id"), (ROOT / "crypto" / "receipts.py", "new_receipt")):
        function = next(
            node
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.FunctionDef) and node.name == name
        )
        used = {
            node.value.id
            for node in ast.walk(function)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        }
        assert "secrets" in used, name
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000 and all(len(i) == 20 and int(i, 16) >= 0 for i in ids)
    receipts = {new_receipt() for _ in range(2000)}
    assert len(receipts) == 2000
    assert all(len(r) == 19 and set(r.replace("-", "")) <= set(ALPHABET) for r in receipts)


def test_no_dynamic_code_shell_or_unsafe_deserialisation_in_app_code() -> None:
    forbidden_builtins = {"eval", "exec", "compile", "__import__"}  # re.compile is fine: an attribute
    forbidden_modules = {"pickle", "marshal", "shelve", "subprocess", "yaml"}
    for path, tree in _app_modules():
        assert not forbidden_modules & {name.split(".")[0] for name in _imported(tree)}, path
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                assert getattr(node.func, "id", "") not in forbidden_builtins, (path, ast.unparse(node))
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                assert name != "render_template_string", path
                for keyword in node.keywords:  # app.run(debug=True), Flask(..., debug=True), shell=True
                    if keyword.arg in ("debug", "shell", "use_debugger", "use_reloader"):
                        on = isinstance(keyword.value, ast.Constant) and keyword.value.value
                        assert not on, (path, keyword.arg)


def test_nothing_turns_debug_or_testing_on_in_app_code() -> None:
    for path, tree in _app_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    text = ast.unparse(target)
                    if text.endswith(".debug") or "'DEBUG'" in text or "'TESTING'" in text:
                        raise AssertionError(f"{path}: {ast.unparse(node)}")


def test_linting_keeps_the_security_rules_on() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lint = config["tool"]["ruff"].get("lint", config["tool"]["ruff"])
    assert "S" in lint["select"]  # flake8-bandit
    ignored = set(lint.get("ignore", []))
    assert ignored <= {"S101", "N818", "E501", "B008", "SIM108", "UP040"}, ignored  # only assert (S101) of the S rules
    assert config["tool"]["bandit"]["skips"] == ["B101"]
    makefile = (ROOT / "Makefile").read_text()
    assert "bandit" in makefile and "mypy" in makefile and "ruff check" in makefile
    # no app package is exempted from any rule
    exempted = lint.get("per-file-ignores", {})
    assert not [pattern for pattern in exempted if pattern.split("/")[0] in (*APP_PACKAGES, "wsgi.py")], exempted
