"""`seamline solve`: the JSON interface of each kind, the readable summary, and errors with exit codes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import orjson
from fastapi import FastAPI
from typer.testing import CliRunner

from seamline.brain import PrecedenceCycleError, ProblemFileError
from seamline.cli import app
from seamline.web.errors import install_error_handlers


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["solve", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_jobshop_json(bench: Path) -> None:
    code, out, _ = run(
        "jobshop", bench / "jssp" / "fisher-thompson" / "ft06.txt", "--time-limit", "20", "--json"
    )
    assert code == 0
    body = orjson.loads(out)
    assert {"objective", "lower_bound", "status", "elapsed_s", "operations"} <= body.keys()
    assert (body["objective"], body["lower_bound"], body["status"]) == (55, 55, "optimal")
    assert isinstance(body["elapsed_s"], float)
    ops = body["operations"]
    assert len(ops) == 36
    assert set(ops[0]) == {"job", "op", "machine", "start", "end"}
    assert [(o["job"], o["op"]) for o in ops[:7]] == [(0, k) for k in range(6)] + [(1, 0)]
    # ft06 job 0 starts "2 1 0 3": op 0 on machine 2 for 1 time unit
    assert (ops[0]["machine"], ops[0]["end"] - ops[0]["start"]) == (2, 1)
    assert max(o["end"] for o in ops) == 55


def test_fjsp_json_machines_from_zero(bench: Path) -> None:
    code, out, _ = run("fjsp", bench / "fjsp" / "brandimarte" / "mk01.txt", "--time-limit", "20", "--json")
    assert code == 0
    body = orjson.loads(out)
    assert body["objective"] == 40
    assert {o["machine"] for o in body["operations"]} <= set(range(6))
    assert min(o["machine"] for o in body["operations"]) == 0


def test_salbp2_json_stations_of_tasks(bench: Path) -> None:
    mertens = bench / "salbp" / "scholl" / "MERTENS.IN2"
    code, out, _ = run("salbp2", mertens, "--stations", "5", "--time-limit", "10", "--json", "--workers", "1")
    assert code == 0
    body = orjson.loads(out)
    assert (body["objective"], body["status"]) == (7, "optimal")
    assert len(body["stations"]) == 5
    assert sorted(t for station in body["stations"] for t in station) == list(range(1, 8))


def test_alwabp_json_workers_and_tasks(bench: Path) -> None:
    code, out, _ = run(
        "alwabp", bench / "alwabp" / "instances" / "roszieg" / "1", "--time-limit", "20", "--json"
    )
    assert code == 0
    body = orjson.loads(out)
    assert body["objective"] == 20
    assert sorted(s["worker"] for s in body["stations"]) == [0, 1, 2, 3]
    assert sorted(t for s in body["stations"] for t in s["tasks"]) == list(range(1, 26))


def test_readable_summary(bench: Path) -> None:
    code, out, _ = run("jobshop", bench / "jssp" / "fisher-thompson" / "ft06.txt", "--time-limit", "20")
    assert code == 0
    assert out.startswith("jobshop ft06.txt: makespan 55 (optimal; lower bound 55, gap 0.00%)")
    assert "machine 5:" in out


def test_errors_exit_non_zero_with_a_message(tmp_path: Path, bench: Path) -> None:
    mertens = bench / "salbp" / "scholl" / "MERTENS.IN2"
    code, _, err = run("salbp2", mertens, "--time-limit", "1")
    assert (code, err.strip()) == (2, "error: salbp2 needs the number of stations: --stations M")
    code, _, err = run("jobshop", mertens, "--stations", "3", "--time-limit", "1")
    assert code == 2
    assert "--stations applies to salbp2 only" in err
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n0 5 7 1\n")
    code, _, err = run("jobshop", bad, "--time-limit", "1")
    assert code == 2
    assert f"{bad}:2: expected the machine of job 0 (numbered from 0) operation 1, 0..1, found 7" in err
    code, _, err = run("fjsp", tmp_path / "missing.fjs", "--time-limit", "1")
    assert code == 2
    assert "no such file" in err
    loop = tmp_path / "loop.IN2"
    loop.write_text("3\n1\n1\n1\n1,2\n2,3\n3,1\n-1,-1\n")
    code, _, err = run("salbp2", loop, "--stations", "2", "--time-limit", "1")
    assert code == 1
    assert "cycle 1 -> 2 -> 3 -> 1" in err
    code, _, _ = run("nonsense", mertens, "--time-limit", "1")
    assert code == 2


def test_the_api_error_shape(tmp_path: Path) -> None:
    api = FastAPI()
    install_error_handlers(api)

    @api.get("/file")
    def file_error() -> None:
        raise ProblemFileError(tmp_path / "x.txt", 3, "a machine 0..5", "'7'")

    @api.get("/cycle")
    def cycle_error() -> None:
        raise PrecedenceCycleError((4, 5))

    async def get(url: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
            return await client.get(url)

    response = asyncio.run(get("/file"))
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "reason": "invalid_problem_file",
            "message": f"{tmp_path / 'x.txt'}:3: expected a machine 0..5, found '7'",
            "details": {
                "path": str(tmp_path / "x.txt"),
                "line": 3,
                "expected": "a machine 0..5",
                "found": "'7'",
            },
        }
    }
    response = asyncio.run(get("/cycle"))
    assert response.status_code == 422
    assert response.json()["error"]["reason"] == "precedence_cycle"
    assert response.json()["error"]["details"] == {"culprit": {"tasks": [4, 5]}}
