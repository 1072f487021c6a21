"""Load and check a factory file (TOML).

A wrong file never gives a traceback: :class:`FactoryFileError` names the file, the line, the field
and what is wrong.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from importlib import resources
from pathlib import Path

from seamline.configfile import ConfigFileError, located, parse_model, read_text
from seamline.model.factory import (
    Area,
    ChannelSpec,
    Device,
    DeviceCategory,
    Factory,
    Line,
    MachineType,
    Operation,
    OperationBulletin,
    Operator,
    Order,
    Style,
    Workstation,
)
from seamline.model.schema import ChannelIn, FactoryIn, LineIn, MachineTypeIn, OperatorIn, StyleIn


class FactoryFileError(ConfigFileError):
    """The factory file cannot be used as it is."""

    reason = "factory_file"


def reference_factory_path() -> Path:
    """The shipped demo factory: the seed factory at reference scale."""
    return Path(str(resources.files("seamline.model") / "data" / "reference_factory.toml"))


def load_factory(path: str | Path | None = None) -> Factory:
    """Read, validate and build the factory declared in ``path`` (default: the reference factory)."""
    p = Path(path) if path is not None else reference_factory_path()
    return parse_factory(read_text(p, FactoryFileError, "a factory TOML file"), str(p))


def parse_factory(text: str, path: str = "<factory>") -> Factory:
    """Build a factory from TOML text; ``path`` is only used in error messages."""
    spec = parse_model(text, path, FactoryIn, FactoryFileError)
    return _Builder(spec, text, path).build()


class _Builder:
    """Turns the validated schema into the domain model, checking cross references."""

    def __init__(self, spec: FactoryIn, text: str, path: str) -> None:
        self.spec = spec
        self.text = text
        self.path = path

    def fail(self, loc: Sequence[int | str], problem: str) -> FactoryFileError:
        return located(FactoryFileError, self.text, self.path, loc, problem)

    def build(self) -> Factory:
        s = self.spec
        self._unique([a.id for a in s.areas], "areas")
        self.area_ids = {a.id for a in s.areas}
        self.machine_types = {mid: self._machine_type(mid, mt) for mid, mt in s.machine_types.items()}
        self._unique([st.id for st in s.styles], "styles")
        self.styles = {st.id: self._style(i, st) for i, st in enumerate(s.styles)}
        self.devices: list[Device] = []
        self.next_sensor = 0

        self._unique([ln.id for ln in s.lines], "lines")
        line_ids = {ln.id for ln in s.lines}
        for oi, person in enumerate(s.operators):
            if person.line is not None:
                self._known("line", person.line, line_ids, ("operators", oi, "line"))
        lines: list[Line] = []
        operators: list[Operator] = []
        for li, ln in enumerate(s.lines):
            line, roster = self._line(li, ln)
            lines.append(line)
            operators += roster
        operators += [self._operator(o) for o in s.operators if o.line is None]
        self._unique([o.id for o in operators], "operators")

        for di, d in enumerate(s.devices):
            self._known("machine type", d.type, self.machine_types, ("devices", di, "type"))
            self._known("area", d.area, self.area_ids, ("devices", di, "area"))
            if d.count > 1 and "{i" not in d.id:
                raise self.fail(("devices", di, "id"), "count > 1 needs {i} in the id, e.g. 'CUT-{i:02}'")
            for k in range(d.count):
                self._add_device(d.id.format(i=k + 1), d.type, d.area, None, None)
        self._unique([d.id for d in self.devices], "devices")

        self._unique([o.id for o in s.orders], "orders")
        orders = []
        for oi, o in enumerate(s.orders):
            self._known("style", o.style, self.styles, ("orders", oi, "style"))
            if o.line is not None:
                self._known("line", o.line, line_ids, ("orders", oi, "line"))
            qty = {(c, z): n for c, sizes in o.quantities.items() for z, n in sizes.items()}
            orders.append(Order(o.id, o.style, o.due, qty, o.bundle_size, o.line, o.priority))

        return Factory(
            enterprise_id=s.enterprise.id,
            enterprise_name=s.enterprise.name,
            site_id=s.site.id,
            site_name=s.site.name,
            timezone=s.site.timezone,
            areas=tuple(Area(a.id, a.name, a.kind) for a in s.areas),
            machine_types=self.machine_types,
            devices=tuple(self.devices),
            lines=tuple(lines),
            operators=tuple(operators),
            styles=self.styles,
            orders=tuple(orders),
            shift_start=s.site.shift_start,
            shift_minutes=s.site.shift_minutes,
        )

    def _add_device(self, dev_id: str, type_id: str, area: str, line: str | None, ws: str | None) -> None:
        mt = self.machine_types[type_id]
        self.devices.append(Device(dev_id, mt, area, line, ws, self.next_sensor))
        self.next_sensor += len(mt.channels)

    def _line(self, li: int, ln: LineIn) -> tuple[Line, list[Operator]]:
        self._known("area", ln.area, self.area_ids, ("lines", li, "area"))
        if ln.style is not None:
            self._known("style", ln.style, self.styles, ("lines", li, "style"))
        stations: list[Workstation] = []
        for si, st in enumerate(ln.stations):
            loc = ("lines", li, "stations", si, "type")
            self._known("machine type", st.type, self.machine_types, loc)
            category = self.machine_types[st.type].category
            if category is not DeviceCategory.SEWING:
                raise self.fail(
                    loc,
                    f"{st.type!r} is a {category} device, not a sewing machine;"
                    " list it under 'shared' or [[devices]]",
                )
            for _ in range(st.count):
                ws_id = f"{ln.id}-S{len(stations) + 1:02d}"
                stations.append(Workstation(ws_id, ln.id, len(stations) + 1, ws_id, st.type))
                self._add_device(ws_id, st.type, ln.area, ln.id, ws_id)
        shared: list[str] = []
        for si, st in enumerate(ln.shared):
            self._known("machine type", st.type, self.machine_types, ("lines", li, "shared", si, "type"))
            for k in range(st.count):
                dev_id = f"{ln.id}-{st.type.upper().replace('_', '')}{k + 1:02d}"
                shared.append(dev_id)
                self._add_device(dev_id, st.type, ln.area, ln.id, None)
        if ln.style is not None:
            self._line_can_sew(li, ln, stations, self.styles[ln.style])
        roster = [self._operator(o) for o in self.spec.operators if o.line == ln.id]
        roster += _generated_operators(ln, len(roster), stations)
        line = Line(
            ln.id, ln.name, ln.area, ln.style, tuple(stations), tuple(o.id for o in roster), tuple(shared)
        )
        return line, roster

    def _known(self, kind: str, value: str, known: Collection[str], loc: tuple[int | str, ...]) -> None:
        if value not in known:
            raise self.fail(loc, f"unknown {kind} {value!r}; known: {sorted(known)}")

    def _unique(self, ids: list[str], what: str) -> None:
        seen: set[str] = set()
        for i, x in enumerate(ids):
            if x in seen:
                raise self.fail((what, i, "id"), f"duplicate id {x!r}; ids must be unique within {what}")
            seen.add(x)

    def _machine_type(self, mid: str, mt: MachineTypeIn) -> MachineType:
        channels: list[ChannelSpec] = []
        for si, set_id in enumerate(mt.channel_sets):
            if set_id not in self.spec.channel_sets:
                known = sorted(self.spec.channel_sets)
                raise self.fail(
                    ("machine_types", mid, "channel_sets", si),
                    f"unknown channel set {set_id!r}; known: {known}",
                )
            for ch in self.spec.channel_sets[set_id]:
                channels += _expand(ch)
        for ci, ch in enumerate(mt.channels):
            if ch.low > ch.high:
                raise self.fail(
                    ("machine_types", mid, "channels", ci, "low"), f"low {ch.low} is above high {ch.high}"
                )
            channels += _expand(ch)
        if not channels:
            raise self.fail(("machine_types", mid), "declares no channels; add 'channels' or 'channel_sets'")
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise self.fail(("machine_types", mid, "channels"), f"channel {dup!r} is declared twice")
        return MachineType(mid, mt.name, mt.category, tuple(channels), mt.mtbf_h, mt.mttr_min)

    def _style(self, si: int, st: StyleIn) -> Style:
        bulletins = []
        versions = [b.version for b in st.bulletins]
        if versions != sorted(set(versions)):
            raise self.fail(
                ("styles", si, "bulletins"), f"bulletin versions must ascend without repeats, got {versions}"
            )
        for bi, b in enumerate(st.bulletins):
            op_ids = [op.id for op in b.operations]
            ops = []
            for oi, op in enumerate(b.operations):
                loc: tuple[int | str, ...] = ("styles", si, "bulletins", bi, "operations", oi)
                if op_ids.count(op.id) > 1:
                    raise self.fail((*loc, "id"), f"operation {op.id!r} appears twice in this bulletin")
                self._known("machine type", op.machine, self.machine_types, (*loc, "machine"))
                for pred in op.after:
                    if pred not in op_ids[:oi]:
                        problem = (
                            f"unknown operation {pred!r}"
                            if pred not in op_ids
                            else f"{pred!r} is listed after {op.id!r}; list operations in a precedence order"
                        )
                        raise self.fail((*loc, "after"), problem)
                ops.append(Operation(op.id, op.name, op.sam, op.machine, tuple(op.after)))
            bulletins.append(OperationBulletin(st.id, b.version, tuple(ops)))
        return Style(st.id, st.name, tuple(bulletins), st.learning_rate)

    def _line_can_sew(self, li: int, ln: LineIn, stations: list[Workstation], style: Style) -> None:
        have = {w.machine_type_id for w in stations}
        need = {op.machine_type_id for op in style.bulletin.operations}
        missing = sorted(need - have)
        if missing:
            raise self.fail(
                ("lines", li, "style"),
                f"style {style.id!r} needs machine types {missing} that line {ln.id!r} has no station for",
            )

    @staticmethod
    def _operator(o: OperatorIn) -> Operator:
        return Operator(o.id, o.name, o.grade, o.line, dict(o.skills), o.absence_rate)


def _expand(ch: ChannelIn) -> list[ChannelSpec]:
    names = [ch.name.format(i=i + 1) for i in range(ch.count)] if "{i" in ch.name else [ch.name]
    if len(names) != ch.count:
        names = [f"{ch.name}_{i + 1:03d}" for i in range(ch.count)]
    return [ChannelSpec(n, ch.kind, ch.unit, ch.period_s, ch.resolution, ch.low, ch.high) for n in names]


_GRADES = (("A", 0.25, 1.05, 1.25), ("B", 0.55, 0.85, 1.05), ("C", 0.20, 0.55, 0.80))
_FIRST = (
    "Amina",
    "Rahim",
    "Sultana",
    "Karim",
    "Nasrin",
    "Jamal",
    "Farida",
    "Hasan",
    "Rupa",
    "Tariq",
    "Shirin",
    "Anwar",
    "Mitu",
    "Rafiq",
    "Lipi",
    "Sohel",
    "Dilara",
    "Babul",
    "Runa",
    "Kamal",
)
_LAST = ("Akter", "Hossain", "Begum", "Islam", "Khatun", "Rahman", "Ahmed", "Sarkar", "Das", "Mia")


def _generated_operators(ln: LineIn, have: int, stations: list[Workstation]) -> list[Operator]:
    """Fill a line's roster up to ``ln.operators`` with reproducible operators.

    Each is skilled on the machine types of the seats they are most likely to sit at, at an
    efficiency drawn from their grade's band, and can work other machines of the line more slowly.
    """
    rng = random.Random(f"operators:{ln.id}")
    types = [w.machine_type_id for w in stations] or ["snls"]
    out = []
    for k in range(have, ln.operators):
        roll = rng.random()
        acc = 0.0
        grade, lo, hi = "B", 0.85, 1.05
        for g, share, glo, ghi in _GRADES:
            acc += share
            if roll <= acc:
                grade, lo, hi = g, glo, ghi
                break
        main = types[k % len(types)]
        skills = {main: round(rng.uniform(lo, hi), 2)}
        for other in sorted(set(types) - {main}):
            if rng.random() < (0.6 if grade == "A" else 0.3):
                skills[other] = round(rng.uniform(lo, hi) * 0.85, 2)
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        out.append(
            Operator(f"{ln.id}-OP{k + 1:02d}", name, grade, ln.id, skills, round(rng.uniform(0.02, 0.07), 3))
        )
    return out
