"""Split a VictoriaMetrics native export into import request bodies.

The native stream (``/api/v1/export/native``, VictoriaMetrics 1.79, lib/protoparser/native) is a
16-byte time-range header followed by ``(uint32 length, metric name, uint32 length, block)``
records, big-endian; a block starts with varints: min timestamp, first value, then its row count.
Any run of whole records behind the header is itself a valid stream, which is how one export
becomes many concurrent requests.
"""

from __future__ import annotations

import struct

NATIVE_PATH = "/api/v1/import/native"
_HEADER_BYTES = 16
_LENGTH = struct.Struct(">I")


def _uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode an unsigned LEB128 varint at ``pos``; the value and the position after it."""
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def block_rows(block: bytes) -> int:
    """Rows in one native block (``Block.MarshalPortable``): skip two varints, read the third."""
    pos = _uvarint(block, 0)[1]
    pos = _uvarint(block, pos)[1]
    return _uvarint(block, pos)[0]


def split_native(stream: bytes, *, readings_per_request: int) -> tuple[list[bytes], int]:
    """Cut ``stream`` into bodies of whole records, about ``readings_per_request`` rows each.

    Returns the bodies and the rows they hold in total.
    """
    if len(stream) < _HEADER_BYTES:
        return [], 0
    header = stream[:_HEADER_BYTES]
    bodies: list[bytes] = []
    pos = start = _HEADER_BYTES
    rows = in_body = 0
    while pos < len(stream):
        (name_len,) = _LENGTH.unpack_from(stream, pos)
        block_at = pos + 4 + name_len
        (block_len,) = _LENGTH.unpack_from(stream, block_at)
        end = block_at + 4 + block_len
        if end > len(stream):
            raise ValueError(f"native stream truncated at byte {pos} of {len(stream)}")
        n = block_rows(stream[block_at + 4 : end])
        rows += n
        in_body += n
        pos = end
        if in_body >= readings_per_request:
            bodies.append(header + stream[start:pos])
            start, in_body = pos, 0
    if pos > start:
        bodies.append(header + stream[start:pos])
    return bodies, rows
