"""Why ingest refuses a message: the errors, their reasons (docs/telemetry.md) and the limits on
timestamps that every transport and connector applies alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np

from seamline.errors import SeamlineError
from seamline.ingest.binary import BinaryFrameError

REJECTION_REASONS: Final = (
    "malformed_json",
    "invalid_message",
    "unknown_device",
    "unknown_channel",
    "topic_mismatch",
    "far_future_timestamp",
    "implausible_timestamp",
)
FUTURE_TOLERANCE_MS: Final = 5 * 60 * 1000  # a device clock may run this far ahead of ours
EARLIEST_TS_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00Z; anything older is a clock never set


class IngestError(SeamlineError):
    """Ingest cannot take a message or a request (the root of ingest's errors)."""

    reason = "ingest"


class RejectedMessage(IngestError):  # noqa: N818  # the name is the contract (docs, web handler)
    """A message that ingest refuses as a whole; ``reason`` is one of :data:`REJECTION_REASONS`."""

    status_code = 422

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        device_id: str | None = None,
        field: str | None = None,
        seq: int | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.device_id = device_id
        self.field = field
        self.seq = seq
        if reason == "malformed_json":
            self.status_code = 400

    def details(self) -> dict[str, object]:
        return {"device_id": self.device_id, "field": self.field, "seq": self.seq}


def frame_rejection(exc: BinaryFrameError, topic_device: str | None = None) -> RejectedMessage:
    """A malformed binary frame as the rejection ingest reports (``invalid_message``)."""
    device = exc.device_id or topic_device
    where = f"device {device!r}" if device else "message"
    if exc.seq is not None:
        where += f" seq {exc.seq}"
    return RejectedMessage(
        "invalid_message",
        f"{where}, field {exc.field!r}: {exc.problem}; the binary format is in docs/telemetry.md",
        device_id=device,
        field=exc.field,
        seq=exc.seq,
    )


def json_type(x: object) -> str:
    """How a value reads in an error message, in JSON's words."""
    if x is None or isinstance(x, bool):
        return {None: "null", True: "true", False: "false"}[x]
    if isinstance(x, str):
        return f"the string {x[:40]!r}"
    if isinstance(x, int | float | np.number):
        return f"the number {x}"
    names = ((list, "an array"), (tuple, "an array"), (Mapping, "an object"))
    return next((name for kind, name in names if isinstance(x, kind)), type(x).__name__)
