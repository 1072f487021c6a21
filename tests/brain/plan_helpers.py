"""What the planning API and page tests share: the small factory's platform and app, and a call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.web import create_app

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
NOW = "2026-11-30T09:00:00+00:00"  # a Monday; the small factory's orders are due Dec 1 and 3


def small_factory() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


@contextmanager
def planning_app(data_dir: Path, factory: Factory) -> Iterator[FastAPI]:
    """The app as `seamline serve` builds it, over a platform keeping its data in ``data_dir``."""
    settings = Settings(data_dir=data_dir, mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, factory) as platform:
        yield create_app(factory, platform.store, platform.ingestor, platform=platform)


def request(app: FastAPI, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def call(app: FastAPI, method: str, url: str, expect: int, **kwargs: Any) -> Any:
    response = request(app, method, url, **kwargs)
    assert response.status_code == expect, response.text
    return response.json()
