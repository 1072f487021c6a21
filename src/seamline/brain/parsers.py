"""Read the public benchmark formats into problems, saying exactly where a file goes wrong.

- :func:`read_jobshop`: the standard (OR-Library) job-shop text: ``n m``, then per job ``m`` pairs
  ``machine duration`` in route order, machines from 0; ``#`` lines are comments.
- :func:`read_fjsp`: the Brandimarte/Hurink flexible job-shop text: ``n m [average]``, then per job
  ``n_ops`` and for each operation ``k`` followed by k pairs ``machine duration``, machines from 1.
- :func:`read_salbp2`: Scholl's ``.IN2``: ``n``, n task times, arcs ``i,j`` (from 1) up to ``-1,-1``;
  the lines after it are remarks (the source of the graph, in German).
- :func:`read_alwabp`: the ALWABP text of Chaves et al.: ``n``, n lines of one time per worker
  (``Inf`` where the worker cannot do the task), pairs ``i j`` up to ``-1 -1`` or the end of file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from seamline.brain.errors import ProblemFileError
from seamline.brain.problems import Alwabp, FlexibleJobShop, JobShop, Salbp2, Step


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProblemFileError(path, None, "a problem file", "no such file") from None
    except OSError as exc:
        raise ProblemFileError(
            path, None, "a readable file", f"{type(exc).__name__}: {exc.strerror}"
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Scholl's 1993 files end with remarks in the DOS code page (gel\x94scht); the numbers are ASCII
        return data.decode("cp437")


class _Tokens:
    """The file's whitespace-separated tokens with their line numbers, read as integers on demand."""

    def __init__(self, path: Path, text: str, *, skip: int = 0) -> None:
        self.path = path
        self._items: list[tuple[str, int]] = [
            (tok, number)
            for number, line in enumerate(text.splitlines(), start=1)
            if number > skip and not line.lstrip().startswith("#")
            for tok in line.split()
        ]
        self._at = 0
        self.last_line = len(text.splitlines())

    def integer(self, expected: str, *, low: int | None = None, high: int | None = None) -> int:
        tok, line = self._next(expected)
        if not re.fullmatch(r"[+-]?\d+", tok):
            raise ProblemFileError(self.path, line, expected, repr(tok))
        value = int(tok)
        if (low is not None and value < low) or (high is not None and value > high):
            raise ProblemFileError(self.path, line, expected, str(value))
        return value

    def line_of_next(self) -> int:
        return self._items[self._at][1] if self._at < len(self._items) else self.last_line

    def done(self) -> bool:
        return self._at >= len(self._items)

    def _next(self, expected: str) -> tuple[str, int]:
        if self._at >= len(self._items):
            raise ProblemFileError(self.path, self.last_line, expected, "the end of the file")
        item = self._items[self._at]
        self._at += 1
        return item

    def expect_end(self, after: str) -> None:
        if not self.done():
            tok, line = self._items[self._at]
            raise ProblemFileError(self.path, line, f"the end of the file after {after}", repr(tok))


def read_jobshop(path: Path | str) -> JobShop:
    """A job shop from the standard text format (first line ``n m``, machines from 0)."""
    path = Path(path)
    toks = _Tokens(path, _text(path))
    n = toks.integer("the number of jobs n (first line: n m)", low=1)
    m = toks.integer("the number of machines m (first line: n m)", low=1)
    jobs: list[tuple[Step, ...]] = []
    for j in range(n):
        route: list[Step] = []
        for k in range(m):
            what = f"job {j} (numbered from 0) operation {k}"
            machine = toks.integer(f"the machine of {what}, 0..{m - 1}", low=0, high=m - 1)
            duration = toks.integer(f"the duration of {what}, a whole number >= 0", low=0)
            route.append(Step(machine, duration))
        jobs.append(tuple(route))
    toks.expect_end(f"{n} jobs of {m} operations")
    return JobShop(path.stem, m, tuple(jobs))


def read_fjsp(path: Path | str) -> FlexibleJobShop:
    """A flexible job shop from the Brandimarte/Hurink format (machines from 1 in the file, from 0 here)."""
    path = Path(path)
    text = _text(path)
    first = _first_content_line(text)
    header = text.splitlines()[first - 1].split() if text.strip() else []
    expected = "the first line 'jobs machines [average machines per operation]'"
    if len(header) not in (2, 3) or not all(re.fullmatch(r"\d+", h) for h in header[:2]):
        raise ProblemFileError(path, first, expected, repr(" ".join(header)))
    n, m = int(header[0]), int(header[1])
    if n < 1 or m < 1:
        raise ProblemFileError(
            path, first, expected + " with at least 1 job and 1 machine", repr(" ".join(header))
        )
    toks = _Tokens(path, text, skip=first)
    jobs: list[tuple[tuple[Step, ...], ...]] = []
    for j in range(n):
        n_ops = toks.integer(f"the number of operations of job {j} (numbered from 0), >= 1", low=1)
        ops: list[tuple[Step, ...]] = []
        for k in range(n_ops):
            what = f"job {j} operation {k} (numbered from 0)"
            line = toks.line_of_next()
            count = toks.integer(f"the number of eligible machines of {what}, 0..{m}", low=0, high=m)
            steps: dict[int, Step] = {}
            for _ in range(count):
                machine = toks.integer(f"a machine of {what}, 1..{m}", low=1, high=m) - 1
                duration = toks.integer(f"the duration of {what} on machine {machine + 1}, >= 0", low=0)
                if machine in steps:
                    raise ProblemFileError(
                        path, line, f"each machine at most once in {what}", f"machine {machine + 1} twice"
                    )
                steps[machine] = Step(machine, duration)
            ops.append(tuple(steps.values()))
        jobs.append(tuple(ops))
    toks.expect_end(f"{n} jobs")
    return FlexibleJobShop(path.stem, m, tuple(jobs))


def _first_content_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            return number
    return 1


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line.strip()


def read_salbp2(path: Path | str, stations: int) -> Salbp2:
    """A SALBP-2 instance: Scholl's ``.IN2`` precedence graph and task times, onto ``stations`` stations."""
    path = Path(path)
    lines = _lines(_text(path))
    n = _int(path, lines, "the number of tasks n (first line)", low=1)
    times = tuple(
        _int(path, lines, f"the time of task {i}, a whole number >= 0", low=0) for i in range(1, n + 1)
    )
    arcs = _arcs(path, lines, n, separator=",")
    return Salbp2(path.stem, times, arcs, stations)


def read_alwabp(path: Path | str) -> Alwabp:
    """An ALWABP-2 instance: per task one time per worker (``Inf``: cannot), then precedence pairs."""
    path = Path(path)
    lines = _lines(_text(path))
    n = _int(path, lines, "the number of tasks n (first line)", low=1)
    rows: list[tuple[int | None, ...]] = []
    width: int | None = None
    for i in range(1, n + 1):
        number, line = _take(path, lines, f"task {i}'s time for each worker")
        cells = line.split()
        expected = f"task {i}'s time for each of the {width} workers" if width else f"task {i}'s times"
        if width is not None and len(cells) != width:
            raise ProblemFileError(path, number, expected, f"{len(cells)} values")
        width = len(cells)
        row: list[int | None] = []
        for cell in cells:
            if cell.lower() == "inf":
                row.append(None)
            elif re.fullmatch(r"\d+", cell):
                row.append(int(cell))
            else:
                raise ProblemFileError(path, number, f"{expected}: whole numbers >= 0 or Inf", repr(cell))
        rows.append(tuple(row))
    arcs = _arcs(path, lines, n, separator=None)
    # the benchmark's files are named by number inside their family's folder: heskia/7 is heskia_7
    name = f"{path.parent.name}_{path.name}" if path.name.isdigit() else path.stem
    return Alwabp(name, tuple(rows), arcs)


def _take(path: Path, lines: Iterator[tuple[int, str]], expected: str) -> tuple[int, str]:
    item = next(lines, None)
    if item is None:
        raise ProblemFileError(path, None, expected, "the end of the file")
    return item


def _int(path: Path, lines: Iterator[tuple[int, str]], expected: str, *, low: int) -> int:
    number, line = _take(path, lines, expected)
    if not re.fullmatch(r"[+-]?\d+", line) or int(line) < low:
        raise ProblemFileError(path, number, expected, repr(line))
    return int(line)


def _arcs(
    path: Path, lines: Iterator[tuple[int, str]], n: int, *, separator: str | None
) -> tuple[tuple[int, int], ...]:
    shape = "i,j" if separator else "i j"
    end = "-1,-1" if separator else "-1 -1"
    expected = f"a precedence '{shape}' with tasks 1..{n}, or the terminator '{end}'"
    arcs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for number, line in lines:
        parts = [p.strip() for p in line.split(separator)]
        if len(parts) != 2 or not all(re.fullmatch(r"-?\d+", p) for p in parts):
            raise ProblemFileError(path, number, expected, repr(line))
        i, j = int(parts[0]), int(parts[1])
        if (i, j) == (-1, -1):
            break  # what follows the terminator is a free-text remark in Scholl's files
        if not (1 <= i <= n and 1 <= j <= n):
            raise ProblemFileError(path, number, expected, repr(line))
        if (i - 1, j - 1) not in seen:
            seen.add((i - 1, j - 1))
            arcs.append((i - 1, j - 1))
    return tuple(arcs)
