"""The floor model: output within SAM capacity, precedence, attendance, quality, changeover."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sim_helpers import Run

from seamline.model.factory import Factory
from seamline.sim import DEFECT_TYPES


def _scans(run: Run) -> list[dict[str, Any]]:
    return [e for _, e in run.events if e["type"] == "scan"]


def _bundle_info(factory: Factory) -> dict[str, tuple[str, int, str]]:
    """bundle id -> (line, quantity, style)"""
    return {b.id: (o.line_id or "", b.quantity, o.style_id) for o in factory.orders for b in o.bundles()}


def _done_before(run: Run) -> dict[str, set[str]]:
    """bundle id -> operations done before the run (the work in progress at the start)."""
    assert run.truth is not None
    done: dict[str, set[str]] = defaultdict(set)
    for w in run.truth.wip_at_start:
        done[w.bundle_id] |= w.done
    return done


def _completions(run: Run, factory: Factory) -> list[tuple[int, str, int]]:
    """(ts, line, pieces) of each bundle whose every operation was done before the run or scanned."""
    info = _bundle_info(factory)
    done = _done_before(run)
    out = []
    for e in _scans(run):
        done[e["bundle"]].add(e["operation"])
        line, qty, style = info[e["bundle"]]
        if len(done[e["bundle"]]) == len(factory.styles[style].bulletin.operations):
            out.append((e["ts"], line, qty))
    return out


def test_line_output_is_within_sam_capacity(day_run: Run, small: Factory) -> None:
    assert day_run.truth is not None
    t0 = day_run.messages[0]["sent_ts"] if day_run.messages else min(e["ts"] for _, e in day_run.events)
    begin, end = t0 + 3_600_000, t0 + 9_000_000  # after an hour of warm-up
    hours = (end - begin) / 3_600_000
    for line in small.lines:
        att = next(a for a in day_run.truth.attendance if a.line_id == line.id)
        sam = small.styles[line.style_id or ""].bulletin.garment_sam_min
        out = (
            sum(q for ts, ln, q in _completions(day_run, small) if ln == line.id and begin <= ts < end)
            / hours
        )
        assert 0 < out <= 1.3 * len(att.present) * 60 / sam, line.id
        if line.id == "L1":  # L2 changes over to another style within this window
            assert out >= 0.3 * len(att.seated) * 60 / sam


def test_the_truth_matches_the_scans(day_run: Run, small: Factory) -> None:
    assert day_run.truth is not None
    scans = _scans(day_run)
    assert day_run.truth.scans == len(scans)
    finished: dict[str, int] = defaultdict(int)
    for _, line, qty in _completions(day_run, small):
        finished[line] += qty
    assert dict(finished) == dict(day_run.truth.pieces_by_line)
    by_op: dict[tuple[str, str], int] = defaultdict(int)
    info = _bundle_info(small)
    for e in scans:
        by_op[(info[e["bundle"]][0], e["operation"])] += e["pieces"]
    sewn_before: dict[tuple[str, str], int] = defaultdict(int)  # part-sewn bundles at the start
    for w in day_run.truth.wip_at_start:
        for op_id, pieces in w.started.items():
            sewn_before[(w.line_id, op_id)] += pieces
    assert sewn_before
    for key, pieces in day_run.truth.pieces_by_operation.items():
        # a scan covers the whole bundle; bundles in progress: 5 pieces, one a seat
        assert 0 <= pieces + sewn_before[key] - by_op.get(key, 0) < 5 * 7


def test_bundles_respect_the_operation_precedence(day_run: Run, small: Factory) -> None:
    info = _bundle_info(small)
    before = _done_before(day_run)
    scanned: dict[tuple[str, str], int] = {}
    for e in _scans(day_run):
        _line, qty, style = info[e["bundle"]]
        ops = {o.id: o for o in small.styles[style].bulletin.operations}
        op = ops[e["operation"]]
        assert e["pieces"] == qty
        assert (e["bundle"], op.id) not in scanned
        assert op.id not in before[e["bundle"]]
        for pred in op.predecessors:
            assert pred in before[e["bundle"]] or scanned[(e["bundle"], pred)] < e["ts"]
        scanned[(e["bundle"], op.id)] = e["ts"]
    assert len(scanned) > 300
    assert any(before.values())  # the run started with work in progress


def test_absent_operators_never_badge_or_scan(day_run: Run) -> None:
    assert day_run.truth is not None
    absent = {o for a in day_run.truth.attendance for o in a.absent}
    seated = {o: ws for a in day_run.truth.attendance for o, ws in a.seated.items()}
    assert "ABSENT-1" in absent
    assert "PRESENT-1" in seated
    logins: dict[str, int] = {}
    for _, e in day_run.events:
        if e["type"] == "badge":
            assert e["operator"] not in absent
            assert e["workstation"] == seated[e["operator"]]
            if e["action"] == "login":
                assert e["operator"] not in logins
                logins[e["operator"]] = e["ts"]
        elif e["type"] in ("scan", "inspection"):
            assert e["operator"] not in absent
            assert e["workstation"] == seated[e["operator"]]
            assert logins[e["operator"]] < e["ts"]
    assert set(logins) == set(seated)


def test_defect_rates_are_plausible(day_run: Run, small: Factory) -> None:
    severities = {d.code: {d.severity, d.escalated} for d in DEFECT_TYPES}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    info = _bundle_info(small)
    for _, e in day_run.events:
        if e["type"] != "inspection":
            continue
        if e["kind"] == "end_of_line":
            assert e["checked"] == info[e["bundle"]][1]
        n = 0
        for d in e["defects"]:
            assert d["severity"] in severities[d["code"]]
            n += d["count"]
        assert e["defective"] <= n
        t = totals[e["kind"]]
        t[0] += e["checked"]
        t[1] += e["defective"]
        t[2] += n
    for kind, (checked, defective, defects) in totals.items():
        dhu = 100 * defects / checked
        assert checked > 200, kind
        assert 1.0 <= dhu <= 12.0, (kind, dhu)
        assert defective <= defects


def test_a_line_changes_over_to_the_next_style(day_run: Run, small: Factory) -> None:
    assert day_run.truth is not None
    (line, at_s, style), *_ = day_run.truth.changeovers
    assert (line, style) == ("L2", "TEST-B")
    t0 = min(e["ts"] for _, e in day_run.events)
    info = _bundle_info(small)
    for e in _scans(day_run):
        if info[e["bundle"]][0] == "L2":
            assert (e["operation"].startswith("B")) == (e["ts"] - t0 > at_s * 1000)
    downtime = [e for d, e in day_run.events if e["type"] == "downtime" and e["reason"] == "changeover"]
    assert downtime
    assert all(
        d.startswith("L2-")
        for d, e in day_run.events
        if e["type"] == "downtime" and e["reason"] == "changeover"
    )
    closed = [e for e in downtime if "duration_s" in e]
    assert closed
    assert all(30 * 60 <= e["duration_s"] <= 60 * 60 for e in closed)


def test_machine_state_times_add_up(day_run: Run, small: Factory) -> None:
    assert day_run.truth is not None
    seated = {ws for a in day_run.truth.attendance for ws in a.seated.values()}
    for d in small.devices:
        st = day_run.truth.state_s.get(d.id)
        if d.workstation_id is None:
            assert st is None
            continue
        assert st is not None
        assert abs(sum(st.values()) - day_run.truth.at_s) < 1e-6
        if d.workstation_id in seated:
            assert 0.05 < st["running"] / day_run.truth.at_s < 0.7
        else:
            assert st["off"] == day_run.truth.at_s
