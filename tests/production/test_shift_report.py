"""`seamline report shift`: the twin's first two hours through ingest into a store, then the report
read back in each format and checked against kpi.totals on the same ledger and the twin's truth."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import psycopg
import pypdf
import pytest
from psycopg import sql
from typer.testing import CliRunner

from seamline.cli import app
from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.production.downtime import reason_pareto
from seamline.production.kpi import quality_totals, totals
from seamline.production.ledger import HOUR_MS, ProductionLedger
from seamline.production.report import read_ledger
from seamline.production.report.csv_out import COLUMNS
from seamline.settings import Settings
from seamline.sim import FloorSimulation, FloorTruth, SimConfig

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)  # shift 1 of 2026-11-02 in the small factory (UTC)
T0 = int(START.timestamp() * 1000)
SHIFT_END = T0 + 8 * HOUR_MS
HOURS = 2  # the twin runs the shift's first two hours; a line changes style in them


@dataclass(frozen=True)
class Floor:
    factory: Factory
    data_dir: Path
    truth: FloorTruth
    ledger: ProductionLedger


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Floor:
    factory = parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))
    data_dir = tmp_path_factory.mktemp("report") / "data"
    settings = Settings(data_dir=data_dir, mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, factory) as platform:
        sim = FloorSimulation(factory, seed=4, start=START, config=SimConfig(initial_wip=False))
        t = 0.0
        while t < HOURS * 3600.0:
            t = min(HOURS * 3600.0, t + 300.0)
            platform.ingestor.submit_messages(sim.advance(t))
        platform.ingestor.flush()
        assert platform.production.drain()
    ledger = read_ledger(factory, data_dir / "seamline.duckdb")
    return Floor(factory, data_dir, sim.truth, ledger)


def report(floor: Floor, *args: str) -> tuple[int, str, str]:
    argv = ["report", "shift", "--data-dir", str(floor.data_dir), "--factory", str(SMALL_TOML), *args]
    result = CliRunner().invoke(app, argv)
    return result.exit_code, result.stdout, result.stderr


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_csv_holds_what_kpi_totals_and_the_twin_say(floor: Floor, tmp_path: Path) -> None:
    out = tmp_path / "shift.csv"
    code, stdout, stderr = report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "csv",
                                  "--output", str(out))  # fmt: skip
    assert code == 0, stderr
    assert str(out) in stdout
    rows = read_csv(out)
    assert list(rows[0]) == list(COLUMNS)
    assert {r["date"] for r in rows} == {"2026-11-02"}
    assert {r["shift"] for r in rows} == {"1"}
    ledger, truth, small = floor.ledger, floor.truth, floor.factory
    shift = {r["line"]: r for r in rows if r["level"] == "shift"}
    assert set(shift) == {"L1", "L2"}
    by_line = totals(ledger, T0, SHIFT_END, by=("line",))
    for line_id, row in shift.items():
        t = by_line[(line_id,)]
        assert int(row["output"]) == t.output == truth.pieces_by_line.get(line_id, 0)
        assert int(row["pieces"]) == t.pieces
        assert float(row["earned_min"]) == pytest.approx(t.earned_min, abs=5e-4)
        assert t.attended_min is not None
        assert float(row["attended_min"]) == pytest.approx(t.attended_min, abs=5e-4)
        assert float(row["efficiency_pct"]) == pytest.approx(100 * t.earned_min / t.attended_min, abs=5e-4)
        assert (row["start"], row["end"]) == ("2026-11-02T08:00:00+00:00", "2026-11-02T16:00:00+00:00")
        # DHU and RFT from the end-of-line inspections the quality tablets reported
        q = quality_totals(ledger, T0, SHIFT_END, by=("line",), where={"kind": "end_of_line"})[(line_id,)]
        eol = truth.reported_inspections[(line_id, "end_of_line")]
        assert (q.checked, q.defects) == (eol.checked, eol.defects)
        assert float(row["dhu"]) == pytest.approx(100.0 * eol.defects / eol.checked, abs=5e-4)
        assert float(row["rft_pct"]) == pytest.approx(100.0 - eol.defective_pct, abs=5e-4)
        # OEE = efficiency x RFT / 100, as the KPI API gives it
        want_oee = float(row["efficiency_pct"]) * float(row["rft_pct"]) / 100.0
        assert float(row["oee_pct"]) == pytest.approx(want_oee, abs=5e-3)
        pareto = reason_pareto(ledger.machines, T0, SHIFT_END, line_id=line_id)
        assert float(row["downtime_min"]) == pytest.approx(sum(m for _, _, m in pareto), abs=5e-3)
    assert sum(int(r["output"]) for r in shift.values()) > 0  # the run made garments
    hours = [r for r in rows if r["level"] == "hour"]
    assert len(hours) == 2 * 8  # every hour of the shift, for each line, hours without work too
    for r in hours:
        start = int(dt.datetime.fromisoformat(r["start"]).timestamp() * 1000)
        t = totals(ledger, start, start + HOUR_MS, by=("line",)).get((r["line"],))
        assert int(r["output"]) == (t.output if t else 0)
        assert int(r["pieces"]) == (t.pieces if t else 0)
        attended = (t.attended_min or 0.0) if t else 0.0
        assert float(r["attended_min"]) == pytest.approx(attended, abs=5e-4)
        # target = attended minutes x 0.70 / garment SAM of that hour's style's current bulletin
        sam = small.styles[r["style"]].bulletin.garment_sam_min
        assert float(r["garment_sam_min"]) == pytest.approx(sam, abs=5e-5)
        assert float(r["target"]) == pytest.approx(attended * 0.70 / sam, abs=5e-3)
        if start >= T0 + HOURS * HOUR_MS:  # after the run: nothing happened
            assert (r["output"], r["pieces"], r["attended_min"], r["efficiency_pct"]) == ("0", "0", "0", "")
    for line_id in ("L1", "L2"):  # a line's hours add up to its shift
        line_hours = [r for r in hours if r["line"] == line_id]
        # after the run the line is idle on the style it last worked on (L2 changed style)
        assert {r["style"] for r in line_hours[HOURS:]} == {line_hours[HOURS - 1]["style"]}
        assert sum(int(r["output"]) for r in line_hours) == int(shift[line_id]["output"])
        assert sum(float(r["target"]) for r in line_hours) == pytest.approx(
            float(shift[line_id]["target"]), abs=0.05
        )
    downtime = [r for r in rows if r["level"] == "downtime"]
    assert downtime  # the twin's lines wait for work and stop for breaks
    for line_id in ("L1", "L2"):
        want = reason_pareto(ledger.machines, T0, SHIFT_END, line_id=line_id)
        got_stops = [(r["reason"], int(r["stops"])) for r in downtime if r["line"] == line_id]
        assert got_stops == [(reason, stops) for reason, stops, _ in want]  # longest first
    operators = [r for r in rows if r["level"] == "operator"]
    got = {r["operator"]: int(r["pieces"]) for r in operators if int(r["pieces"])}
    assert got == dict(truth.scanned_by_operator)
    by_op = totals(ledger, T0, SHIFT_END, by=("line", "operator"))
    for r in operators:
        t = by_op[(r["line"], r["operator"])]
        assert float(r["earned_min"]) == pytest.approx(t.earned_min, abs=5e-4)
        assert float(r["attended_min"]) == pytest.approx(t.attended_min or 0.0, abs=5e-4)
        assert r["operator_name"] == small.operators_by_id[r["operator"]].name


def test_one_line_and_the_default_file_name(
    floor: Floor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = report(
        floor, "--date", "2026-11-02", "--shift", "1", "--line", "L2", "--format", "csv"
    )
    assert code == 0, stderr
    path = tmp_path / "shift-report-2026-11-02-S1-L2.csv"
    assert f"wrote {path.resolve()}" in stdout
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no .part left behind
    rows = read_csv(path)
    assert {r["line"] for r in rows} == {"L2"}


def test_the_workbook_has_a_sheet_per_line_with_a_chart_and_the_operators(
    floor: Floor, tmp_path: Path
) -> None:
    out = tmp_path / "shift.xlsx"
    code, _, stderr = report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "xlsx",
                             "--output", str(out))  # fmt: skip
    assert code == 0, stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "L1 Line 1", "L2 Line 2", "Operators"]
    by_line = totals(floor.ledger, T0, SHIFT_END, by=("line",))
    summary = wb["Summary"]
    assert summary["A1"].value == "Shift report: Test unit"
    assert summary["A2"].value == "2026-11-02, shift 1: 08:00 to 16:00 (UTC)"
    heads = [c.value for c in summary[5]]
    assert heads[:6] == ["Line", "Name", "Style", "Garment SAM (min)", "Output", "Target"]
    for row in summary.iter_rows(min_row=6, max_row=7, values_only=True):
        t = by_line[(row[0],)]
        assert row[4] == t.output == floor.truth.pieces_by_line.get(str(row[0]), 0)
        assert row[7] == t.pieces
        assert row[8] == pytest.approx(t.earned_min)
    assert heads[-3:] == ["RFT %", "OEE %", "Downtime min"]
    eol = floor.truth.reported_inspections[("L1", "end_of_line")]
    l1 = next(summary.iter_rows(min_row=6, max_row=6, values_only=True))
    assert l1[-3] == pytest.approx(100.0 - eol.defective_pct)
    assert l1[-2] == pytest.approx(l1[10] * l1[-3] / 100.0)  # OEE = efficiency x RFT / 100
    sheet = wb["L1 Line 1"]
    assert [c.value for c in sheet[4]][:4] == ["Hour", "Style", "Output", "Target"]
    hours = list(sheet.iter_rows(min_row=5, max_row=12, values_only=True))
    assert [h[0] for h in hours] == [f"{h:02d}:00-{h + 1:02d}:00" for h in range(8, 16)]
    for i, h in enumerate(hours):
        t = totals(floor.ledger, T0 + i * HOUR_MS, T0 + (i + 1) * HOUR_MS, by=("line",)).get(("L1",))
        assert h[2] == (t.output if t else 0)
    total = [c.value for c in sheet[13]]
    assert total[0] == "Shift"
    assert total[2] == by_line[("L1",)].output
    charts = sheet._charts  # openpyxl reads the drawing back: the native chart is there
    assert len(charts) == 1
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "Downtime by reason" in cells
    pareto = reason_pareto(floor.ledger.machines, T0, SHIFT_END, line_id="L1")
    if pareto:
        assert {"Reason", "Stops", "Minutes", "Share"} <= set(cells)
    operators = list(wb["Operators"].iter_rows(min_row=2, values_only=True))
    assert {str(r[1]): r[3] for r in operators if r[3]} == dict(floor.truth.scanned_by_operator)


def test_the_pdf_names_the_shift_the_lines_and_their_totals(floor: Floor, tmp_path: Path) -> None:
    out = tmp_path / "shift.pdf"
    code, _, stderr = report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "pdf",
                             "--output", str(out))  # fmt: skip
    assert code == 0, stderr
    pdf = pypdf.PdfReader(out)
    assert len(pdf.pages) >= 3  # the summary, then a page (or more) per line
    first = pdf.pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape
    assert round(float(first.mediabox.width)) == 842  # A4: 297 mm
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Shift report: Test unit" in text
    assert "2026-11-02, shift 1: 08:00 to 16:00 (UTC)" in text
    assert f"Page 1 of {len(pdf.pages)}" in text
    assert "not yet measured" not in text
    assert "DHU and RFT come from end-of-line inspections" in text
    assert "Downtime by reason" in text
    by_line = totals(floor.ledger, T0, SHIFT_END, by=("line",))
    for line in floor.factory.lines:
        assert f"{line.name} ({line.id})" in text
        t = by_line[(line.id,)]
        assert f"Output {t.output:,} of target" in text
        assert t.attended_min is not None
        assert f"efficiency {100 * t.earned_min / t.attended_min:.1f}%" in text


def test_the_pdf_first_page_renders(floor: Floor, tmp_path: Path) -> None:
    pdfium = pytest.importorskip("pypdfium2")  # a dev extra; see pyproject.toml
    out = tmp_path / "shift.pdf"
    code, _, stderr = report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "pdf",
                             "--output", str(out))  # fmt: skip
    assert code == 0, stderr
    doc = pdfium.PdfDocument(str(out))
    for index in range(min(2, len(doc))):
        image = doc[index].render(scale=1.5).to_pil()
        assert image.size[0] > image.size[1]
        # not blank: the page has ink (tables, text, bars)
        grey = image.convert("L")
        assert grey.getextrema()[0] < 80
    doc.close()


def test_a_shift_without_records_is_written_with_zeros_and_a_warning(floor: Floor, tmp_path: Path) -> None:
    out = tmp_path / "night.csv"
    code, stdout, stderr = report(floor, "--date", "2026-11-02", "--shift", "3", "--format", "csv",
                                  "--output", str(out))  # fmt: skip
    assert code == 0
    assert "no production records in shift 3 of 2026-11-02 (00:00-08:00 UTC)" in stderr
    assert "wrote" in stdout
    rows = read_csv(out)
    assert rows
    assert {r["output"] for r in rows if r["level"] in ("hour", "shift")} == {"0"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-11-31", "--shift", "1", "--format", "csv"], "is not a date"),
        (["--date", "2026-11-02", "--shift", "4", "--format", "csv"], "give a shift from 1 to 3"),
        (["--date", "2026-11-02", "--shift", "0", "--format", "csv"], "shift 0 does not exist"),
        (["--date", "2026-11-02", "--shift", "1", "--format", "csv", "--line", "L9"], "its lines are L1, L2"),
        (["--date", "2026-11-02", "--shift", "1", "--format", "doc"], "doc"),
        (
            ["--date", "2026-11-02", "--shift", "1", "--format", "csv", "--store", "postgresql://x/y"],
            "not both",
        ),
    ],
)
def test_usage_errors_exit_2_and_say_what_to_give(floor: Floor, args: list[str], message: str) -> None:
    code, _, stderr = report(floor, *args)
    assert code == 2
    assert message in " ".join(stderr.split())


def test_a_missing_data_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "shift", "--data-dir", str(tmp_path / "nowhere"),
                                      "--date", "2026-11-02", "--shift", "1", "--format", "csv"])  # fmt: skip
    assert result.exit_code == 2
    assert "no data directory" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing created


def test_a_store_the_service_holds_is_refused_with_what_to_do(floor: Floor, tmp_path: Path) -> None:
    """DuckDB lets no other process read a file another writes: say so, and touch nothing."""
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(floor.data_dir / "seamline.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        code, _, stderr = report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "csv",
                                 "--output", str(tmp_path / "x.csv"))  # fmt: skip
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert code == 1
    said = " ".join(stderr.split())
    assert f"PID {holder.pid}" in said
    assert "Stop that service" in said
    assert "--store postgresql://" in said
    assert not (tmp_path / "x.csv").exists()
    again, _, _ = report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "csv",
                         "--output", str(tmp_path / "y.csv"))  # fmt: skip
    assert again == 0  # the store is intact once the holder has gone
    assert read_csv(tmp_path / "y.csv")


def test_csv_is_one_tidy_table(floor: Floor, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert (
        report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "csv", "--output", str(out))[0] == 0
    )
    raw = out.read_text(encoding="utf-8")
    table = list(csv.reader(io.StringIO(raw)))
    assert table[0] == list(COLUMNS)
    assert {len(r) for r in table} == {len(COLUMNS)}
    assert {r[2] for r in table[1:]} == {"hour", "shift", "operator", "downtime"}


def test_on_postgresql_the_report_runs_beside_the_service(floor: Floor, tmp_path: Path) -> None:
    """The advice the DuckDB refusal gives holds: with --store, the report reads while the service
    writes, and says what the DuckDB report said."""
    url = "postgresql://root@127.0.0.1:5432/test"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {url} ({exc}); start it with `pg_ctlcluster --skip-systemctl-redirect"
                    " $(ls /etc/postgresql) main start`")  # fmt: skip
    schema = f"seamline_test_{uuid.uuid4().hex[:12]}"
    store = f"{url}?schema={schema}"
    settings = Settings(store=store, mqtt_url=None, factory_file=SMALL_TOML)
    try:
        with Platform(settings, floor.factory) as platform:  # the service, holding the writer's lock
            sim = FloorSimulation(floor.factory, seed=4, start=START, config=SimConfig(initial_wip=False))
            t = 0.0
            while t < HOURS * 3600.0:
                t = min(HOURS * 3600.0, t + 300.0)
                platform.ingestor.submit_messages(sim.advance(t))
            platform.ingestor.flush()
            argv = ["report", "shift", "--store", store, "--factory", str(SMALL_TOML), "--date", "2026-11-02",
                    "--shift", "1", "--format", "csv", "--output", str(tmp_path / "pg.csv")]  # fmt: skip
            result = CliRunner().invoke(app, argv)
            assert result.exit_code == 0, result.stderr
        code, _, stderr = report(floor, "--date", "2026-11-02", "--shift", "1", "--format", "csv",
                                 "--output", str(tmp_path / "duckdb.csv"))  # fmt: skip
        assert code == 0, stderr
        assert read_csv(tmp_path / "pg.csv") == read_csv(
            tmp_path / "duckdb.csv"
        )  # the same twin, the same report
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_a_long_name_wraps_in_its_column_instead_of_running_into_the_next() -> None:
    from reportlab.platypus import Paragraph  # noqa: PLC0415

    from seamline.production.report.pdf_out import _table  # noqa: PLC0415

    rows = [
        ["Line", "Name", "Output"],
        ["L05", "Line 5 - woven shirts for export", "36"],
        ["L01", "Polos", "40"],
    ]
    table = _table(rows, numeric_from=2, widths=[30.0, 60.0, 40.0])
    cells = table._cellvalues  # what reportlab will draw
    assert isinstance(cells[1][1], Paragraph)  # too wide for 60 pt: wrapped
    assert cells[2][1] == "Polos"  # fits: drawn as it is
