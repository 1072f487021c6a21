"""`seamline bench query --url` times the same query kinds over HTTP against a running `seamline serve`
on a store the in-process run built. Nothing here asserts a speed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from e2e_helpers import seamline
from typer.testing import CliRunner

from seamline.cli import app

HOURS = "0.02"  # 72 s of the reference factory, ~1.1 M readings


def bench(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["bench", "query", "--json", "--hours", HOURS, "--runs", "3", *args])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = orjson.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_over_http_every_kind_of_the_in_process_run_is_timed_against_serve(tmp_path: Path) -> None:
    data = tmp_path / "data"
    local = bench("--data-dir", str(data))
    with seamline(["serve", "--data-dir", str(data), "--mqtt", "none"], tmp_path) as srv:
        remote = bench("--url", srv.base, "--token", srv.token or "")
    assert "build" not in remote
    assert remote["url"] == srv.base
    assert remote["server"]["readings"] == local["build"]["readings"]
    assert remote["server"]["end_ms"] == local["build"]["end_ms"]  # the newest reading, + 1 ms
    assert set(remote["queries"]) == set(local["queries"])
    for kind, q in remote["queries"].items():
        assert q["runs"] == 3, kind
        assert 0 < q["p50_ms"] <= q["p95_ms"] <= q["max_ms"], kind
    assert remote["goal"]["worst_p95_ms"] == max(q["p95_ms"] for q in remote["queries"].values())


def test_a_server_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "query", "--url", "http://127.0.0.1:9", "--runs", "1"])
    assert result.exit_code == 1
    assert "http://127.0.0.1:9" in result.stderr
    both = CliRunner().invoke(app, ["bench", "query", "--url", "http://x", "--data-dir", str(tmp_path)])
    assert both.exit_code == 2
    assert "takes no --data-dir" in both.stderr
