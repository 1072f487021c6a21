"""The Sparkplug B payload (Eclipse Sparkplug 3.0.0, chapter 6) as frozen dataclasses, and its codec.

The protobuf runtime does the wire work (``sparkplug_b.proto`` beside this module, compiled into
``sparkplug_b_pb2``); this module converts once at that boundary, so the rest of the package sees
:class:`Payload` and :class:`Metric` only.

Integer values travel in the unsigned protobuf fields ``int_value`` (uint32) and ``long_value``
(uint64) (chapter 6, "DataType"). Signed types are written as two's complement sign-extended to the field's
width, as Eclipse Tahu does; on reading, the value is masked to the datatype's width and sign-extended
again, which also accepts peers that write Int8 -1 as 255 rather than 4294967295. UInt32 is accepted
from either field (the specification names uint32, Tahu and Ignition use uint64). A Float travels
as a 32-bit float and is read as the shortest decimal that is the same float32 (36.6, not
36.599998474121094: :func:`~seamline.ingest.floats.float32_value`).

Compressed payloads (the "compressed payload" of Sparkplug B, as Eclipse Tahu writes it with
``{compress: true}``): the outer payload has ``uuid`` ``SPBV1.0_COMPRESSED``, the whole encoded
payload, compressed, in ``body``, and optionally a String metric ``algorithm``, ``DEFLATE`` (the
default: zlib format, or raw DEFLATE) or ``GZIP``. :func:`decode_payload` returns the inner payload,
so its ``seq`` and metrics count like any other.

>>> p = Payload(timestamp_ms=1795363200000, seq=3,
...             metrics=(Metric(name="motor_speed_spm", alias=7, datatype=DataType.INT16, value=-5),))
>>> decode_payload(encode_payload(p)) == p
True
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from google.protobuf.message import DecodeError

from seamline.errors import SeamlineError
from seamline.ingest.floats import float32_value
from seamline.ingest.sparkplug import sparkplug_b_pb2 as pb

MetricValue = int | float | bool | str | bytes | None


class DataType(IntEnum):
    """Sparkplug B metric datatypes (chapter 6, "DataType"); the value is what travels in ``datatype``."""

    UNKNOWN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13  # ms since the Unix epoch, UTC
    TEXT = 14
    UUID = 15
    DATASET = 16
    BYTES = 17
    FILE = 18
    TEMPLATE = 19
    PROPERTY_SET = 20
    PROPERTY_SET_LIST = 21
    INT8_ARRAY = 22
    INT16_ARRAY = 23
    INT32_ARRAY = 24
    INT64_ARRAY = 25
    UINT8_ARRAY = 26
    UINT16_ARRAY = 27
    UINT32_ARRAY = 28
    UINT64_ARRAY = 29
    FLOAT_ARRAY = 30
    DOUBLE_ARRAY = 31
    BOOLEAN_ARRAY = 32
    STRING_ARRAY = 33
    DATETIME_ARRAY = 34

    @property
    def is_integer(self) -> bool:
        return self in _INT_BITS

    @property
    def is_numeric(self) -> bool:
        """Integer, floating-point, Boolean or DateTime: a value that can become a reading."""
        return self in _INT_BITS or self in (DataType.FLOAT, DataType.DOUBLE, DataType.BOOLEAN)


# datatype -> (bits, signed)
_INT_BITS: Final[dict[DataType, tuple[int, bool]]] = {
    DataType.INT8: (8, True),
    DataType.INT16: (16, True),
    DataType.INT32: (32, True),
    DataType.INT64: (64, True),
    DataType.UINT8: (8, False),
    DataType.UINT16: (16, False),
    DataType.UINT32: (32, False),
    DataType.UINT64: (64, False),
    DataType.DATETIME: (64, False),
}
_LONG_TYPES: Final = frozenset({DataType.INT64, DataType.UINT64, DataType.DATETIME})
_STRING_TYPES: Final = frozenset({DataType.STRING, DataType.TEXT, DataType.UUID})
_BYTES_TYPES: Final = frozenset({DataType.BYTES, DataType.FILE, *(DataType(i) for i in range(22, 35))})
_UINT64_MAX: Final = 2**64 - 1
# The largest float32 plus half its last step: from here on, a value rounds to infinity as a float32
# (the largest float32 written as its shortest decimal, 3.4028235e38, is still below it).
_FLOAT32_OVERFLOW: Final = 3.4028235677973366e38
COMPRESSED_UUID: Final = "SPBV1.0_COMPRESSED"
ALGORITHM: Final = "algorithm"  # the String metric naming the compression algorithm
# The largest payload a compressed one may inflate to: far above any real birth, and a bound on
# what a hostile or broken peer can make us allocate (a "zip bomb").
MAX_INFLATED_BYTES: Final = 16 * 1024 * 1024


class SparkplugError(SeamlineError):
    """Sparkplug B cannot be used as given (the root of this package's errors)."""

    reason = "sparkplug"


class SparkplugPayloadError(SparkplugError):
    """A payload that cannot be decoded, or a metric that cannot be encoded as its datatype."""

    def __init__(self, message: str, *, topic: str | None = None, metric: str | None = None) -> None:
        super().__init__(message, reason="sparkplug_payload")
        self.topic = topic
        self.metric = metric

    def details(self) -> dict[str, object]:
        return {"topic": self.topic, "metric": self.metric}


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of a payload (chapter 6, "Metric"). ``value`` is typed by ``datatype`` when it is known.

    A DATA message may carry the alias alone, and may leave ``datatype`` out; the receiver then
    types the value with :func:`coerce_value` and the datatype announced in the birth.
    """

    name: str | None = None
    alias: int | None = None
    timestamp_ms: int | None = None
    datatype: DataType | None = None
    value: MetricValue = None
    is_null: bool = False
    is_historical: bool = False
    is_transient: bool = False


@dataclass(frozen=True, slots=True)
class Payload:
    """A Sparkplug B payload (chapter 6, "Payload"): send time, metrics and the Edge Node's ``seq``."""

    timestamp_ms: int | None = None
    metrics: tuple[Metric, ...] = ()
    seq: int | None = None
    uuid: str | None = None
    body: bytes | None = None


def coerce_value(value: MetricValue, datatype: DataType | None) -> MetricValue:
    """The value as ``datatype`` reads it; idempotent, so a value typed twice stays the same.

    Integers are masked to the datatype's width and, for signed types, sign-extended (chapter 6,
    "DataType": signed values travel as two's complement in unsigned fields).
    """
    if datatype is None or isinstance(value, bool) or not isinstance(value, int):
        return value
    spec = _INT_BITS.get(datatype)
    if spec is None:
        return value
    bits, signed = spec
    v = value & ((1 << bits) - 1)
    if signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def decode_payload(raw: bytes, *, topic: str | None = None) -> Payload:
    """Parse a Sparkplug B payload, inflating a compressed one; raises :class:`SparkplugPayloadError`.

    >>> inner = encode_payload(Payload(timestamp_ms=1795363200000, seq=4))
    >>> outer = Payload(uuid=COMPRESSED_UUID, body=zlib.compress(inner))
    >>> decode_payload(encode_payload(outer)).seq
    4
    """
    msg = _parse(raw, topic)
    if msg.HasField("uuid") and msg.uuid == COMPRESSED_UUID:
        msg = _parse(_inflate(msg, topic), topic, compressed=True)
    return Payload(
        timestamp_ms=msg.timestamp if msg.HasField("timestamp") else None,
        metrics=tuple(_metric_from_pb(m) for m in msg.metrics),
        seq=msg.seq if msg.HasField("seq") else None,
        uuid=msg.uuid if msg.HasField("uuid") else None,
        body=msg.body if msg.HasField("body") else None,
    )


def _parse(raw: bytes, topic: str | None, *, compressed: bool = False) -> pb.Payload:
    msg = pb.Payload()
    try:
        msg.ParseFromString(raw)
    except DecodeError as exc:
        what = "the compressed payload's body" if compressed else "the payload"
        raise SparkplugPayloadError(
            f"{what} on {topic or 'the topic'} is not a Sparkplug B protobuf payload ({exc});"
            " check that the publisher speaks Sparkplug B (spBv1.0), not JSON or Sparkplug A",
            topic=topic,
        ) from None
    return msg


def _inflate(msg: pb.Payload, topic: str | None) -> bytes:
    """The body of a compressed payload, inflated as its ``algorithm`` metric says (DEFLATE if none)."""
    algorithm = "DEFLATE"
    for m in msg.metrics:
        if m.name == ALGORITHM and m.WhichOneof("value") == "string_value":
            algorithm = m.string_value.upper()
    # zlib's window bits: 15 the zlib format, -15 raw DEFLATE, 31 the gzip format
    tries = {"DEFLATE": (15, -15), "GZIP": (31,)}.get(algorithm)
    if tries is None:
        raise SparkplugPayloadError(
            f"the compressed payload on {topic or 'the topic'} names algorithm {algorithm!r};"
            " Seamline reads DEFLATE and GZIP (configure the edge node to use one of them)",
            topic=topic,
        )
    problems: list[str] = [] if msg.HasField("body") else ["no body"]
    for wbits in tries if msg.HasField("body") else ():
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(msg.body, MAX_INFLATED_BYTES)
        except zlib.error as exc:
            problems.append(str(exc))
            continue
        if inflater.unconsumed_tail:
            problems.insert(0, f"it inflates to more than {MAX_INFLATED_BYTES} bytes")
            break
        if not inflater.eof:
            problems.append("the compressed data is truncated")
            continue
        return out
    problem = problems[0]  # the first format tried is the one the algorithm names
    raise SparkplugPayloadError(
        f"the compressed payload on {topic or 'the topic'} cannot be inflated as {algorithm} ({problem})",
        topic=topic,
    )


def encode_payload(payload: Payload, *, omit_datatypes: bool = False) -> bytes:
    """Serialise ``payload``; raises :class:`SparkplugPayloadError` for a value its datatype can't hold.

    Values are always encoded as their ``datatype`` says. ``omit_datatypes`` leaves the datatype
    off the wire, as DATA and CMD messages should (chapter 6, Metric "datatype": it is sent in births).
    """
    msg = pb.Payload()
    if payload.timestamp_ms is not None:
        msg.timestamp = payload.timestamp_ms
    if payload.seq is not None:
        msg.seq = payload.seq
    if payload.uuid is not None:
        msg.uuid = payload.uuid
    if payload.body is not None:
        msg.body = payload.body
    for metric in payload.metrics:
        _metric_to_pb(metric, msg.metrics.add(), write_datatype=not omit_datatypes)
    return msg.SerializeToString()


def _metric_from_pb(m: pb.Payload.Metric) -> Metric:
    datatype: DataType | None = None
    if m.HasField("datatype"):
        try:
            datatype = DataType(m.datatype)
        except ValueError:
            datatype = DataType.UNKNOWN
    field = m.WhichOneof("value")
    value: MetricValue = None if field is None else getattr(m, field)
    if field == "float_value" and isinstance(value, float):
        value = float32_value(value)
    return Metric(
        name=m.name if m.HasField("name") else None,
        alias=m.alias if m.HasField("alias") else None,
        timestamp_ms=m.timestamp if m.HasField("timestamp") else None,
        datatype=datatype,
        value=coerce_value(value, datatype),
        is_null=m.is_null,
        is_historical=m.is_historical,
        is_transient=m.is_transient,
    )


def _metric_to_pb(metric: Metric, out: pb.Payload.Metric, *, write_datatype: bool) -> None:
    if metric.name is not None:
        out.name = metric.name
    if metric.alias is not None:
        out.alias = metric.alias
    if metric.timestamp_ms is not None:
        out.timestamp = metric.timestamp_ms
    if metric.datatype is not None and write_datatype:
        out.datatype = int(metric.datatype)
    if metric.is_historical:
        out.is_historical = True
    if metric.is_transient:
        out.is_transient = True
    if metric.is_null:  # chapter 6, Metric "is_null": a null is said, not encoded as -1 or false
        out.is_null = True
        return
    if metric.value is not None:
        _set_value(metric, out)


# One branch per family of datatypes reads better here than a table of setters.
def _set_value(metric: Metric, out: pb.Payload.Metric) -> None:  # noqa: PLR0912
    value, dt = metric.value, metric.datatype or _infer(metric.value)

    def bad(need: str) -> SparkplugPayloadError:
        return SparkplugPayloadError(
            f"metric {metric.name or metric.alias!r}: a {dt.name} value must be {need}, got {value!r}",
            metric=metric.name,
        )

    if dt in _INT_BITS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        bits, signed = _INT_BITS[dt]
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if not lo <= value <= hi:
            raise bad(f"in {lo}..{hi}")
        if dt in _LONG_TYPES:
            out.long_value = value & _UINT64_MAX
        else:
            out.int_value = value & 0xFFFFFFFF  # sign-extended to 32 bits, as Eclipse Tahu writes it
    elif dt in (DataType.FLOAT, DataType.DOUBLE):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number")
        if dt is DataType.FLOAT:
            if math.isfinite(value) and abs(value) >= _FLOAT32_OVERFLOW:
                raise bad("within the range of a 32-bit float")
            out.float_value = float(value)
        else:
            out.double_value = float(value)
    elif dt is DataType.BOOLEAN:
        if not isinstance(value, bool):
            raise bad("true or false")
        out.boolean_value = value
    elif dt in _STRING_TYPES:
        if not isinstance(value, str):
            raise bad("a string")
        out.string_value = value
    elif dt in _BYTES_TYPES:
        if not isinstance(value, bytes):
            raise bad("bytes (arrays travel packed, chapter 6, DataType)")
        out.bytes_value = value
    else:
        raise SparkplugPayloadError(
            f"metric {metric.name or metric.alias!r}: datatype {dt.name} is not supported by Seamline's"
            " Sparkplug codec (DataSet, Template and PropertySet values are not encoded)",
            metric=metric.name,
        )


def _infer(value: MetricValue) -> DataType:
    """A datatype for a value given without one (the protobuf field follows from it)."""
    if isinstance(value, bool):
        return DataType.BOOLEAN
    if isinstance(value, int):
        return DataType.INT64
    if isinstance(value, float):
        return DataType.DOUBLE
    if isinstance(value, str):
        return DataType.STRING
    return DataType.BYTES
