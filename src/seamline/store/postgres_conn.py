"""Connections of the PostgreSQL store: the readers' pool, and URLs without their secrets."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict

from seamline.store.base import StoreError

Conn = psycopg.Connection[tuple[Any, ...]]


class Pool:
    """Up to ``size`` reader connections, made on demand; a broken one is replaced."""

    def __init__(self, connect: Callable[[], Conn], size: int) -> None:
        self._connect = connect
        self._size = max(1, size)
        self._idle: queue.LifoQueue[Conn] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._made = 0
        self._open = True

    def reopen(self) -> None:
        with self._lock:
            self._open = True

    @contextlib.contextmanager
    def connection(self, timeout_s: float = 30.0) -> Iterator[Conn]:
        con = self._take(timeout_s)
        try:
            yield con
        except psycopg.Error as exc:
            if con.broken or con.closed:
                self._discard(con)
                raise StoreError(f"a store query lost its connection: {first_line(exc)}") from exc
            self._give_back(con)
            raise StoreError(f"a store query failed: {first_line(exc)}", reason="store_query") from exc
        except Exception:  # e.g. a StoreQueryError found between two queries: the connection is fine
            self._give_back(con)
            raise
        except BaseException:
            self._discard(con)
            raise
        self._give_back(con)

    def _take(self, timeout_s: float) -> Conn:
        with self._lock:
            if not self._open:
                raise StoreError("the store is not open; call open(factory) first", reason="store_closed")
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                make = self._made < self._size
                if make:
                    self._made += 1
        if make:
            try:
                return self._connect()
            except BaseException:
                with self._lock:
                    self._made -= 1
                raise
        try:
            return self._idle.get(timeout=timeout_s)
        except queue.Empty:
            raise StoreError(
                f"all {self._size} store reader connections stayed busy for {timeout_s:.0f} s",
                reason="store_busy",
            ) from None

    def _give_back(self, con: Conn) -> None:
        if not con.closed and con.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:
                con.rollback()
            except psycopg.Error:
                self._discard(con)
                return
        with self._lock:
            if self._open:
                self._idle.put(con)
                return
            self._made -= 1
        con.close()

    def _discard(self, con: Conn) -> None:
        with self._lock:
            self._made -= 1
        con.close()

    def close(self) -> None:
        with self._lock:
            self._open = False
            while True:
                try:
                    con = self._idle.get_nowait()
                except queue.Empty:
                    break
                self._made -= 1
                con.close()


def split_schema(url: str) -> tuple[str, str | None]:
    """Take ``schema=`` out of a URL's query, which libpq would refuse."""
    if "://" not in url:
        return url, None  # a key=value conninfo string: the schema comes from the argument
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def redact(conninfo: str) -> str:
    """The URL (or conninfo) without its password, for messages."""
    if "://" in conninfo:
        parts = urlsplit(conninfo)
        if parts.password is not None:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
        return conninfo
    try:
        info = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "(an unparsable conninfo)"
    return " ".join(f"{k}={'***' if k == 'password' else v}" for k, v in info.items())


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
