"""Which devices ingest still hears from: when each device's newest message arrived (server clock)
and how long it may stay silent before the platform counts it as having no signal.

Silence is measured on the server's clock, from the arrival of a device's messages, not from the
device timestamps in them: a device that back-fills after an outage, or a demo replaying the past,
is heard from although its readings are old, and a device clock that runs late does not make a
live device look silent.

Only devices that send on a schedule can fall silent: one speaking the Seamline format (MQTT, HTTP,
in process) sends at least every snapshot period of its state channels, a ``heartbeat`` event when
it has nothing else to say (docs/telemetry.md). Sparkplug B and OPC UA report by exception, so an
idle machine behind them says nothing for as long as nothing changes: for those, silence is no
sign, and a Sparkplug device's death certificate says when it is gone. A device not heard from since
ingest started (a restart) counts from the start.

Beside silence it keeps what the devices page shows of each device's connection: the transport its
newest message came over (with the payload's format for MQTT and HTTP: ``mqtt_json``,
``mqtt_binary``, ...), how many messages it sent since ingest started, and its recent message rate
(messages in the current and the previous :data:`RATE_BUCKET_MS` on the server clock): a few
additions per accepted message, under the lock already taken.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from seamline.model.factory import ChannelKind, Device, Factory
from seamline.telemetry import DeviceBatch
from seamline.timeutil import now_ms

TIMEOUT_PERIODS: Final = 3
"""A device's default timeout, in snapshot periods of its slowest state channel."""
MIN_TIMEOUT_S: Final = 10.0
"""The shortest default timeout: below it, a commit interval or a network hiccup would look like silence."""
BY_EXCEPTION: Final = frozenset({"sparkplug", "opcua"})
"""Transports whose devices send only what changed: their silence is no sign of death."""
RATE_BUCKET_MS: Final = 10_000
"""A device's message rate counts the messages of the current and the previous 10 seconds."""


def device_timeout_s(device: Device, timeout_s: float | None = None) -> float:
    """How long ``device`` may stay silent: ``timeout_s`` when given, else :data:`TIMEOUT_PERIODS`
    snapshot periods of its slowest state channel (states are sent on change and in snapshots), or
    of its slowest channel when it has no state channel; at least :data:`MIN_TIMEOUT_S`.

    >>> from seamline.model.loader import load_factory
    >>> device_timeout_s(load_factory().devices_by_id["L01-S03"])  # states every 5 s
    15.0
    """
    if timeout_s is not None:
        return timeout_s
    channels = device.machine_type.channels
    periods = [c.period_s for c in channels if c.kind is ChannelKind.STATE] or [c.period_s for c in channels]
    return max(TIMEOUT_PERIODS * max(periods, default=0.0), MIN_TIMEOUT_S)


@dataclass(frozen=True, slots=True)
class Heard:
    """The newest message of a device: when it arrived (server clock) and its ``sent_ts`` (device
    clock), and whether its transport sends on a schedule."""

    received_ms: int
    sent_ms: int
    scheduled: bool
    transport: str = ""  # how the newest message came: "mqtt_json", "http_binary", "sparkplug", "sim", ...


class Liveness:
    """When ingest last heard from each device, and which devices are silent now.

    The :class:`~seamline.ingest.pipeline.Ingestor` calls :meth:`heard` with every message it
    accepts (duplicates included: a device resending is alive). ``timeout_s`` overrides every
    device's default timeout (:func:`device_timeout_s`); ``clock_ms`` is the server clock.

    >>> from seamline.model.loader import load_factory
    >>> live = Liveness(load_factory(), clock_ms=lambda: 1_795_363_200_000)
    >>> live.silent("L01-S03", 1_795_363_200_000 + 15_000), live.silent("L01-S03", 1_795_363_200_000 + 15_001)
    (False, True)
    """

    def __init__(
        self, factory: Factory, *, timeout_s: float | None = None, clock_ms: Callable[[], int] | None = None
    ) -> None:
        self._clock_ms = clock_ms or now_ms
        self.started_ms = self._clock_ms()
        self._listening_ms = self.started_ms  # silence before this does not count
        self._timeout_ms = {d.id: round(device_timeout_s(d, timeout_s) * 1000) for d in factory.devices}
        self._heard: dict[str, Heard] = {}
        self._messages: dict[str, int] = {}  # device -> messages since ingest started
        self._window: dict[str, list[int]] = {}  # device -> [bucket, messages in it, in the one before]
        self._lock = threading.Lock()  # producers call heard() from several threads

    def now_ms(self) -> int:
        """The server clock silence is measured on."""
        return self._clock_ms()

    def paused(self) -> None:
        """The devices are held back until now (a demo replay waiting for the store to catch up):
        their silence so far does not count."""
        self._listening_ms = max(self._listening_ms, self._clock_ms())

    def heard(self, batches: Iterable[DeviceBatch], transport: str) -> None:
        """These messages arrived (each at its ``received_ts_ms``) over ``transport`` (a transport
        of :data:`BY_EXCEPTION`, or any other; ``mqtt_binary`` and the like name the format too)."""
        scheduled = transport.split("_", 1)[0] not in BY_EXCEPTION
        messages, window = self._messages, self._window
        with self._lock:
            for b in batches:
                device = b.device_id
                was = self._heard.get(device)
                if was is None or b.received_ts_ms >= was.received_ms:
                    sent = b.sent_ts_ms if was is None else max(b.sent_ts_ms, was.sent_ms)
                    self._heard[device] = Heard(b.received_ts_ms, sent, scheduled, transport)
                messages[device] = messages.get(device, 0) + 1
                bucket = b.received_ts_ms // RATE_BUCKET_MS
                w = window.get(device)
                if w is None:
                    window[device] = [bucket, 1, 0]
                elif bucket <= w[0]:
                    w[1] += 1  # this bucket (or a message that overtook another on the way)
                else:
                    w[2] = w[1] if bucket == w[0] + 1 else 0
                    w[0], w[1] = bucket, 1

    def last_heard(self, device_id: str) -> Heard | None:
        """The newest message of ``device_id`` since ingest started; None if none came."""
        return self._heard.get(device_id)

    def messages(self, device_id: str) -> int:
        """Messages accepted from ``device_id`` since ingest started (duplicates included)."""
        return self._messages.get(device_id, 0)

    def rate_per_s(self, device_id: str, now_ms: int) -> float:
        """``device_id``'s recent message rate at ``now_ms`` (server clock): its messages in the
        current bucket of :data:`RATE_BUCKET_MS` and the one before, over their length so far.

        >>> from seamline.model.loader import load_factory
        >>> live = Liveness(load_factory(), clock_ms=lambda: 0)
        >>> live._window["L01-S03"] = [100, 5, 20]  # 20 messages in [990 s, 1000 s), 5 since
        >>> live.rate_per_s("L01-S03", 1_002_500)  # 25 messages in 12.5 s
        2.0
        """
        w = self._window.get(device_id)
        bucket, into = divmod(now_ms, RATE_BUCKET_MS)
        if w is None or w[0] < bucket - 1:
            return 0.0
        n = w[1] + w[2] if w[0] == bucket else w[1]
        return n * 1000.0 / (RATE_BUCKET_MS + into)

    def timeout_ms(self, device_id: str) -> int:
        return self._timeout_ms[device_id]

    def silent(self, device_id: str, now_ms: int) -> bool:
        """No message of ``device_id`` arrived for longer than its timeout before ``now_ms``
        (counting from the start of ingest when none came since, or from the end of a pause); never
        for a device that was last heard over a transport that reports by exception."""
        heard = self._heard.get(device_id)
        if heard is not None and not heard.scheduled:
            return False
        since = max(heard.received_ms if heard is not None else self.started_ms, self._listening_ms)
        return now_ms - since > self._timeout_ms[device_id]
