"""`seamline import`: historical events through ingest's checks, every bad row reported with its line
number, nothing stored on a dry run, and the imported scans counted as production records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seamline.cli import app
from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.production.kpi import totals
from seamline.settings import Settings

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
T0 = 1_793_606_400_000  # 2026-11-02T08:00:00Z
SCANNER = "L1-BUNDLESCANNER01"


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def rows() -> list[str]:
    login = {
        "device": SCANNER,
        "ts": T0,
        "type": "badge",
        "operator": "L1-OP03",
        "action": "login",
        "workstation": "L1-S01",
    }
    scans = [
        {"device": SCANNER, "ts": T0 + 60_000 * i, "type": "scan", "bundle": f"PO-1-B{i:04d}",
         "operation": "A010", "operator": "L1-OP03", "workstation": "L1-S01", "pieces": 5}
        for i in (1, 2, 3)
    ]  # fmt: skip
    return [
        json.dumps(login),
        *(json.dumps(s) for s in scans),
        "{not json",
        json.dumps({**scans[0], "device": "NO-SUCH-DEVICE"}),
        json.dumps({**scans[0], "pieces": -2}),
        "",
    ]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["import", *args, "--factory", str(SMALL_TOML)])
    return result.exit_code, result.stdout, result.stderr


def test_a_dry_run_reports_every_bad_row_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(rows()) + "\n")
    code, out, err = run(str(path), "--dry-run", "--data-dir", str(tmp_path / "data"))
    assert code == 1
    assert "7 rows, 4 valid (3 scan, 1 badge), 3 bad" in out
    assert "dry run: nothing was stored" in out
    lines = err.splitlines()
    assert "  line 5: not JSON (Expecting property name enclosed in double quotes)" in lines
    assert any(x.startswith("  line 6: ") and "NO-SUCH-DEVICE" in x for x in lines)
    assert any(x.startswith("  line 7: ") and "pieces" in x for x in lines)
    assert not (tmp_path / "data").exists()


def test_imported_scans_become_production_records_once(tmp_path: Path, small: Factory) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(rows()[:4]) + "\n")
    data = tmp_path / "data"
    code, out, _ = run(str(path), "--data-dir", str(data))
    assert code == 0, out
    assert "stored 4 events (0 already stored)" in out
    code, out, _ = run(str(path), "--data-dir", str(data))  # the same file again: stored once
    assert code == 0
    assert "stored 0 events (4 already stored)" in out
    with Platform(Settings(data_dir=data, mqtt_url=None, factory_file=SMALL_TOML), small) as platform:
        got = platform.production.read(lambda lg: totals(lg, T0, T0 + 3_600_000, by=("operator",)))
    assert got[("L1-OP03",)].pieces == 15
    assert got[("L1-OP03",)].earned_min == pytest.approx(15 * 0.3)


def test_csv_with_iso_times_and_json_defects(tmp_path: Path) -> None:
    path = tmp_path / "quality.csv"
    path.write_text(
        "device,ts,type,kind,bundle,operator,workstation,checked,defective,defects\n"
        f"{SCANNER},2026-11-02T14:00:00+06:00,inspection,end_of_line,PO-1-B0001,L1-OP03,L1-S01,5,1,"
        '"[{""code"": ""skip"", ""count"": 2, ""severity"": ""minor""}]"\n'
        f"{SCANNER},2026-11-02 14:00,inspection,end_of_line,PO-1-B0001,L1-OP03,L1-S01,5,0,[]\n"
        f"{SCANNER},{T0},inspection,end_of_line,PO-1-B0001,L1-OP03,L1-S01,five,0,[]\n"
    )
    code, out, err = run(str(path), "--dry-run")
    assert code == 1
    assert "3 rows, 1 valid (1 inspection), 2 bad" in out
    assert "line 3: ts: an ISO 8601 time needs its offset" in err
    assert "line 4: checked: not a whole number: 'five'" in err


def test_a_file_that_is_neither_jsonl_nor_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.xlsx"
    path.write_bytes(b"PK")
    code, _, err = run(str(path), "--dry-run")
    assert code == 2
    assert "import reads .jsonl, .ndjson or .csv files, not .xlsx" in err
