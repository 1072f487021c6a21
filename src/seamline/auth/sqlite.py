"""Users and tokens in ``<data-dir>/auth.sqlite3`` (stdlib sqlite3, WAL), for the embedded store.

Each call opens its own short-lived connection: the CLI (``seamline user add``) and the serving
process write the same file, and WAL with a busy timeout lets them take turns. The file is made
readable by its owner only: it holds password hashes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from seamline.auth.errors import AuthStoreError
from seamline.auth.store import AuthStore, Row

FILE_NAME: Final = "auth.sqlite3"
BUSY_TIMEOUT_S: Final = 10.0


class SqliteAuthStore(AuthStore):
    """``SqliteAuthStore(data_dir).open()``; ``path`` may also name the file itself."""

    def __init__(self, path: Path) -> None:
        self.path = path / FILE_NAME if path.is_dir() or not path.suffix else path
        self.where = str(self.path)

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            with self._connection() as con:
                con.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise AuthStoreError(f"cannot open the users and tokens file {self.path}: {exc}") from exc

    def close(self) -> None:
        """Nothing stays open between calls."""

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            yield con
        finally:
            con.close()

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        try:
            with self._connection() as con:
                return con.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise AuthStoreError(f"{self.path}: {exc}") from exc

    def _change(self, sql: str, params: Sequence[object] = ()) -> int:
        try:
            with self._connection() as con:
                return con.execute(sql, tuple(params)).rowcount
        except sqlite3.Error as exc:
            raise AuthStoreError(f"{self.path}: {exc}") from exc

    def _create_schema(self, statements: Sequence[str]) -> None:
        try:
            with self._connection() as con:
                con.execute("BEGIN IMMEDIATE")
                for statement in statements:
                    con.execute(statement)
                con.execute("COMMIT")
        except sqlite3.Error as exc:
            raise AuthStoreError(f"cannot create the users and tokens tables in {self.path}: {exc}") from exc
