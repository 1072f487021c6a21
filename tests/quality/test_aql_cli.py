"""`seamline aql`: the plan as JSON and as a readable line, and exit code 2 for what the standard lacks."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from seamline.cli import app


def aql(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["aql", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_plan_for_a_garment_lot() -> None:
    code, out, _ = aql("--lot-size", "1000", "--level", "II", "--aql", "2.5", "--json")
    assert code == 0
    assert orjson.loads(out) == {
        "standard": "ISO 2859-1 / ANSI/ASQ Z1.4 single sampling",
        "table": "II-A",
        "lot_size": 1000,  # 501-1200 at level II -> J
        "level": "II",
        "aql": 2.5,
        "inspection": "normal",
        "code_letter": "J",
        "plan_letter": "J",
        "sample_size": 80,
        "units_to_inspect": 80,
        "accept": 5,
        "reject": 6,
        "hundred_percent": False,
    }


def test_json_plan_with_an_arrow_and_a_whole_lot_to_inspect() -> None:
    code, out, _ = aql("--lot-size", "10", "--aql", "1.0", "--inspection", "tightened", "--json")
    assert code == 0
    plan = orjson.loads(out)
    # 9-15 at level II -> B; Table II-B at 1.0: arrows down to F, n 20, Ac 0 / Re 1; 20 >= 10
    assert (plan["code_letter"], plan["plan_letter"], plan["sample_size"]) == ("B", "F", 20)
    assert (plan["accept"], plan["reject"], plan["units_to_inspect"], plan["hundred_percent"]) == (
        0,
        1,
        10,
        True,
    )
    assert plan["table"] == "II-B"


def test_readable_output() -> None:
    code, out, _ = aql("--lot-size", "3000", "--aql", "2.5", "--inspection", "reduced")
    assert code == 0
    assert "code letter K" in out
    assert "sample 50 units; accept with <= 3 nonconforming, reject with >= 6" in out
    assert "4 to 5 nonconforming: accept, but reinstate normal inspection" in out


@pytest.mark.parametrize(
    ("args", "field", "allowed"),
    [
        (["--lot-size", "1", "--aql", "2.5"], "lot_size", "2 or more"),
        (["--lot-size", "100", "--aql", "2.4"], "aql", "0.010, 0.015"),
        (["--lot-size", "100", "--aql", "2.5", "--level", "IV"], "level", "S-1, S-2, S-3, S-4, I, II, III"),
        (["--lot-size", "100", "--aql", "2.5", "--inspection", "strict"], "inspection", "normal, tightened"),
    ],
)
def test_bad_input_exits_2_saying_what_is_allowed(args: list[str], field: str, allowed: str) -> None:
    code, out, err = aql(*args, "--json")
    assert code == 2
    assert out == ""
    assert f"error: {field}" in err
    assert allowed in err


def test_a_lot_size_that_is_not_a_number_is_a_usage_error() -> None:
    code, _, _ = aql("--lot-size", "many", "--aql", "2.5")
    assert code == 2
