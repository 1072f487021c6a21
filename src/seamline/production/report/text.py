"""Every word the shift report shows a reader, in one place.

Keys are stable ids, values the English source. A translation catalogue (gettext/Babel, as the
web app's will be) maps the same keys per locale later; the writers never spell a label
themselves. The CSV's column names are not here: they are a data interface (see the README), not
prose, and stay the same in every language.
"""

from __future__ import annotations

from typing import Final

TEXT: Final[dict[str, str]] = {
    "title": "Shift report",
    "title_line": "Shift report: {site}",
    "subtitle": "{date}, shift {shift}: {start} to {end} ({timezone})",
    "planned": "Targets assume {pct} planned efficiency: target = attended minutes x {pct} / garment SAM.",
    "data_until": "Newest production event in the store: {when}.",
    "no_records": "The store has no production records in this shift.",
    "summary": "Summary",
    "operators": "Operators",
    "line": "Line",
    "line_name": "Name",
    "line_heading": "{name} ({line})",
    "line_figures": (
        "Style {style}, garment SAM {sam} min. Output {output} of target {target} ({vs}), efficiency {eff},"
        " DHU {dhu}, RFT {rft}, OEE {oee}; downtime {downtime} min."
    ),
    "hour": "Hour",
    "hour_span": "{start}-{end}",
    "style": "Style",
    "garment_sam": "Garment SAM (min)",
    "output": "Output",
    "target": "Target",
    "variance": "+/- target",
    "output_vs_target": "Output / target",
    "pieces": "Pieces",
    "earned_min": "Earned min",
    "attended_min": "Attended min",
    "efficiency": "Efficiency %",
    "dhu": "DHU",
    "rft": "RFT %",
    "operator": "Operator",
    "operator_name": "Name",
    "shift_total": "Shift",
    "none": "-",
    "oee": "OEE %",
    "downtime": "Downtime by reason",
    "downtime_min": "Downtime min",
    "reason": "Reason",
    "stops": "Stops",
    "minutes": "Minutes",
    "share": "Share",
    "no_downtime": "No downtime reported on this line in this shift.",
    "quality_note": (
        "DHU and RFT come from end-of-line inspections; OEE = efficiency x RFT / 100"
        " (ISO 22400-2: availability x effectiveness x quality rate)."
    ),
    "no_quality": "No end-of-line inspections in this shift: DHU, RFT and OEE are not measured.",
    "chart_output_vs_target": "Output vs target per hour",
    "chart_efficiency": "Efficiency % per hour",
    "chart_planned": "Planned",
    # downtime reasons (docs/telemetry.md); a reason not listed shows as its id
    "reason.no_feeding": "No feeding",
    "reason.machine_breakdown": "Machine breakdown",
    "reason.thread_break": "Thread break",
    "reason.needle_break": "Needle break",
    "reason.meeting": "Meeting",
    "reason.rework": "Rework",
    "reason.changeover": "Style changeover",
    "reason.power_failure": "Power failure",
    "reason.waiting_trims": "Waiting for trims",
    "reason.unassigned": "Unassigned (no reason given yet)",
    "page": "Page {page} of {pages}",
    "footer": "Seamline shift report: {site}, {date}, shift {shift}",
}


def text(key: str, **values: object) -> str:
    """The label ``key``, with ``values`` filled in.

    >>> text("page", page=2, pages=5)
    'Page 2 of 5'
    """
    return TEXT[key].format(**values) if values else TEXT[key]


def reason_label(reason: str) -> str:
    """A downtime reason for a reader.

    >>> reason_label("machine_breakdown"), reason_label("fire_drill")
    ('Machine breakdown', 'fire_drill')
    """
    return TEXT.get(f"reason.{reason}", reason)


__all__ = ["TEXT", "reason_label", "text"]
