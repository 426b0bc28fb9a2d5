"""Online backup of a SQLite database (PostgreSQL uses pg_dump; docs/OPERATIONS.md).

`VACUUM INTO` writes a consistent snapshot while the apps keep the database open
and writing, unlike copying the file, which can catch a half-written transaction.
It also writes the copy anew, table by table in key order, rather than page by
page as the live file lies: the backup keeps no trace of the order in which
pages were filled, nor any freed page (DESIGN.md §3, the time rule). The copy
holds only what the database holds: ciphertext, sealed keys and times, and
plaintext metadata; it is useless without the recovery secret or a reviewer's
passphrase, and still goes to storage only the operators can read (the file is
created mode 0600).
"""

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from cases.platform.errors import BackupRefused


def backup_sqlite(database_url: str, target: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupRefused("this command backs up SQLite files; for PostgreSQL use pg_dump -Fc")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupRefused("the target exists; a backup never overwrites an older one") from None
    os.close(fd)
    source = sqlite3.connect(f"file:{Path(url.database).resolve()}?mode=ro", uri=True)
    try:
        source.execute("VACUUM INTO ?", (str(target),))  # into the empty file made above, keeping its mode
    finally:
        source.close()
