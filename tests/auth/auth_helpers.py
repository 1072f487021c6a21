"""What the auth tests share: the two auth stores, a cheap hasher, a hand-moved clock, a client."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Final

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from psycopg import sql

from seamline.auth import Auth, AuthStore, PostgresAuthStore, SqliteAuthStore
from seamline.ingest import Ingestor
from seamline.model.factory import Factory
from seamline.store import DuckDBStore
from seamline.web import create_app

POSTGRES_URL: Final = "postgresql://root@127.0.0.1:5432/test"
START_POSTGRES_HINT: Final = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
)
# Argon2id at its cheapest: the tests hash many passwords; production uses the RFC 9106 profile.
FAST_HASHER: Final = PasswordHasher.from_parameters(profiles.CHEAPEST)


@contextmanager
def _sqlite(tmp_path: Path) -> Iterator[Callable[[], AuthStore]]:
    yield lambda: SqliteAuthStore(tmp_path / "data")


@contextmanager
def _postgres(tmp_path: Path) -> Iterator[Callable[[], AuthStore]]:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {POSTGRES_URL} ({str(exc).strip()}); {START_POSTGRES_HINT}")
    schema = f"seamline_test_{uuid.uuid4().hex[:12]}"
    try:
        yield lambda: PostgresAuthStore(f"{POSTGRES_URL}?schema={schema}")
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as con:
            con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# Each backend's place for one test: a data directory, or a PostgreSQL schema dropped after.
BACKENDS: dict[str, Callable[[Path], AbstractContextManager[Callable[[], AuthStore]]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}


class Clock:
    """A clock the test moves by hand: expiry and rate limits without sleeping."""

    def __init__(self, ms: int = 1_795_363_200_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, s: float) -> None:
        self.ms += round(s * 1000)


@contextmanager
def app_with(auth: Auth | None, tmp_path: Path, factory: Factory) -> Iterator[FastAPI]:
    with (
        DuckDBStore(tmp_path / "store").opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.02) as ingestor,
    ):
        yield create_app(factory, store, ingestor, auth=auth)


class Client:
    """Requests to an app in process, keeping cookies like a browser (``https`` with ``secure``)."""

    def __init__(self, app: FastAPI, *, secure: bool = False) -> None:
        self.app = app
        self.base = "https://seamline.test" if secure else "http://seamline.test"
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=("10.0.0.7", 4711))
            async with httpx.AsyncClient(
                transport=transport, base_url=self.base, cookies=self.cookies, follow_redirects=False
            ) as client:
                response = await client.request(method, url, **kwargs)
                self.cookies = client.cookies
                return response

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(r: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"reason", "message", "details"}
    assert body["error"]["reason"] == reason, body
    assert body["error"]["message"]
    details: dict[str, Any] = body["error"]["details"]
    return details
