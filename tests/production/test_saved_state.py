"""The production ledger kept in the store: a restart takes it up and replays only the events stored
after it, with the very figures a rebuild from every event gives (and the twin's truth); a saved
ledger that is damaged or foreign is not used, and the log says why."""

from __future__ import annotations

import logging
import pickle
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from test_faults_real_path import SMALL_TOML, _answers, _disturbed, _run, floor, small

from seamline.model.factory import Factory
from seamline.platform import Platform
from seamline.production import saved
from seamline.production.ledger import ProductionLedger
from seamline.settings import Settings
from seamline.sim import FloorTruth
from seamline.store import DuckDBStore

sys.path.insert(0, str(Path(__file__).parents[1] / "store"))
from postgres_helpers import POSTGRES_URL, fresh_schema  # shared with the store's tests

__all__ = ["floor", "small"]  # the fixtures, shared with the real-path tests


def _settings(where: Path | str, **changes: Any) -> Settings:
    if isinstance(where, Path):
        return Settings(data_dir=where, mqtt_url=None, factory_file=SMALL_TOML, **changes)
    return Settings(store=where, mqtt_url=None, factory_file=SMALL_TOML, **changes)


def _feed(platform: Platform, messages: list[dict[str, Any]]) -> None:
    for i in range(0, len(messages), 50):
        platform.ingestor.submit_messages(messages[i : i + 50])
        platform.ingestor.flush()
    assert platform.production.drain()


def _run_with_a_crash(
    settings: Settings, factory: Factory, messages: list[dict[str, Any]]
) -> tuple[dict[str, Any], int]:
    """Feed the first 60 % saving after every commit applied, then 20 % more with saves off, and stop
    without the final save (as a crash would: the saved ledger lags the store); start again, feed the
    rest; the answers, and the floor's clock (the newest device time the engine saw)."""
    first, second = int(len(messages) * 0.6), int(len(messages) * 0.8)
    with Platform(settings.model_copy(update={"production_save_interval_s": 1e-9}), factory) as platform:
        _feed(platform, messages[:first])
        platform.production.save_interval_s = None  # from here on nothing is saved, not even at the stop
        _feed(platform, messages[first:second])
    with Platform(settings, factory) as platform:
        restored = platform.health()["components"]["production"]["restored"]
        assert restored["used"] is True
        assert restored["replayed_events"] > 0  # the 20 % stored after the saved ledger
        _feed(platform, messages[second:])
        return _answers(platform, factory), platform.production.read(lambda ledger: ledger.clock_ms)


def _rebuilt(settings: Settings, factory: Factory, clock_ms: int = 0) -> dict[str, Any]:
    """The answers of a start that rebuilds the ledger from every stored event; ``clock_ms``: where
    the floor's clock stands (a rebuild only knows the newest reading's and event's time, the running
    engine the newest message's: open sessions and machine states count until it)."""
    with Platform(settings.model_copy(update={"production_save_interval_s": 0.0}), factory) as platform:
        assert platform.health()["components"]["production"]["restored"] is None
        platform.production.read(lambda ledger: ledger.observe(clock_ms))
        return _answers(platform, factory)


def test_a_restart_after_a_crash_replays_what_came_after_the_save_and_counts_the_same(
    tmp_path: Path, small: Factory, floor: tuple[list[dict[str, Any]], FloorTruth]
) -> None:
    messages, truth = floor
    messages = _disturbed(messages, small)  # out of order, twice, an outage back-filled at the end
    settings = _settings(tmp_path / "restarted")
    restarted, clock_ms = _run_with_a_crash(settings, small, messages)
    assert restarted == _run(tmp_path / "uninterrupted", small, messages)  # the same to the last figure
    assert restarted == _rebuilt(settings, small, clock_ms)
    assert {k: v[0] for k, v in restarted["operators"].items() if v[0]} == {
        (op,): n for op, n in truth.scanned_by_operator.items()
    }
    assert restarted["quality"] == {
        k: (v.checked, v.defective, v.defects) for k, v in truth.reported_inspections.items()
    }
    assert restarted["downtime"]
    assert restarted["open exceptions"] == 0


def test_on_postgresql_too(small: Factory, floor: tuple[list[dict[str, Any]], FloorTruth]) -> None:
    messages, truth = floor
    with fresh_schema() as schema:
        settings = _settings(f"{POSTGRES_URL}?schema={schema}")
        restarted, clock_ms = _run_with_a_crash(settings, small, messages)
        assert restarted == _rebuilt(settings, small, clock_ms)
    assert {k: v[0] for k, v in restarted["operators"].items() if v[0]} == {
        (op,): n for op, n in truth.scanned_by_operator.items()
    }


@pytest.fixture(scope="module")
def stopped(
    tmp_path_factory: pytest.TempPathFactory, small: Factory, floor: tuple[list[dict[str, Any]], FloorTruth]
) -> tuple[Path, int, dict[str, Any]]:
    """A data directory the service stopped on cleanly, its last commit, and a rebuild's answers."""
    where = tmp_path_factory.mktemp("stopped")
    with Platform(_settings(where), small) as platform:
        _feed(platform, floor[0])
        upto = platform.store.wseq
    with DuckDBStore(where, read_only=True).opened(small) as store:
        kept = store.load_state(saved.NAME)
    assert kept is not None
    assert kept.upto == upto  # saved at the stop, with everything stored
    return where, upto, _rebuilt(_settings(where), small)


@pytest.mark.parametrize("damage", ["garbage", "flipped byte", "other threshold"])
def test_a_saved_ledger_that_cannot_be_trusted_is_rebuilt_and_the_log_says_why(
    tmp_path: Path,
    small: Factory,
    stopped: tuple[Path, int, dict[str, Any]],
    damage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    shutil.copytree(stopped[0], tmp_path / "data")
    settings, upto, want = _settings(tmp_path / "data"), stopped[1], stopped[2]
    with DuckDBStore(tmp_path / "data").opened(small) as store:
        kept = store.load_state(saved.NAME)
        assert kept is not None
        data = bytearray(kept.data)
        if damage == "garbage":
            data = bytearray(b"not a ledger at all")
        elif damage == "flipped byte":
            data[-100] ^= 0xFF
        elif damage == "other threshold":  # saved with another setting: its stops would differ
            ledger = saved.load(kept.data, small, downtime_threshold_s=settings.downtime_threshold_s)
            data = bytearray(saved.dump(ledger, small, downtime_threshold_s=30.0))
        store.save_state(saved.NAME, upto, bytes(data))
    why = {
        "garbage": "it is not a saved production ledger",
        "flipped byte": "damaged",
        "other threshold": "with other settings",
    }[damage]
    with (
        caplog.at_level(logging.WARNING, logger="seamline.production.engine"),
        Platform(settings, small) as platform,
    ):
        restored = platform.health()["components"]["production"]["restored"]
        assert restored["used"] is False
        assert why in restored["why"]
        assert _answers(platform, small) == want
    assert f"are not used: {restored['why']}; rebuilding them from every stored event" in caplog.text


def test_a_saved_ledger_makes_no_other_objects_than_a_ledgers(small: Factory) -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (print, ("this must never run",))

    payload = pickle.dumps(Boom(), protocol=5)
    blob = saved.pack(payload, saved.fingerprint(small, 120.0))
    with pytest.raises(saved.SavedStateError, match=r"holds no builtins\.print"):
        saved.load(blob, small, downtime_threshold_s=120.0)
    blob = saved.pack(pickle.dumps({"not": "a ledger"}), saved.fingerprint(small, 120.0))
    with pytest.raises(saved.SavedStateError, match="holds a dict, not a ledger"):
        saved.load(blob, small, downtime_threshold_s=120.0)
    empty = saved.load(
        saved.dump(ProductionLedger(small), small, downtime_threshold_s=120.0),
        small,
        downtime_threshold_s=120.0,
    )
    assert empty.factory is small  # the factory is referred to, not copied
    assert empty.counters is not None
