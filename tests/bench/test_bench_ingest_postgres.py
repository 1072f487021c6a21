"""`seamline bench ingest --store postgresql://...` as a smoke run: the same path into PostgreSQL.

No speed is asserted: a small run must go through MQTT into a schema of its own, lose and duplicate
nothing, report the figures with ``store: postgresql``, and leave no schema behind.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
import psycopg
import pytest
from typer.testing import CliRunner

from seamline.cli import app

POSTGRES_URL: Final = "postgresql://root@127.0.0.1:5432/test"
START_HINT: Final = "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"


def bench_schemas() -> set[str]:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as con:
            rows = con.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'seamline\\_bench\\_%'"
            ).fetchall()
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {POSTGRES_URL} ({str(exc).strip()}); {START_HINT}")
    return {str(r[0]) for r in rows}


def bench(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["bench", "ingest", "--json", *args])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = orjson.loads(result.stdout.strip().splitlines()[-1])
    return out


@pytest.mark.parametrize("fmt", ["binary", "json"])
def test_a_small_run_into_postgresql_stores_every_reading_once(fmt: str) -> None:
    before = bench_schemas()
    r = bench("--readings", "5000", "--format", fmt, "--store", POSTGRES_URL)
    assert (r["store"], r["transport"], r["format"]) == ("postgresql", "mqtt", fmt)
    assert r["readings"] >= 5000
    assert (r["lost"], r["duplicated"], r["rejected"]) == (0, 0, 0)
    assert r["value_sum_matches"] is True
    assert r["compaction"]["ran"] is True
    # the platform's maintenance loop rolled up (PostgreSQL compacts nothing: it keeps rows)
    assert r["maintenance"]["rolled_up_buckets"] + r["compaction"]["rolled_up_buckets"] > 0
    assert r["verification"]["sensors"] == r["verification"]["sensors_stored"] > 0
    # a reading takes tens of bytes as a PostgreSQL row: the size comes from the server, not a guess
    assert r["disk_bytes"] == r["compaction"]["store_disk_bytes_open"] > 0
    assert r["cpu_s"]["postgres"] > 0
    assert "bytes_per_reading" not in r["goals"]
    assert r["goals"]["readings_per_s"]["goal"] == 300_000
    assert bench_schemas() <= before  # the run's schema is gone


def test_the_embedded_store_is_still_the_default() -> None:
    r = bench("--readings", "5000", "--transport", "inproc")
    assert r["store"] == "duckdb"
    assert (r["lost"], r["duplicated"]) == (0, 0)
    assert "postgres" not in r["cpu_s"]


def test_a_store_that_is_not_a_postgresql_url_is_refused() -> None:
    result = CliRunner().invoke(app, ["bench", "ingest", "--readings", "1000", "--store", "/tmp/x.duckdb"])
    assert result.exit_code == 2, result.output
    assert "postgresql://" in result.output


def test_an_unreachable_server_is_named_with_what_to_check() -> None:
    result = CliRunner().invoke(
        app, ["bench", "ingest", "--readings", "1000", "--store", "postgresql://root@127.0.0.1:1/test"]
    )
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL at postgresql://root@127.0.0.1:1/test" in result.output
