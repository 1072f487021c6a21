"""Human-edited TOML files (the factory, connector configurations): read, validate, point at errors.

A wrong file never gives a traceback: a :class:`ConfigFileError` names the file, the line, the
field and what is wrong, as ``factory.toml:57: lines[2].stations[0].type: unknown machine type``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from seamline.errors import SeamlineError

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(SeamlineError):
    """A configuration file cannot be used as it is."""

    reason = "config_file"

    def __init__(self, path: str, line: int | None, field: str, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem

    def details(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "field": self.field}


E = TypeVar("E", bound=ConfigFileError)


def read_text(path: Path, error: type[ConfigFileError], what: str) -> str:
    """The file's text; ``what`` says what the file should be, for the not-found message."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(str(path), None, "", f"no such file; pass the path of {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(str(path), None, "", f"cannot read it: {exc}") from None


def parse_model(text: str, path: str, model: type[M], error: type[ConfigFileError]) -> M:
    """Parse TOML ``text`` and validate it as ``model``; the first problem becomes ``error``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise error(path, int(m.group(1)) if m else None, "", f"not valid TOML: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise located(error, text, path, tuple(first["loc"]), first["msg"] + more) from None


def located(error: type[E], text: str, path: str, loc: Sequence[int | str], problem: str) -> E:
    """``error`` for the field at ``loc``, with its line looked up in ``text``."""
    return error(path, locate(text, loc), dotted(loc), problem)


def dotted(loc: Sequence[int | str]) -> str:
    """``("lines", 2, "stations")`` -> ``"lines[2].stations"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def locate(text: str, loc: Sequence[int | str]) -> int | None:
    """Best-effort line number (1-based) of the field at pydantic location ``loc`` in TOML ``text``.

    TOML parsers keep no positions, so this walks the text: a key is found as a table header
    (``[key]``, ``[[a.key]]``) or an assignment (``key =``); an index skips that many repeated
    headers, or that many inline-table entries.
    """
    lines = text.splitlines()
    pos = 0
    header: str | None = None
    found: int | None = None
    for part in loc:
        if isinstance(part, int):
            if header is not None:
                seen = 0
                for i in range(pos, len(lines)):
                    if lines[i].strip() == header:
                        if seen == part:
                            pos, found = i, i + 1
                            break
                        seen += 1
            else:
                # inline tables: count the opening braces after the key, across lines
                seen = 0
                for i in range(pos, len(lines)):
                    text_i = lines[i].split("=", 1)[1] if i == pos and "=" in lines[i] else lines[i]
                    seen += text_i.count("{")
                    if seen > part:
                        pos, found = i, i + 1
                        break
            continue
        key = re.escape(str(part))
        pattern = re.compile(
            rf"^\s*\[\[?([\w.\-]+\.)?{key}\]\]?\s*(#.*)?$|(^|[\s{{,]){key}\s*=|^\s*\"{key}\"\s*="
        )
        for i in range(pos, len(lines)):
            if pattern.search(lines[i]):
                pos, found = i, i + 1
                stripped = lines[i].strip()
                header = stripped.split("#")[0].strip() if stripped.startswith("[[") else None
                break
    return found
