"""Live clients for ``seamline bench web``: N server-sent-event streams read to the last byte, in a
process of their own so that their CPU is not the server's.

``python -m seamline.bench._sse_clients URL TOPIC[,TOPIC...] N [--token T]`` opens N streams of
``/ui/live/<topic>`` (topics taken in turn), prints ``ready`` once every stream has had its first
snapshot, and reads until its standard input closes; it then prints one JSON line: streams,
snapshots and bytes received, and the streams that failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import httpx
import orjson

from seamline.bench.web_auth import auth_headers


async def _stream(
    client: httpx.AsyncClient, path: str, counts: dict[str, Any], ready: asyncio.Event, n: int
) -> None:
    first = True
    async with client.stream("GET", path) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            counts["bytes"] += len(chunk)
            events = chunk.count(b"event: snapshot")
            counts["snapshots"] += events
            if first and events:
                first = False
                counts["ready"] += 1
                if counts["ready"] == n:
                    ready.set()


async def _main(url: str, topics: list[str], n: int, token: str | None) -> dict[str, Any]:
    counts: dict[str, Any] = {"streams": n, "ready": 0, "snapshots": 0, "bytes": 0, "failed": []}
    ready = asyncio.Event()
    limits = httpx.Limits(max_connections=n + 4, max_keepalive_connections=0)
    timeout = httpx.Timeout(30.0, read=None)
    async with httpx.AsyncClient(
        base_url=url, headers=auth_headers(token), limits=limits, timeout=timeout
    ) as client:
        tasks = [
            asyncio.create_task(_stream(client, f"/ui/live/{topics[i % len(topics)]}", counts, ready, n))
            for i in range(n)
        ]

        async def announce() -> None:
            await ready.wait()
            print("ready", flush=True)

        herald = asyncio.create_task(announce())
        await asyncio.to_thread(sys.stdin.read)  # until the benchmark closes our standard input
        herald.cancel()
        for task in tasks:
            if task.done() and task.exception() is not None:
                counts["failed"].append(repr(task.exception()))
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("topics", help="comma-separated live topics, e.g. floor,line:L01")
    parser.add_argument("n", type=int)
    parser.add_argument("--token", default=None)
    args = parser.parse_args(argv)
    result = asyncio.run(_main(args.url, args.topics.split(","), args.n, args.token))
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
