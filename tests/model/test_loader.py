"""The factory file: the reference factory loads at scale; wrong files get precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamline.model import FactoryFileError, load_factory, parse_factory
from seamline.model.factory import ChannelKind, DeviceCategory

SMALL = """
[enterprise]
id = "acme"
name = "Acme"

[site]
id = "s1"
name = "Site 1"

[[areas]]
id = "sewing"
name = "Sewing"
kind = "sewing"

[machine_types.snls]
name = "Lockstitch"
category = "sewing"
channels = [
  { name = "runtime_state", kind = "state", period_s = 5, high = 3 },
  { name = "stitch_count", kind = "counter", period_s = 10 },
  { name = "io_{i:02}", kind = "state", period_s = 1, count = 3 },
]

[machine_types.scanner]
name = "Scanner"
category = "scanner"
channels = [{ name = "scan_count", kind = "counter", period_s = 10 }]

[[lines]]
id = "L1"
name = "Line 1"
area = "sewing"
style = "TEE"
operators = 3
stations = [{ type = "snls", count = 2 }]
shared = [{ type = "scanner" }]

[[styles]]
id = "TEE"
name = "Tee"

[[styles.bulletins]]
version = 1
operations = [
  { id = "A", name = "Join", sam = 0.5, machine = "snls" },
  { id = "B", name = "Hem", sam = 0.4, machine = "snls", after = ["A"] },
]

[[orders]]
id = "PO1"
style = "TEE"
due = 2026-12-01
line = "L1"
bundle_size = 10
quantities = { red = { S = 25, M = 10 } }
"""


def test_reference_factory_is_at_reference_scale() -> None:
    f = load_factory()
    assert len(f.devices) == 153
    assert f.sensor_count >= 12_000
    # 12-20k readings/s on average is the seed factory's rate (PRODUCT.md).
    assert 12_000 <= f.readings_per_s() <= 20_000
    categories = {d.machine_type.category for d in f.devices}
    assert categories == set(DeviceCategory)
    ids = [s.id for s in f.sensors()]
    assert ids == list(range(f.sensor_count))


def test_reference_factory_channel_counts_are_plausible() -> None:
    f = load_factory()
    for d in f.devices:
        n = d.sensor_count
        cat = d.machine_type.category
        if cat is DeviceCategory.SEWING and d.machine_type.id != "pocket_setter":
            assert 20 <= n <= 100, d.id  # a sewing controller reports tens of signals
        if d.machine_type.id in ("energy_meter", "environment"):
            assert n >= 100, d.id  # gateways carry hundreds
    for line in f.lines:
        assert line.style_id is not None
        need = {op.machine_type_id for op in f.styles[line.style_id].bulletin.operations}
        assert need <= {ws.machine_type_id for ws in line.workstations}


def test_small_factory_builds_the_tree() -> None:
    f = parse_factory(SMALL)
    assert [d.id for d in f.devices] == ["L1-S01", "L1-S02", "L1-SCANNER01"]
    snls = f.machine_types["snls"]
    assert [c.name for c in snls.channels] == ["runtime_state", "stitch_count", "io_01", "io_02", "io_03"]
    assert snls.channels[1].kind is ChannelKind.COUNTER
    assert f.devices[1].sensor_base == 5
    assert f.devices[1].sensor_id("stitch_count") == 6
    assert f.sensor(6).device_id == "L1-S02"
    line = f.lines[0]
    assert [ws.position for ws in line.workstations] == [1, 2]
    assert len(line.operator_ids) == 3
    order = f.orders[0]
    assert order.quantity == 35
    assert [b.quantity for b in order.bundles()] == [10, 10, 5, 10]
    assert f.styles["TEE"].bulletin.garment_sam_min == pytest.approx(0.9)


def test_generated_operators_are_reproducible() -> None:
    a, b = parse_factory(SMALL), parse_factory(SMALL)
    assert a.operators == b.operators
    for op in a.operators:
        assert op.grade in "ABC"
        assert all(0.05 <= e <= 2.0 for e in op.skills.values())


def _error(text: str) -> FactoryFileError:
    with pytest.raises(FactoryFileError) as info:
        parse_factory(text, "f.toml")
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("change", "needle", "field", "words"),
    [
        (("sam = 0.4", "sam = -1"), "sam = -1", "styles[0].bulletins[0].operations[1].sam", "greater than 0"),
        (
            ('type = "snls", count = 2', 'type = "snlx", count = 2'),
            "snlx",
            "lines[0].stations[0].type",
            "unknown machine type 'snlx'",
        ),
        (
            ('after = ["A"]', 'after = ["Z"]'),
            '"Z"',
            "styles[0].bulletins[0].operations[1].after",
            "unknown operation 'Z'",
        ),
        (
            ('style = "TEE"\noperators', 'style = "POLO"\noperators'),
            '"POLO"',
            "lines[0].style",
            "unknown style 'POLO'",
        ),
        (
            ('area = "sewing"\nstyle', 'area = "cuting"\nstyle'),
            '"cuting"',
            "lines[0].area",
            "unknown area 'cuting'",
        ),
        (
            (
                'kind = "counter", period_s = 10 },\n  { name = "io',
                'kind = "countr", period_s = 10 },\n  { name = "io',
            ),
            "countr",
            "machine_types.snls.channels[1].kind",
            "counter",
        ),
        (("M = 10", "M = 0"), "M = 0", "orders[0].quantities", "quantity must be positive"),
        (("due = 2026-12-01", 'due = "soon"'), "soon", "orders[0].due", "date"),
    ],
)
def test_bad_files_name_the_line_field_and_problem(
    change: tuple[str, str], needle: str, field: str, words: str
) -> None:
    assert change[0] in SMALL
    text = SMALL.replace(change[0], change[1], 1)
    e = _error(text)
    assert e.field == field
    assert words in e.problem
    assert e.line == _line_of(text, needle)
    assert str(e).startswith(f"f.toml:{e.line}: {field}: ")


def test_toml_syntax_error_names_the_line() -> None:
    text = SMALL.replace('name = "Site 1"', 'name = "Site 1', 1)
    e = _error(text)
    assert e.line == _line_of(text, 'name = "Site 1')
    assert "not valid TOML" in e.problem


def test_unknown_key_is_rejected() -> None:
    text = SMALL.replace('name = "Tee"', 'name = "Tee"\ncolour = "red"', 1)
    e = _error(text)
    assert e.field == "styles[0].colour"
    assert e.line == _line_of(text, "colour =")


def test_line_missing_a_machine_type_for_its_style() -> None:
    text = SMALL.replace('machine = "snls", after', 'machine = "scanner", after', 1)
    e = _error(text)
    # a scanner is not a sewing machine type the line has a station for
    assert "needs machine types ['scanner']" in e.problem


def test_duplicate_ids() -> None:
    text = SMALL.replace('{ id = "B", name = "Hem"', '{ id = "A", name = "Hem"', 1).replace(
        'after = ["A"]', "after = []"
    )
    e = _error(text)
    assert "appears twice" in e.problem


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FactoryFileError) as info:
        load_factory(tmp_path / "nope.toml")
    assert "no such file" in str(info.value)


def test_error_in_a_multi_entry_inline_array_points_at_its_line() -> None:
    text = SMALL.replace(
        'stations = [{ type = "snls", count = 2 }]',
        'stations = [\n  { type = "snls" }, { type = "snls" },\n'
        '  { type = "snls" }, { type = "lockstitch" },\n]',
        1,
    )
    e = _error(text)
    assert e.field == "lines[0].stations[3].type"
    assert e.line == _line_of(text, '"lockstitch"')
