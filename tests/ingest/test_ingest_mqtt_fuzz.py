"""The MQTT packet parser of ingest under hostile input: Hypothesis properties and a malformed corpus.

Whatever a broker (or something pretending to be one) sends, the subscriber either hands on
well-formed PUBLISHes or ends the connection with a :class:`WireError`; nothing else escapes
(no crash of the reading thread, no Rust panic from the codec), and nothing leaks. Each
property prints how many cases it ran, for the record.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest_mqtt_wire import STREAM_MESSAGES, publish_packet, user_property

from seamline.ingest.mqtt_wire import PacketTooLargeError, SubscriberConnection, WireError, decode_packet

# mqtt5 0.8.0 panics on strings that are not UTF-8, after which the UnicodeDecodeError behind the
# panic is reported as unraisable ("Exception ignored in: None"); decode_packet turns the panic
# into a WireError, and that report is all that remains of it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. None:pytest.PytestUnraisableExceptionWarning"  # ". ": a colon
)
# Those panics are expected by the thousand here: with RUST_BACKTRACE=1 in the environment each one
# also captures and prints a backtrace, which doubles these tests' time and proves nothing more.
# Rust reads the variable at the first panic of the process (this module is imported before that).
os.environ["RUST_BACKTRACE"] = "0"

MAX_PACKET = 64 * 1024
Got = list[tuple[str, bytes, int]]


def feed(data: bytes, *, buffer_bytes: int = 4096) -> tuple[Got, BaseException]:
    """Run a subscriber connection over ``data`` (then the end of the stream): what it handed on,
    and how it ended. The end is always an exception; which one is the point."""
    ours, broker = socket.socketpair()
    got: Got = []
    try:
        broker.sendall(data)
        broker.shutdown(socket.SHUT_WR)
        conn = SubscriberConnection(
            ours, keepalive_s=0, buffer_bytes=buffer_bytes, max_packet_bytes=MAX_PACKET
        )
        try:
            conn.run(lambda topics, payloads, ids: got.extend(zip(topics, payloads, ids, strict=True)))
        except BaseException as exc:  # the test sorts what comes out
            ended = exc
        conn.close()
    finally:
        broker.close()
        ours.close()
    return got, ended


def assert_handled(got: Got, ended: BaseException) -> None:
    assert isinstance(ended, WireError), f"{type(ended).__name__}: {ended}"
    for topic, payload, packet_id in got:
        assert isinstance(topic, str)
        assert isinstance(payload, bytes)
        assert 0 <= packet_id <= 65535


def report(
    capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None], name: str, cases: int
) -> None:
    record_property(f"{name}_cases", cases)
    with capsys.disabled():
        print(f"\n[mqtt fuzz] {name}: {cases} cases")


# -- a corpus of malformed packets ----------------------------------------------------------------

ok = publish_packet("f/a", b"payload", 1)
CORPUS: dict[str, bytes] = {
    "truncated fixed header": b"\x30",
    "truncated remaining length": b"\x30\x80",
    "remaining length of five bytes": b"\x30\xff\xff\xff\xff\x01",
    "remaining length past the maximum packet size": b"\x30\xff\xff\xff\x7f" + b"\x00" * 64,
    "huge declared length, little data": b"\x32" + b"\x80\x80\x80\x01" + b"\x00\x01a",
    "topic length past the packet": b"\x32\x05\x00\x09abc",
    "topic length past everything": b"\x30\x04\xff\xff\x00\x00",
    "zero-length topic without an alias": b"\x30\x03\x00\x00\x00",
    "QoS 1 without room for a packet id": b"\x32\x04\x00\x01a\x00",
    "QoS 1 with packet id 0": b"\x32\x07\x00\x01a\x00\x00\x00x",
    "QoS 3": b"\x36\x07\x00\x01a\x00\x01\x00x",
    "properties length past the packet": b"\x30\x06\x00\x01a\x7f\x01\x00",
    "bad property id": b"\x30\x06\x00\x01a\x02\x99\x00",
    "property cut short": b"\x30\x06\x00\x01a\x02\x02\x00",
    "property varint of five bytes": b"\x30\x0a\x00\x01a\x06\x0b\xff\xff\xff\xff\x01",
    "string property past its properties": b"\x30\x08\x00\x01a\x04\x03\x00\x09ab",
    "user property pair cut short": b"\x30\x09\x00\x01a\x05\x26\x00\x01k\x00",
    "topic alias (none allowed)": b"\x30\x08\x00\x01a\x03\x23\x00\x01x",
    "invalid UTF-8 topic": b"\x30\x06\x00\x02\xc3\x28\x00x",
    "reserved packet type 0": b"\x00\x00",
    "SUBACK with a bad reason code": b"\x90\x04\x00\x01\x00\x05",
    "SUBACK cut short": b"\x90\x01\x00",
    "CONNACK where none is due, malformed": b"\x20\x01\x00",
    "DISCONNECT with a bad reason code": b"\xe0\x01\x07",
    "PINGRESP with a body": b"\xd0\x01\x00",
    "a good PUBLISH, then garbage": ok + b"\x3f\xff\xff\xff\xff\xff",
    "a good PUBLISH cut in its payload": ok[:-3],
}


@pytest.mark.parametrize("data", CORPUS.values(), ids=CORPUS.keys())
def test_a_malformed_packet_ends_the_connection_and_nothing_else(data: bytes) -> None:
    got, ended = feed(data)
    assert_handled(got, ended)
    if data.startswith(ok):
        assert got == [("f/a", b"payload", 1)]  # what came before it is still handed on


def test_a_declared_length_over_the_maximum_is_refused_before_reading_it() -> None:
    got, ended = feed(b"\x30\xff\xff\xff\x7f" + b"\x00" * 64)
    assert isinstance(ended, PacketTooLargeError)
    assert (ended.size, ended.limit) == (268_435_460, MAX_PACKET)
    assert got == []


# -- properties -----------------------------------------------------------------------------------


def test_arbitrary_bytes_never_escape_as_anything_but_a_wire_error(
    capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    cases = 0

    @settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
    @given(st.binary(max_size=400), st.sampled_from([16, 64, 4096]))
    def prop(data: bytes, buffer_bytes: int) -> None:
        nonlocal cases
        cases += 1
        assert_handled(*feed(data, buffer_bytes=buffer_bytes))

    prop()
    report(capsys, record_property, "arbitrary bytes", cases)
    assert cases >= 1000


publishes = st.tuples(
    st.text(min_size=1, max_size=30).filter(lambda t: "\x00" not in t),
    st.binary(max_size=3000),
    st.integers(0, 65535),
    st.sampled_from([b"", b"\x02\x00\x00\x0e\x10", user_property("k", "v" * 200), b"\x03\x00\x04text"]),
)


def test_well_formed_publishes_cut_anywhere_arrive_whole_and_in_order(
    capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    cases = 0

    @settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(publishes, min_size=1, max_size=12), st.integers(16, 5000))
    def prop(messages: list[tuple[str, bytes, int, bytes]], buffer_bytes: int) -> None:
        nonlocal cases
        cases += 1
        got, ended = feed(b"".join(publish_packet(*m) for m in messages), buffer_bytes=buffer_bytes)
        assert isinstance(ended, WireError)
        assert "closed the connection" in str(ended)  # the end of the stream, not a parse error
        assert got == [(topic, payload, packet_id) for topic, payload, packet_id, _ in messages]

    prop()
    report(capsys, record_property, "well-formed streams", cases)
    assert cases >= 300


def test_damaged_streams_hand_on_only_whole_publishes_or_end_with_a_wire_error(
    capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    stream = b"".join(publish_packet(*m) for m in STREAM_MESSAGES)
    cases = 0

    @settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(st.tuples(st.integers(0, len(stream) - 1), st.integers(0, 255)), max_size=6),
        st.integers(0, len(stream)),
    )
    def prop(flips: list[tuple[int, int]], cut: int) -> None:
        nonlocal cases
        cases += 1
        damaged = bytearray(stream)
        for at, value in flips:
            damaged[at] = value
        got, ended = feed(bytes(damaged[:cut]))
        assert_handled(got, ended)

    prop()
    report(capsys, record_property, "damaged streams", cases)
    assert cases >= 1000


# -- no leaks -------------------------------------------------------------------------------------


def rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def test_the_corpus_over_and_over_leaks_no_memory(
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    packets = [data for data in CORPUS.values() if len(data) >= 2] + [ok, b"\x90\x04\x00\x01\x00\x01"]
    # pytest keeps every unraisable report (one per codec panic) until the test ends: counted
    # here instead, so the RSS shows the codec's memory, not pytest's
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(type(u.exc_value).__name__))

    def decode_all(rounds: int) -> None:
        for _ in range(rounds):
            for data in packets:
                with contextlib.suppress(WireError):
                    decode_packet(memoryview(data))

    # The codec allocates in Rust, out of tracemalloc's sight: its leaks would show in the RSS.
    decode_all(2_000)
    gc.collect()
    before = rss_bytes()
    decode_all(20_000)
    gc.collect()
    grown = rss_bytes() - before
    decoded = 20_000 * len(packets)
    assert grown < 2 << 20, f"RSS grew {grown:,} bytes over {decoded:,} decodes"
    assert set(unraisable) <= {"UnicodeDecodeError"}

    # The connection's own buffers and objects, in Python's sight.
    for data in CORPUS.values():
        feed(data)
    tracemalloc.start()
    try:
        gc.collect()
        start, _ = tracemalloc.get_traced_memory()
        for _ in range(30):
            for data in CORPUS.values():
                feed(data)
        gc.collect()
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 64 * 1024, f"{end - start:,} bytes still allocated after 30 rounds of the corpus"
    assert peak - start < 1 << 20  # no declared length was ever allocated
    report(capsys, record_property, "leak check decodes", decoded + 30 * len(CORPUS))
