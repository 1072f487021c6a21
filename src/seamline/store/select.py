"""Choose the store backend from one string: a path means DuckDB, a ``postgresql://`` URL PostgreSQL.

>>> type(store_for("/var/lib/seamline")).__name__, type(store_for("postgresql://db.local/plant")).__name__
('DuckDBStore', 'PostgresStore')
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from seamline.model.factory import Factory
from seamline.store.base import RetentionPolicy, Store
from seamline.store.duckdb import MEMORY_LIMIT, DuckDBStore
from seamline.store.postgres import PostgresStore

POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")


def store_for(
    spec: str | Path,
    *,
    retention: RetentionPolicy | None = None,
    memory_limit: str | None = None,
    read_only: bool = False,
) -> Store:
    """The (unopened) store that ``spec`` names; ``read_only`` for a reader beside the service
    (reports): see :class:`~seamline.store.duckdb.DuckDBStore` for why DuckDB refuses one while
    the service runs, where PostgreSQL does not.

    ``spec`` is a DuckDB file, a data directory, ``":memory:"``, or a PostgreSQL URL
    (``postgresql://user@host:5432/database``, optionally ``?schema=name``; see
    :class:`~seamline.store.postgres.PostgresStore`). ``memory_limit`` is DuckDB's buffer pool
    (default :data:`~seamline.store.duckdb.MEMORY_LIMIT`); PostgreSQL sizes its own.
    """
    text = str(spec)
    if text.startswith(POSTGRES_SCHEMES):
        return PostgresStore(text, retention=retention, read_only=read_only)
    return DuckDBStore(
        spec, retention=retention, memory_limit=memory_limit or MEMORY_LIMIT, read_only=read_only
    )


def open_store(
    spec: str | Path, factory: Factory, *, retention: RetentionPolicy | None = None, read_only: bool = False
) -> Store:
    """The store that ``spec`` names, opened for ``factory`` (schema created or checked; with
    ``read_only``, only checked)."""
    store = store_for(spec, retention=retention, read_only=read_only)
    store.open(factory)
    return store
