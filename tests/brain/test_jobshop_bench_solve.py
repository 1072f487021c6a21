"""`seamline bench solve`: a family's instances, their best known values and gaps, beside the peer."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from seamline.bench.solve_families import FAMILIES, family_instances
from seamline.cli import app


def bench_solve(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["bench", "solve", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_every_family_reads_its_table_and_files(bench: Path) -> None:
    sizes = {name: len(family_instances(bench, name)) for name in FAMILIES}
    assert (sizes["ta"], sizes["la"], sizes["ft"], sizes["mk"], sizes["edata"]) == (50, 40, 3, 15, 66)
    assert sizes["jssp"] == 93
    assert sizes["salbp2"] == 302
    assert (sizes["heskia"], sizes["roszieg"]) == (80, 80)
    for name in FAMILIES:
        first = family_instances(bench, name)[0]
        assert first.path.is_file(), first
        assert first.read().name
    (ft10,) = [i for i in family_instances(bench, "ft") if i.name == "ft10"]
    assert (ft10.best_known, ft10.lower_bound, ft10.kind) == (930, 930, "jobshop")
    buxey = family_instances(bench, "salbp2")[0]
    assert (buxey.name, buxey.stations, buxey.best_known) == ("BUXEY_m7", 7, 47)


def test_json_rows_gaps_and_the_peer_beside(bench: Path) -> None:
    code, out, err = bench_solve(
        "jssp", "--time-limit", "5", "--instances", "ft06,la01", "--peer", "cpsat",
        "--workers", "1", "--benchdata", bench, "--json",
    )  # fmt: skip
    assert code == 0, err
    body = orjson.loads(out)
    assert [row["instance"] for row in body["rows"]] == ["ft06", "la01"]
    ft06 = body["rows"][0]
    assert (ft06["best_known"], ft06["brain"]["objective"], ft06["brain"]["gap_pct"]) == (55, 55, 0.0)
    assert ft06["peer"]["objective"] == 55
    assert body["brain"]["best_known_reached"] == 2
    assert body["peer_means"]["instances"] == 2
    assert "2/2 la01" in err  # progress goes to stderr


def test_readable_table_and_errors(bench: Path) -> None:
    code, out, _ = bench_solve("ft", "--time-limit", "2", "--instances", "ft06", "--benchdata", bench)
    assert code == 0
    assert "ft06" in out
    assert "brain: mean gap 0.00 %, best known on 1/1" in out
    code, _, err = bench_solve("nope", "--time-limit", "1", "--benchdata", bench)
    assert code != 0
    assert "use one of" in err
    code, _, err = bench_solve("ft", "--time-limit", "1", "--instances", "ta01", "--benchdata", bench)
    assert code != 0
    assert "not in ft: ta01" in err
