"""The publisher process of ``seamline bench ingest``: a device fleet at full speed.

It encodes the whole workload first (untimed), says so, waits for ``go`` on stdin, then sends as
fast as the other side accepts: over MQTT (QoS 1, one message per PUBLISH, each on its device's
topic) with a minimal client whose packets are built before the clock starts (``_rawmqtt.py``;
``--mqtt-client paho`` uses :class:`MqttPublisher` instead), or over HTTP with
:class:`HttpPublisher` (several messages per request, a few requests in flight). ``--rate`` paces
it to so many readings per second instead.
Each message's ``sent_ts`` is stamped just before it is sent::

    -> stdout {"event": "encoded", "messages": N, "readings": R, ...}
    <- stdin  go
    -> stdout {"event": "done", "first_send_ms": ..., "last_ack_ms": ..., ...}

Run by the benchmark as ``python -m seamline.bench.ingest_publisher``.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from typing import Any

import orjson

from seamline.bench._payloads import FORMATS, Body, Format, Payloads, WorkloadSpec, encode_workload, stamp
from seamline.bench._rawmqtt import RawMqttPublisher, publish_packet
from seamline.ingest.http import HttpPublisher
from seamline.ingest.mqtt import MqttPublisher, parse_mqtt_url, telemetry_topic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the publisher process of `seamline bench ingest`")
    parser.add_argument("--transport", choices=("mqtt", "http"), required=True)
    parser.add_argument("--url", required=True, help="mqtt://host:port or http://host:port")
    parser.add_argument("--site", required=True, help="site id (MQTT topics)")
    parser.add_argument("--format", choices=FORMATS, default="binary")
    parser.add_argument("--spec", required=True, help="WorkloadSpec as JSON")
    parser.add_argument("--messages-per-request", type=int, default=100, help="(http)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (http)")
    parser.add_argument("--rate", type=float, default=0.0, help="readings/s to pace to (0: flat out)")
    parser.add_argument("--mqtt-client", choices=("raw", "paho"), default="raw")
    args = parser.parse_args(argv)

    per_body = args.messages_per_request if args.transport == "http" else 1
    payloads = encode_workload(WorkloadSpec.from_json(args.spec), args.format, messages_per_body=per_body)
    raw_mqtt = args.transport == "mqtt" and args.mqtt_client == "raw"
    if raw_mqtt:
        _as_publish_packets(payloads, args.site)
    _emit(
        {
            "event": "encoded",
            "messages": payloads.messages,
            "readings": payloads.readings,
            "bodies": len(payloads.bodies),
            "payload_bytes": payloads.payload_bytes,
            "value_sum": payloads.value_sum,
            "encode_s": payloads.encode_s,
        }
    )
    if sys.stdin.readline().strip() != "go":
        return 1
    cpu0 = _cpu_s()
    pacer = _Pacer(args.rate)
    if raw_mqtt:
        result = _publish_raw_mqtt(args.url, payloads, pacer)
    elif args.transport == "mqtt":
        result = _publish_mqtt(args.url, args.site, payloads, pacer)
    else:
        result = _publish_http(args.url, payloads, args.concurrency, pacer)
    _emit({"event": "done", "cpu_s": _cpu_s() - cpu0} | result)
    return 0


class _Pacer:
    """Holds senders back to ``rate`` readings per second from the first send (0: no pacing)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._start = 0.0
        self._readings = 0

    def wait(self, readings: int) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            if not self._start:
                self._start = time.monotonic()
            due = self._start + self._readings / self.rate
            self._readings += readings
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def _as_publish_packets(payloads: Payloads, site: str) -> None:
    """Wrap each body in its PUBLISH packet, ids 1..65535 in turn (never 10,000 apart in flight)."""
    for i, body in enumerate(payloads.bodies):
        topic = telemetry_topic(site, body.device_id)
        body.data, at = publish_packet(topic, i % 65535 + 1, body.data)
        body.stamp_at = [at + offset for offset in body.stamp_at]


def _publish_raw_mqtt(url: str, payloads: Payloads, pacer: _Pacer) -> dict[str, Any]:
    fmt: Format = payloads.format
    broker = parse_mqtt_url(url)
    pub = RawMqttPublisher(broker.host, broker.port, f"seamline-bench-pub-{uuid.uuid4().hex[:8]}")
    pub.connect()
    try:
        first = _now_ms()
        for body in payloads.bodies:
            pacer.wait(body.readings)
            stamp(body, fmt, _now_ms())
            pub.send(body.data)
        last_send = _now_ms()
        acked = pub.wait_acked(timeout_s=600.0)
        last_ack = _now_ms()
    finally:
        pub.close()
    return {
        "first_send_ms": first,
        "last_send_ms": last_send,
        "last_ack_ms": last_ack,
        "sent_messages": payloads.messages,
        "errors": [] if acked else ["the broker did not acknowledge every message within 600 s"],
    }


def _publish_mqtt(url: str, site: str, payloads: Payloads, pacer: _Pacer) -> dict[str, Any]:
    fmt: Format = payloads.format
    with MqttPublisher(url, site, client_id=f"seamline-bench-pub-{uuid.uuid4().hex[:8]}") as pub:
        first = _now_ms()
        for body in payloads.bodies:
            pacer.wait(body.readings)
            stamp(body, fmt, _now_ms())
            pub.publish_payload(body.device_id, body.data)
        last_send = _now_ms()
        acked = pub.wait_published(timeout_s=600.0)
        last_ack = _now_ms()
    return {
        "first_send_ms": first,
        "last_send_ms": last_send,
        "last_ack_ms": last_ack,
        "sent_messages": payloads.messages,
        "errors": [] if acked else ["the broker did not acknowledge every message within 600 s"],
    }


def _publish_http(url: str, payloads: Payloads, concurrency: int, pacer: _Pacer) -> dict[str, Any]:
    fmt: Format = payloads.format
    bodies = iter(payloads.bodies)
    lock = threading.Lock()
    errors: list[str] = []
    accepted = [0]

    def worker() -> None:
        with HttpPublisher(url, timeout_s=600.0) as pub:
            while True:
                with lock:
                    body: Body | None = next(bodies, None)
                if body is None or errors:
                    return
                pacer.wait(body.readings)
                stamp(body, fmt, _now_ms())
                try:
                    receipt = pub.publish_body(body.data, payloads.content_type)
                except Exception as exc:  # report it; the benchmark shows what failed
                    with lock:
                        errors.append(str(exc)[:500])
                    return
                got = int(receipt.get("accepted", 0)) + int(receipt.get("duplicates", 0))
                with lock:
                    accepted[0] += got
                    if got != body.messages:
                        errors.append(f"a request of {body.messages} messages got the receipt {receipt}")

    first = _now_ms()
    threads = [threading.Thread(target=worker, name=f"bench-http-{i}") for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    last = _now_ms()
    return {
        "first_send_ms": first,
        "last_send_ms": last,
        "last_ack_ms": last,
        "sent_messages": payloads.messages,
        "acknowledged_messages": accepted[0],
        "errors": errors[:5],
    }


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(obj).decode() + "\n")
    sys.stdout.flush()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


if __name__ == "__main__":
    sys.exit(main())
