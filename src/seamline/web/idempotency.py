"""Writes sent again with the same ``Idempotency-Key`` header are answered, not applied, again.

A tablet on floor Wi-Fi may send a write, lose the answer and send it once more: the outbox in
the web app puts a key on each write, and this middleware keeps the answer to each key (per
method and path) for a day, up to :data:`KEEP` answers, in memory. A repeat gets the first answer
with ``Idempotent-Replayed: true``; two sends of one key at once are applied once (the second
waits for the first). Answers of 5xx are not kept: the write may be tried again.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KEEP: Final = 10_000
TTL_S: Final = 24 * 3600.0
_WRITES: Final = frozenset({b"POST", b"PUT", b"PATCH", b"DELETE", "POST", "PUT", "PATCH", "DELETE"})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._answers: OrderedDict[tuple[str, str, str], tuple[float, list[Message]]] = OrderedDict()
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        key = dict(scope["headers"]).get(b"idempotency-key")
        if not key or len(key) > 200:
            await self.app(scope, receive, send)
            return
        ident = (key.decode("latin-1"), scope["method"], scope["path"])
        lock = self._locks.setdefault(ident, asyncio.Lock())
        async with lock:
            kept = self._answers.get(ident)
            if kept is not None and time.monotonic() - kept[0] < TTL_S:
                start, *rest = kept[1]
                headers = [*start.get("headers", []), (b"idempotent-replayed", b"true")]
                await send({**start, "headers": headers})
                for message in rest:
                    await send(message)
                return
            messages: list[Message] = []

            async def keep(message: Message) -> None:
                messages.append(message)
                await send(message)

            await self.app(scope, receive, keep)
            if messages and messages[0]["type"] == "http.response.start" and messages[0]["status"] < 500:
                self._answers[ident] = (time.monotonic(), messages)
                while len(self._answers) > KEEP:
                    old, _ = self._answers.popitem(last=False)
                    self._locks.pop(old, None)
        if ident not in self._answers:
            self._locks.pop(ident, None)


__all__ = ["IdempotencyMiddleware"]
