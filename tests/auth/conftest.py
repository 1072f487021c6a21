"""Auth fixtures: both auth stores, an Auth on a hand-moved clock, an app with auth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from auth_helpers import BACKENDS, FAST_HASHER, Clock, app_with
from fastapi import FastAPI

from seamline.auth import Auth, AuthStore, LoginLimiter, SqliteAuthStore
from seamline.model.factory import Factory


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=sorted(BACKENDS))
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], AuthStore]]:
    """Opens a new store on the same place each call (a second process, a restart)."""
    opened: list[AuthStore] = []
    with BACKENDS[request.param](tmp_path) as make:

        def open_one() -> AuthStore:
            store = make().open()
            opened.append(store)
            return store

        try:
            yield open_one
        finally:
            for store in opened:
                store.close()


@pytest.fixture
def auth(make_store: Callable[[], AuthStore], clock: Clock) -> Auth:
    return Auth(make_store(), hasher=FAST_HASHER, clock=clock, limiter=LoginLimiter(clock=clock))


@pytest.fixture
def sqlite_auth(tmp_path: Path, clock: Clock) -> Iterator[Auth]:
    auth = Auth(
        SqliteAuthStore(tmp_path / "auth").open(),
        hasher=FAST_HASHER,
        clock=clock,
        limiter=LoginLimiter(clock=clock),
    )
    yield auth
    auth.close()


@pytest.fixture
def app(sqlite_auth: Auth, tmp_path: Path, factory: Factory) -> Iterator[FastAPI]:
    with app_with(sqlite_auth, tmp_path, factory) as built:
        yield built
