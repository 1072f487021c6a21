"""The generated Sparkplug B code and the protobuf runtime that pyproject.toml lets users install."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import seamline.ingest.sparkplug as spb

ROOT = Path(__file__).resolve().parents[3]
GENCODE = Path(spb.__file__).parent / "sparkplug_b_pb2.py"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def gencode_version() -> tuple[int, ...]:
    """The protoc version that wrote the generated module: the runtime may not be older."""
    text = GENCODE.read_text()
    header = re.search(r"^# Protobuf Python Version: (\d+\.\d+\.\d+)$", text, re.MULTILINE)
    check = re.search(
        r"ValidateProtobufRuntimeVersion\(\s*_runtime_version\.Domain\.PUBLIC,\s*(\d+),\s*(\d+),\s*(\d+),",
        text,
    )
    assert header is not None, f"no version header in {GENCODE}"
    assert check is not None, f"no runtime version check in {GENCODE}"
    assert _version(header.group(1)) == tuple(int(g) for g in check.groups())
    return _version(header.group(1))


def protobuf_floor() -> tuple[int, ...]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (spec,) = [d for d in deps if re.match(r"protobuf\b", d)]
    floor = re.search(r">=\s*(\d+(?:\.\d+)*)", spec)
    assert floor is not None, f"the protobuf requirement {spec!r} has no lower bound"
    return _version(floor.group(1))


def test_pyproject_requires_a_protobuf_runtime_no_older_than_the_generated_code() -> None:
    floor, gencode = protobuf_floor(), gencode_version()
    padded = floor + (0,) * (3 - len(floor))
    assert padded >= gencode, (
        f"pyproject.toml allows protobuf {'.'.join(map(str, floor))}, but {GENCODE.name} was generated"
        f" by protoc for {'.'.join(map(str, gencode))} and refuses an older runtime at import"
    )
    assert padded[0] == gencode[0]  # and the same major version: a new major may drop the gencode
