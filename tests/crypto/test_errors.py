"""The single CryptoError, and the package's independence from the web and database layers."""

import ast
import dataclasses
from pathlib import Path

import pytest

import crypto
from crypto.derive import unwrap, wrap
from crypto.envelope import ItemMetadata, decrypt_item, encrypt_item
from crypto.errors import CryptoError

PACKAGE_DIR = Path(crypto.__file__).resolve().parent
FORBIDDEN = ("flask", "sqlalchemy")


def _imported_top_level_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0].lower() for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0].lower())
    return names


def test_package_is_the_repository_crypto_package() -> None:
    # given the imported package, then it is /crypto at the repository root with all its modules
    assert Path(__file__).resolve().parents[2] / "crypto" == PACKAGE_DIR
    modules = {p.stem for p in PACKAGE_DIR.glob("*.py")}
    assert {"errors", "padding", "derive", "keys", "envelope", "passphrase", "receipts", "recovery"} <= modules


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_flask_or_sqlalchemy(path: Path) -> None:
    # given a module of the crypto package, when its imports are parsed
    imported = _imported_top_level_names(path)
    # then none of them is Flask (or a flask_* extension) or SQLAlchemy
    assert not {name for name in imported if name.startswith(FORBIDDEN)}


def test_crypto_error_has_one_fixed_message() -> None:
    # given a CryptoError, then it is an Exception that says only "decryption failed"
    error = CryptoError()
    assert isinstance(error, Exception)
    assert str(error) == "decryption failed" and error.args == ("decryption failed",)


def test_different_failures_are_indistinguishable() -> None:
    # given failures with different causes (wrong key, truncation, wrong binding, bad version)
    key = bytes(32)
    meta = ItemMetadata(case_id="c", item_id="i", author="team", kind="note", key_kind="team", seq=2)
    item = encrypt_item(key, b"text", meta)
    attempts = [
        lambda: decrypt_item(b"\x01" * 32, item, meta),
        lambda: decrypt_item(key, item[:10], meta),
        lambda: decrypt_item(key, item, dataclasses.replace(meta, case_id="other")),
        lambda: decrypt_item(key, item, dataclasses.replace(meta, author="reporter")),
        lambda: unwrap(key, b"\x02" + wrap(key, b"s", label="l")[1:], label="l"),
    ]
    # when each is attempted
    messages = set()
    for attempt in attempts:
        with pytest.raises(CryptoError) as caught:
            attempt()
        error = caught.value
        shown_context = None if error.__suppress_context__ else error.__context__
        messages.add((type(error), str(error), error.__cause__, shown_context))
    # then the caller sees the same exception and message, with no underlying cause shown
    assert messages == {(CryptoError, "decryption failed", None, None)}
