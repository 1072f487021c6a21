"""The Sparkplug B payload codec and topic namespace (Eclipse Sparkplug 3.0.0, chapters 4 and 6)."""

from __future__ import annotations

import gzip
import math
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.ingest.floats import float32_value
from seamline.ingest.sparkplug import (
    DataType,
    MessageType,
    Metric,
    MetricValue,
    Payload,
    SparkplugPayloadError,
    SparkplugTopic,
    SparkplugTopicError,
    coerce_value,
    decode_payload,
    encode_payload,
    parse_topic,
    state_topic,
)
from seamline.ingest.sparkplug import sparkplug_b_pb2 as pb
from seamline.ingest.sparkplug.codec import COMPRESSED_UUID, MAX_INFLATED_BYTES

U64 = 2**64 - 1


def _ints(bits: int, signed: bool) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else st.integers(0, 2**bits - 1)


VALUES: dict[DataType, st.SearchStrategy[MetricValue]] = {
    DataType.INT8: _ints(8, True),
    DataType.INT16: _ints(16, True),
    DataType.INT32: _ints(32, True),
    DataType.INT64: _ints(64, True),
    DataType.UINT8: _ints(8, False),
    DataType.UINT16: _ints(16, False),
    DataType.UINT32: _ints(32, False),
    DataType.UINT64: _ints(64, False),
    # a Float is read as the shortest decimal of its float32 (36.6): values written that way survive
    DataType.FLOAT: st.floats(width=32, allow_nan=False).map(float32_value),
    DataType.DOUBLE: st.floats(allow_nan=False),
    DataType.BOOLEAN: st.booleans(),
    DataType.STRING: st.text(),
    DataType.DATETIME: st.integers(0, 2**63 - 1),
    DataType.TEXT: st.text(),
    DataType.UUID: st.uuids().map(str),
    DataType.BYTES: st.binary(),
    DataType.FILE: st.binary(),
    DataType.INT32_ARRAY: st.binary(max_size=64),  # arrays travel packed in bytes_value
}


@st.composite
def metrics(draw: st.DrawFn) -> Metric:
    datatype = draw(st.sampled_from(sorted(VALUES)))
    is_null = draw(st.booleans()) and draw(st.booleans())
    return Metric(
        name=draw(st.none() | st.text(min_size=1, max_size=40)),
        alias=draw(st.none() | st.integers(0, U64)),
        timestamp_ms=draw(st.none() | st.integers(0, U64)),
        datatype=datatype,
        value=None if is_null else draw(VALUES[datatype]),
        is_null=is_null,
        is_historical=draw(st.booleans()),
        is_transient=draw(st.booleans()),
    )


payloads = st.builds(
    Payload,
    timestamp_ms=st.none() | st.integers(0, U64),
    metrics=st.lists(metrics(), max_size=8).map(tuple),
    seq=st.none() | st.integers(0, 255),
    uuid=st.none() | st.text(max_size=20),
    body=st.none() | st.binary(max_size=20),
)


@given(payloads)
def test_every_datatype_survives_a_round_trip(payload: Payload) -> None:
    assert decode_payload(encode_payload(payload)) == payload


@given(st.sampled_from(sorted(VALUES)).flatmap(lambda dt: st.tuples(st.just(dt), VALUES[dt])))
def test_data_messages_leave_the_datatype_to_the_birth(case: tuple[DataType, MetricValue]) -> None:
    datatype, value = case
    raw = encode_payload(
        Payload(metrics=(Metric(alias=1, datatype=datatype, value=value),)), omit_datatypes=True
    )
    (metric,) = decode_payload(raw).metrics
    assert metric.datatype is None
    assert coerce_value(metric.value, datatype) == value


def _raw_metric(**fields: object) -> bytes:
    msg = pb.Payload()
    msg.metrics.add(**fields)
    return msg.SerializeToString()


@pytest.mark.parametrize(
    ("fields", "value"),
    [
        ({"datatype": 1, "int_value": 0xFFFFFFFF}, -1),  # Int8 -1 sign-extended to 32 bits (Eclipse Tahu)
        ({"datatype": 1, "int_value": 0xFF}, -1),  # Int8 -1 in 8 bits (other peers)
        ({"datatype": 2, "int_value": 0xFFFFFFA9}, -87),
        ({"datatype": 3, "int_value": 0x80000000}, -(2**31)),
        ({"datatype": 4, "long_value": U64}, -1),
        ({"datatype": 7, "long_value": 4_000_000_000}, 4_000_000_000),  # UInt32 in uint64 (Tahu, Ignition)
        ({"datatype": 7, "int_value": 4_000_000_000}, 4_000_000_000),  # UInt32 in uint32 (the spec)
        ({"datatype": 13, "long_value": 1_795_363_200_123}, 1_795_363_200_123),
    ],
)
def test_signed_and_unsigned_integers_as_peers_write_them(fields: dict[str, int], value: int) -> None:
    (metric,) = decode_payload(_raw_metric(**fields)).metrics
    assert metric.value == value


def test_signed_integers_are_written_as_tahu_writes_them() -> None:
    raw = encode_payload(Payload(metrics=(Metric(datatype=DataType.INT16, value=-87),)))
    msg = pb.Payload()
    msg.ParseFromString(raw)
    assert msg.metrics[0].WhichOneof("value") == "int_value"
    assert msg.metrics[0].int_value == 0xFFFFFFA9


def test_null_and_unknown_fields() -> None:
    (metric,) = decode_payload(_raw_metric(name="x", datatype=10, is_null=True)).metrics
    assert (metric.value, metric.is_null) == (None, True)
    # A DataSet value (field 17) is not in our schema: skipped, the rest of the metric is read.
    inner = pb.Payload.Metric(name="ds", datatype=16).SerializeToString()
    inner += bytes([0x8A, 0x01, 0x02, 0x08, 0x01])  # field 17, length-delimited, 2 bytes
    (metric,) = decode_payload(bytes([0x12, len(inner)]) + inner).metrics  # Payload.metrics is field 2
    assert (metric.name, metric.datatype, metric.value) == ("ds", DataType.DATASET, None)


@pytest.mark.parametrize(
    ("datatype", "value"),
    [
        (DataType.INT8, 128),
        (DataType.UINT16, -1),
        (DataType.UINT64, 2**64),
        (DataType.BOOLEAN, 1),
        (DataType.INT32, True),
        (DataType.FLOAT, 1e39),
        (DataType.STRING, b"bytes"),
        (DataType.DATASET, b""),
    ],
)
def test_a_value_its_datatype_cannot_hold_is_refused(datatype: DataType, value: object) -> None:
    metric = Metric(name="m", datatype=datatype, value=value)  # type: ignore[arg-type]  # on purpose
    with pytest.raises(SparkplugPayloadError, match="metric 'm'"):
        encode_payload(Payload(metrics=(metric,)))


def test_floats_travel_as_32_bits() -> None:
    (metric,) = decode_payload(
        encode_payload(Payload(metrics=(Metric(datatype=DataType.FLOAT, value=math.pi),)))
    ).metrics
    assert metric.value == 3.1415927  # what a float32 holds of pi, to its shortest decimal


def test_a_payload_that_is_not_protobuf_is_refused() -> None:
    with pytest.raises(SparkplugPayloadError, match="not a Sparkplug B protobuf payload") as info:
        decode_payload(b'{"device": "L01-S03"}', topic="spBv1.0/g/NDATA/e")
    assert info.value.topic == "spBv1.0/g/NDATA/e"


def test_topics() -> None:
    t = SparkplugTopic("gazipur-1", MessageType.DBIRTH, "gw-L01", "L01-S03")
    assert str(t) == "spBv1.0/gazipur-1/DBIRTH/gw-L01/L01-S03"
    assert parse_topic(str(t)) == t
    assert parse_topic("spBv1.0/g/NBIRTH/e") == SparkplugTopic("g", MessageType.NBIRTH, "e")
    assert state_topic("seamline-1") == "spBv1.0/STATE/seamline-1"
    for bad in (
        "spBv1.0/g/NDATA/e/d",  # node verbs name no device
        "spBv1.0/g/DDATA/e",  # device verbs do
        "spBv1.0/g/FOO/e",
        "spAv1.0/g/NDATA/e",
        "spBv1.0/STATE/host",
    ):
        with pytest.raises(SparkplugTopicError):
            parse_topic(bad)
    with pytest.raises(SparkplugTopicError, match="without '\\+', '/' or '#'"):
        state_topic("a/b")


@given(st.floats(width=32, allow_nan=False))
def test_a_float_is_read_as_the_shortest_decimal_of_the_same_float32(value: float) -> None:
    (metric,) = decode_payload(_raw_metric(datatype=9, float_value=value)).metrics
    assert isinstance(metric.value, float)
    assert np.float32(metric.value) == np.float32(value)
    assert len(repr(metric.value)) <= len(repr(value))


@pytest.mark.parametrize(
    ("typed", "read"),
    [(36.6, 36.6), (0.1, 0.1), (-12.3, -12.3), (1500.5, 1500.5), (1e-7, 1e-7), (16777217.0, 16777216.0)],
)
def test_float32_values_are_not_widened_with_their_binary_error(typed: float, read: float) -> None:
    widened = float(np.float32(typed))  # what the float32 field holds, e.g. 36.599998474121094
    assert widened != typed or typed in (1500.5, 16777216.0)
    (metric,) = decode_payload(_raw_metric(datatype=9, float_value=widened)).metrics
    assert metric.value == read
    assert decode_payload(_raw_metric(datatype=10, double_value=widened)).metrics[0].value == widened


def _compressed(inner: bytes, algorithm: str | None, compress: object) -> bytes:
    outer = pb.Payload(uuid=COMPRESSED_UUID, body=compress(inner))  # type: ignore[operator]
    if algorithm is not None:
        outer.metrics.add(name="algorithm", datatype=12, string_value=algorithm)
    return outer.SerializeToString()


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


@given(payloads)
@pytest.mark.parametrize(
    ("algorithm", "compress"),
    [
        (None, zlib.compress),  # Tahu's {compress: true}: DEFLATE (zlib format), no algorithm metric
        ("DEFLATE", zlib.compress),
        ("deflate", _raw_deflate),  # raw DEFLATE, algorithm in lower case
        ("GZIP", gzip.compress),
    ],
)
def test_a_compressed_payload_reads_as_the_payload_inside(
    algorithm: str | None, compress: object, payload: Payload
) -> None:
    assert decode_payload(_compressed(encode_payload(payload), algorithm, compress)) == payload


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (_compressed(b"x", "LZ4", zlib.compress), "names algorithm 'LZ4'"),
        (_compressed(b"\x0a\xff\xff", "GZIP", gzip.compress), "compressed payload's body"),
        (_compressed(b"abc", "GZIP", zlib.compress), "cannot be inflated as GZIP"),
        (_compressed(bytes(1000), None, lambda b: zlib.compress(b)[:-6]), "truncated"),
        (_compressed(bytes(MAX_INFLATED_BYTES + 1), None, zlib.compress), "more than"),
        (pb.Payload(uuid=COMPRESSED_UUID).SerializeToString(), "no body"),
    ],
)
def test_a_compressed_payload_that_cannot_be_read_is_an_error(raw: bytes, problem: str) -> None:
    with pytest.raises(SparkplugPayloadError, match=problem) as err:
        decode_payload(raw, topic="spBv1.0/g1/DDATA/e1/d1")
    assert err.value.topic == "spBv1.0/g1/DDATA/e1/d1"
