"""Users and tokens as ``auth_*`` tables in the schema of ``--store postgresql://...``.

One connection (autocommit) serves every call under a lock: each call is one indexed statement,
and a broken connection is replaced on the next call.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from seamline.auth.errors import AuthStoreError
from seamline.auth.store import AuthStore, Row
from seamline.store.postgres import DEFAULT_SCHEMA
from seamline.store.postgres_conn import first_line, redact, split_schema


class PostgresAuthStore(AuthStore):
    """``PostgresAuthStore("postgresql://user@host/db?schema=plant").open()``."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self._conninfo, url_schema = split_schema(url)
        self.schema = schema or url_schema or DEFAULT_SCHEMA
        self.where = f"{redact(self._conninfo)} schema {self.schema}"
        self._con: psycopg.Connection[tuple[Any, ...]] | None = None
        self._lock = threading.Lock()

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._con is None or self._con.closed or self._con.broken:
            try:
                con = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise AuthStoreError(f"cannot reach {self.where}: {first_line(exc)}") from exc
            schema = sql.Identifier(self.schema)
            con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            con.execute(sql.SQL("SET search_path TO {}").format(schema))
            self._con = con
        return self._con

    def _open(self) -> None:
        with self._lock:
            self._connect()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def _run(self, statement: str, params: Sequence[object], fetch: bool) -> Any:
        with self._lock:
            con = self._connect()
            try:
                # our own constant SQL (store.py), never user text; values are bound
                cur = con.execute(statement.replace("?", "%s").encode(), tuple(params))
                return cur.fetchall() if fetch else cur.rowcount
            except psycopg.Error as exc:
                raise AuthStoreError(f"{self.where}: {first_line(exc)}") from exc

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        rows: list[Row] = self._run(sql, params, fetch=True)
        return rows

    def _change(self, sql: str, params: Sequence[object] = ()) -> int:
        count: int = self._run(sql, params, fetch=False)
        return count

    def _create_schema(self, statements: Sequence[str]) -> None:
        with self._lock:
            con = self._connect()
            try:
                with con.transaction():
                    # one creator at a time when two processes start on a new schema together
                    con.execute(
                        "SELECT pg_advisory_xact_lock(hashtext('seamline-auth-' || current_schema()))"
                    )
                    for statement in statements:
                        con.execute(statement.encode())  # constant DDL from store.py
            except psycopg.Error as exc:
                raise AuthStoreError(
                    f"cannot create the auth tables in {self.where}: {first_line(exc)}"
                ) from exc
