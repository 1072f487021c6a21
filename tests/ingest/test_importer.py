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


def test_orders_bundles_and_their_scans_import_from_one_csv(tmp_path: Path, small: Factory) -> None:
    """One row per order x colour x size, merged into one order; a bundle row with its ticket; the
    scans of both. After a restart the order is there and the scans are records, not exceptions."""
    path = tmp_path / "orders.csv"
    device = "L2-BUNDLESCANNER01"
    path.write_text(
        "type,ts,device,order,action,style,due,priority,line,bundle_size,colour,size,quantity,bundle,"
        "operation,operator,workstation,pieces\n"
        "order,,,PO-80,,TEST-B,2026-12-20,2,L2,10,olive,M,12,,,,,\n"
        "order,,,PO-80,,TEST-B,2026-12-20,2,L2,10,olive,L,8,,,,,\n"
        "bundle,,,PO-80,,,,,,,olive,L,4,QR-80,,,,\n"
        f"badge,{T0},{device},,login,,,,,,,,,,,L2-OP01,L2-S01,\n"
        f"scan,{T0 + 60_000},{device},,,,,,,,,,,PO-80-B0001,B010,L2-OP01,L2-S01,10\n"
        f"scan,{T0 + 120_000},{device},,,,,,,,,,,QR-80,B010,L2-OP01,L2-S01,4\n"
    )
    data = tmp_path / "data"
    code, out, err = run(str(path), "--data-dir", str(data))
    assert code == 0, out + err
    assert "6 rows, 6 valid (2 order, 2 scan, 1 bundle, 1 badge), 0 bad" in out
    assert "stored 5 events (0 already stored)" in out  # the two order rows are one event
    code, out, _ = run(str(path), "--data-dir", str(data))  # again: stored once, and nothing refused
    assert (code, "stored 0 events (5 already stored)" in out) == (0, True)
    with Platform(Settings(data_dir=data, mqtt_url=None, factory_file=SMALL_TOML), small) as platform:
        entry, records, exceptions, refused = platform.production.read(
            lambda lg: (lg.orders.entries["PO-80"], list(lg.records), list(lg.exceptions), lg.orders.refused)
        )
    assert (entry.order.priority, entry.order.line_id, entry.order.quantity) == (2, "L2", 20)
    assert [(b.id, b.quantity) for b in entry.bundles] == [
        ("PO-80-B0001", 10), ("PO-80-B0002", 2), ("PO-80-B0003", 8), ("QR-80", 4),
    ]  # fmt: skip
    assert [(r.bundle_id, r.order_id, r.pieces) for r in records] == [
        ("PO-80-B0001", "PO-80", 10),
        ("QR-80", "PO-80", 4),
    ]
    assert (exceptions, refused) == ([], 0)


def test_a_dry_run_reports_every_bad_order_and_bundle_row_by_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "type,order,action,style,due,colour,size,quantity,bundle\n"
        "order,PO-81,,TEST-B,2026-12-20,olive,M,12,\n"  # 2: fine
        "order,PO-81,,TEST-B,2026-12-24,olive,L,8,\n"  # 3: another due date for the same order
        "order,PO-81,,TEST-B,2026-12-20,olive,M,5,\n"  # 4: olive/M twice
        "order,PO-82,,NOPE,2026-12-20,olive,M,5,\n"  # 5: unknown style
        "order,PO-82,,NOPE,2026-12-20,olive,L,5,\n"  # 6: the rest of that order
        "order,PO-1,,TEST-A,2026-12-20,navy,M,5,\n"  # 7: the factory file's order id
        "bundle,PO-99,,,,olive,M,5,QR-1\n"  # 8: no such order
        "bundle,PO-81,,,,olive,M,5,PO-1-B0001\n"  # 9: a ticket of another order
        "bundle,PO-81,,,,olive,M,five,QR-2\n"  # 10: not a number
        "bundle,PO-81,,,,olive,M,5,QR-3\n"  # 11: fine
        "order,PO-83,,TEST-B,2026-12-20,olive,M,,\n"  # 12: colour and size without quantity
    )
    data = tmp_path / "data"
    code, out, err = run(str(path), "--dry-run", "--data-dir", str(data))
    assert code == 1
    assert "11 rows, 2 valid (1 order, 1 bundle), 9 bad" in out
    assert "dry run: nothing was stored" in out
    bad = {int(x.split(":")[0].split()[1]): x for x in err.splitlines() if x.startswith("  line ")}
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert "due: '2026-12-24' here, '2026-12-20' on line 2 for the same order" in bad[3]
    assert "colour 'olive' size 'M' is given twice for order 'PO-81'" in bad[4]
    assert "'NOPE' is not a style of the factory file" in bad[5]
    assert "part of order 'PO-82', refused on line 5" in bad[6]
    assert "order 'PO-1' exists already" in bad[7]
    assert "no order 'PO-99'" in bad[8]
    assert "ticket 'PO-1-B0001' is a bundle of order 'PO-1' already" in bad[9]
    assert "quantity: not a whole number: 'five'" in bad[10]
    assert "an order row gives colour, size and quantity together" in bad[12]
    assert not data.exists()


def test_bundles_of_an_order_imported_before_are_checked_against_the_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = tmp_path / "orders.jsonl"
    first.write_text(json.dumps({"type": "order", "order": "PO-84", "style": "TEST-B", "due": "2026-12-20",
                                 "quantities": {"olive": {"M": 10}}, "bundles": []}) + "\n")  # fmt: skip
    assert run(str(first), "--data-dir", str(data))[0] == 0
    later = tmp_path / "bundles.jsonl"
    bundle = {
        "type": "bundle",
        "order": "PO-84",
        "bundle": "QR-84",
        "colour": "olive",
        "size": "M",
        "quantity": 10,
    }
    later.write_text(json.dumps(bundle) + "\n" + json.dumps({**bundle, "size": "S"}) + "\n")
    code, out, err = run(str(later), "--dry-run", "--data-dir", str(data))
    assert code == 1
    assert "2 rows, 1 valid (1 bundle), 1 bad" in out
    assert "line 2: order 'PO-84' has no colour 'olive' size 'S'" in err
