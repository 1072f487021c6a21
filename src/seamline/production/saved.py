"""The production ledger kept in the store, so that a start replays only what came after it.

Rebuilding the ledger from every stored event takes longer the longer the factory has run (a
month of the reference factory: tens of seconds). So the engine saves the whole ledger now and
then, and at a clean stop, into the store (:meth:`Store.save_state`) together with the number of
the last commit it includes (:attr:`Store.wseq`); a start loads it and replays only the events
committed after that number (:func:`seamline.production.engine.replay_stored`).

What is saved: the ledger's objects as they are (records, the exceptions queue, badge sessions,
the machine book, the order book, the facts, quality, defects and attendance tables), pickled,
compressed with zstd, behind a header::

    b"SLPS" | header length (u32, big-endian) | header (JSON) | payload

The header carries the format version, a fingerprint of what the objects mean (this module's
format, the source of every module whose objects are pickled, the factory and the downtime
threshold), the payload's length before compression and its BLAKE2b checksum. A saved state whose
fingerprint differs (a new release, another factory file, another setting), whose checksum fails,
or that cannot be read is not used: the ledger is rebuilt from every stored event, as without one,
and the log says why. It never yields other numbers than a rebuild would.

The machine counters (:class:`~seamline.production.counters.CounterBook`) are not saved: they are
rebuilt from the store's hourly rollups at every start, which takes a second however long the
history.

Reading a payload only ever makes objects of Seamline's production and model classes and of a few
built-in containers (:class:`_Unpickler`): a saved state altered by someone who can write to the
store cannot make the service run other code.

>>> from seamline.model.loader import load_factory
>>> factory = load_factory()
>>> ledger = ProductionLedger(factory)
>>> blob = dump(ledger, factory, downtime_threshold_s=120.0)
>>> blob[:4]
b'SLPS'
>>> len(load(blob, factory, downtime_threshold_s=120.0).records)
0
>>> load(blob, factory, downtime_threshold_s=60.0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
seamline.production.saved.SavedStateError: it was saved by another release, for another factory ...
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import inspect
import io
import pickle
import struct
from typing import Any, Final

import orjson
import pyarrow as pa

from seamline.errors import SeamlineError
from seamline.model.factory import Factory
from seamline.production.counters import CounterBook
from seamline.production.ledger import ProductionLedger

NAME: Final = "production"  # the name the ledger is saved under in the store
FORMAT: Final = 1
MAGIC: Final = b"SLPS"
# the modules whose objects a saved ledger holds: a change to any of them makes older saves unusable
MODULES: Final = (
    "seamline.production.ledger",
    "seamline.production.facts",
    "seamline.production.downtime",
    "seamline.production.orders",
    "seamline.production.inspections",
    "seamline.production.hours",
    "seamline.model.factory",
    __name__,
)
_CODEC: Final = pa.Codec("zstd", compression_level=1)
_ALLOWED_PREFIXES: Final = ("seamline.production.", "seamline.model.")
_ALLOWED_BUILTINS: Final = {
    "builtins": frozenset({"set", "frozenset", "list", "dict", "tuple", "bytearray", "complex", "slice"}),
    "collections": frozenset({"defaultdict", "deque", "OrderedDict"}),
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone"}),
}


class SavedStateError(SeamlineError):
    """A saved ledger that cannot be used; the engine rebuilds from every stored event instead."""

    reason = "saved_state"


@functools.cache
def _code_fingerprint() -> str:
    h = hashlib.blake2b(f"format {FORMAT}".encode(), digest_size=16)
    for name in MODULES:
        h.update(inspect.getsource(importlib.import_module(name)).encode())
    return h.hexdigest()


def fingerprint(factory: Factory, downtime_threshold_s: float) -> str:
    """What a saved ledger must have been saved with to be used: the code, the factory, the setting."""
    h = hashlib.blake2b(_code_fingerprint().encode(), digest_size=16)
    h.update(repr(factory).encode())
    h.update(repr(float(downtime_threshold_s)).encode())
    return h.hexdigest()


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _init_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a dataclass with slots whose constructor takes them all and does nothing
    else: such an object is pickled as a call of its class with its values, which reads back ~5x
    faster than the state dataclasses set field by field. None for any other class."""
    if cls in _FIELDS:
        return _FIELDS[cls]
    names = None
    fields = getattr(cls, "__dataclass_fields__", None)
    if (
        fields is not None
        and "__slots__" in cls.__dict__
        and not hasattr(cls, "__post_init__")
        and all(f.init for f in dataclasses.fields(cls))
        and len(dataclasses.fields(cls)) == len(fields)  # no ClassVar or InitVar pseudo-fields
    ):
        names = tuple(f.name for f in dataclasses.fields(cls))
    _FIELDS[cls] = names
    return names


def _the_factory() -> None:
    """Stands for the factory in a payload; reading it back gives the factory it is read with."""


def _new_counters() -> None:
    """Stands for the counter book in a payload; reading it back makes a new one (rebuilt at start)."""


class _Pickler(pickle.Pickler):
    """Pickles the ledger; the factory and the counter book stay out (references, made anew).

    (Not with ``persistent_id``: Python calls it for every object, ints and strings included,
    which doubled the time; ``reducer_override`` is called only for objects of other classes.)"""

    def __init__(self, file: io.BytesIO, ledger: ProductionLedger) -> None:
        super().__init__(file, protocol=5)
        self._factory, self._counters = ledger.factory, ledger.counters

    def reducer_override(self, obj: Any) -> Any:
        if obj is self._factory:
            return _the_factory, ()
        if obj is self._counters:
            return _new_counters, ()
        names = _init_fields(type(obj))
        if names is None:
            return NotImplemented
        return type(obj), tuple([getattr(obj, n) for n in names])


class _Unpickler(pickle.Unpickler):
    """Makes only Seamline's production and model classes and plain containers."""

    def __init__(self, file: io.BytesIO, factory: Factory) -> None:
        super().__init__(file)
        self._factory = factory

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == _the_factory.__name__:
            return lambda: self._factory
        if module == __name__ and name == _new_counters.__name__:
            return lambda: CounterBook(self._factory)
        if module.startswith(_ALLOWED_PREFIXES) and "." not in name:
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type):
                return found
        elif name in _ALLOWED_BUILTINS.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a saved ledger holds no {module}.{name}")


def dump(ledger: ProductionLedger, factory: Factory, *, downtime_threshold_s: float) -> bytes:
    """The ledger as bytes for :meth:`Store.save_state` (the caller holds it still meanwhile)."""
    return pack(pickled(ledger), fingerprint(factory, downtime_threshold_s), records=len(ledger.records))


def pickled(ledger: ProductionLedger) -> memoryview:
    """The ledger's payload, before :func:`pack`: the only step that needs the ledger held still."""
    buf = io.BytesIO()
    _Pickler(buf, ledger).dump(ledger)
    return buf.getbuffer()


def pack(raw: bytes | memoryview, fingerprint: str, *, records: int = 0) -> bytes:
    """A payload behind its header (what :func:`load` checks before it reads the payload)."""
    header = orjson.dumps(
        {
            "format": FORMAT,
            "fingerprint": fingerprint,
            "raw_bytes": len(raw),
            "blake2b": hashlib.blake2b(raw, digest_size=16).hexdigest(),
            "records": records,
        }
    )
    packed = _CODEC.compress(raw, asbytes=True)
    return b"".join((MAGIC, struct.pack(">I", len(header)), header, packed))


def load(data: bytes, factory: Factory, *, downtime_threshold_s: float) -> ProductionLedger:
    """The ledger :func:`dump` saved; :class:`SavedStateError` says why it cannot be used."""
    if data[:4] != MAGIC or len(data) < 8:
        raise SavedStateError("it is not a saved production ledger")
    (size,) = struct.unpack(">I", data[4:8])
    try:
        header = orjson.loads(data[8 : 8 + size])
    except orjson.JSONDecodeError:
        raise SavedStateError("its header is damaged") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SavedStateError(f"it has format {header.get('format') if isinstance(header, dict) else '?'}")
    if header.get("fingerprint") != fingerprint(factory, downtime_threshold_s):
        raise SavedStateError(
            "it was saved by another release, for another factory file or with other settings"
        )
    try:
        raw = _CODEC.decompress(data[8 + size :], int(header["raw_bytes"]), asbytes=True)
    except (pa.ArrowException, OSError, KeyError, TypeError, ValueError):
        raise SavedStateError("its payload is damaged") from None
    if hashlib.blake2b(raw, digest_size=16).hexdigest() != header.get("blake2b"):
        raise SavedStateError("its checksum does not match: it is damaged")
    try:
        ledger = _Unpickler(io.BytesIO(raw), factory).load()
    except Exception as exc:  # whatever a damaged or foreign payload raises
        raise SavedStateError(f"it cannot be read: {exc}") from None
    if not isinstance(ledger, ProductionLedger):
        raise SavedStateError(f"it holds a {type(ledger).__name__}, not a ledger")
    return ledger


__all__ = ["FORMAT", "NAME", "SavedStateError", "dump", "fingerprint", "load", "pack", "pickled"]
