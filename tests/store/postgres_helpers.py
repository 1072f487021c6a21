"""The PostgreSQL server the store tests run against, and a fresh schema per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import psycopg
import pytest
from psycopg import sql

POSTGRES_URL: Final = "postgresql://root@127.0.0.1:5432/test"
START_POSTGRES_HINT: Final = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
)


def require_postgres() -> str:
    """The test server's URL; fails the test (never skips) when the server is not reachable."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {POSTGRES_URL} ({str(exc).strip()}); {START_POSTGRES_HINT}")
    return POSTGRES_URL


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A schema name no other test uses; the schema is dropped afterwards."""
    url = require_postgres()
    name = f"seamline_test_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
