"""HTTP transport of ingest: the ``/api/v1/ingest`` endpoints, and a publisher that posts to them.

The endpoint reads the raw body and parses it with orjson itself (no Pydantic model on the hot
path), and answers only after the messages are durably committed. A body of binary messages
(``Content-Type: application/vnd.seamline.batch``, or any body starting with the binary magic byte)
holds one or more frames back to back and is split without copying.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

import httpx
import orjson
from fastapi import APIRouter, Request, Response

from seamline.ingest.binary import (
    CONTENT_TYPE,
    BinaryFrameError,
    encode_binary_message,
    is_binary,
    split_frames,
)
from seamline.ingest.decode import IngestError, RejectedMessage, encode_message, frame_rejection
from seamline.ingest.pipeline import Ingestor

router = APIRouter(tags=["ingest"])

_PARSE_INLINE_BYTES = 64 * 1024  # larger bodies are parsed off the event loop


def _json(content: object, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


@router.post("/api/v1/ingest")
async def ingest(request: Request) -> Response:
    """Store one message object, or a JSON array of messages, or binary messages (docs/telemetry.md).

    One message: 200 once committed, or the rejection as an error (422; 400 for a body that is not
    JSON). An array, or several binary messages: 200 with ``{"accepted", "duplicates", "rejected":
    [{"index", "reason", "message"}]}``; the valid messages are stored even when others are rejected.
    """
    ingestor: Ingestor = request.app.state.ingestor
    body = await request.body()
    if is_binary(body) or request.headers.get("content-type", "").startswith(CONTENT_TYPE):
        return await _ingest_binary(ingestor, body)
    try:
        doc = (
            orjson.loads(body)
            if len(body) <= _PARSE_INLINE_BYTES
            else await asyncio.to_thread(orjson.loads, body)
        )
    except orjson.JSONDecodeError as exc:
        err = RejectedMessage(
            "malformed_json",
            f"the request body is not JSON ({exc}); send one message object or an array of them,"
            " UTF-8 encoded, with Content-Type: application/json",
        )
        ingestor.record_rejection(err, transport="http")
        raise err from None
    if isinstance(doc, list):
        receipt = await ingestor.submit_and_wait(doc, transport="http")
        return _json(receipt.as_dict())
    receipt = await ingestor.submit_and_wait([doc], transport="http")
    if receipt.rejected:
        raise receipt.rejected[0].error
    return _json(receipt.as_dict())


async def _ingest_binary(ingestor: Ingestor, body: bytes) -> Response:
    try:
        frames = split_frames(body)
    except BinaryFrameError as exc:
        err = frame_rejection(exc)
        ingestor.record_rejection(err, transport="http")
        raise err from None
    if not frames:
        err = RejectedMessage(
            "invalid_message", f"the request body is empty; send one or more binary messages ({CONTENT_TYPE})"
        )
        ingestor.record_rejection(err, transport="http")
        raise err
    receipt = await ingestor.submit_and_wait(frames, transport="http")
    if len(frames) == 1 and receipt.rejected:
        raise receipt.rejected[0].error
    return _json(receipt.as_dict())


@router.get("/api/v1/ingest/stats")
async def ingest_stats(request: Request) -> Response:
    """Ingest counters: accepted, duplicates, rejected by reason, queue depth, commit latency, rate."""
    ingestor: Ingestor = request.app.state.ingestor
    return _json(ingestor.stats())


class HttpPublishError(IngestError):
    """The Seamline server did not take a batch of messages."""

    status_code = 502

    def __init__(self, url: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message, reason="http_publish")
        self.url = url
        self.status = status

    def details(self) -> dict[str, object]:
        return {"url": self.url, "status": self.status}


class HttpPublisher:
    """Posts arrays of messages to a Seamline server, the HTTP way for a device gateway.

    ``url`` is the server's base address, e.g. ``http://127.0.0.1:8000``. ``format="binary"``
    sends binary frames back to back (channels must then be indices, as the simulator sends them).
    ``token`` is an API token allowed to ingest (role ``ingest`` or ``admin``), sent as
    ``Authorization: Bearer``.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 30.0,
        client: httpx.Client | None = None,
        format: Literal["json", "binary"] = "json",
        token: str | None = None,
    ) -> None:
        self.url = url.rstrip("/") + "/api/v1/ingest"
        self.format = format
        self._headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        self._client = client or httpx.Client(timeout=timeout_s)
        self._owns_client = client is None

    def publish(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Post the messages as one body; return the server's receipt (accepted, duplicates, rejected)."""
        if self.format == "binary":
            return self.publish_body(b"".join(map(encode_binary_message, messages)), CONTENT_TYPE)
        return self.publish_body(encode_message(messages), "application/json")

    def publish_body(self, body: bytes | bytearray, content_type: str) -> dict[str, Any]:
        """Post an already encoded body (a JSON array, or binary frames back to back)."""
        try:
            resp = self._client.post(
                self.url, content=bytes(body), headers={**self._headers, "Content-Type": content_type}
            )
        except httpx.HTTPError as exc:
            raise HttpPublishError(
                self.url, f"cannot reach {self.url}: {exc}; is `seamline serve` running?"
            ) from exc
        if resp.status_code != 200:
            hint = ""
            if resp.status_code in (401, 403):
                hint = (
                    "; send an API token with the ingest (or admin) role: --token or SEAMLINE_TOKEN"
                    " (`seamline token create --name gateway --role ingest`)"
                )
            raise HttpPublishError(
                self.url,
                f"{self.url} answered {resp.status_code}: {resp.text[:500]}{hint}",
                status=resp.status_code,
            )
        result: dict[str, Any] = orjson.loads(resp.content)
        return result

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
