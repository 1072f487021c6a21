"""The vendored front-end libraries are exactly what the lockfile pins, and pages load nothing else."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
VENDOR = ROOT / "src" / "seamline" / "web" / "ui" / "static" / "vendor"
STATIC = VENDOR.parent
LOCK = json.loads((ROOT / "web" / "package-lock.json").read_text(encoding="utf-8"))
MANIFEST = json.loads((VENDOR / "VENDOR.json").read_text(encoding="utf-8"))


def test_every_vendored_file_is_in_the_manifest_with_its_hash_version_and_licence() -> None:
    listed = {entry["file"] for entry in MANIFEST}
    assert listed == {p.name for p in VENDOR.iterdir()} - {"VENDOR.json"}
    for entry in MANIFEST:
        data = (VENDOR / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert LOCK["packages"][f"node_modules/{entry['package']}"]["version"] == entry["version"]
        assert entry["license"] in ("Apache-2.0", "MIT")
        assert any(e["file"].endswith("LICENSE") for e in MANIFEST if e["package"] == entry["package"])


def test_the_vendored_files_equal_their_npm_sources() -> None:
    modules = ROOT / "web" / "node_modules"
    if not (modules / ".package-lock.json").exists():
        pytest.fail("web/node_modules is missing: ./dev test runs `npm ci` in web/ before the tests")
    for entry in MANIFEST:
        source = modules / entry["package"] / entry["source"]
        assert source.read_bytes() == (VENDOR / entry["file"]).read_bytes(), (
            f"{entry['file']}: run web/vendor.py"
        )


def test_pages_and_styles_reference_only_the_package_static_folder() -> None:
    templates = [
        *ROOT.glob("src/seamline/*/templates/*.html"),
        *ROOT.glob("src/seamline/web/ui/templates/*.html"),
    ]
    assert templates
    for path in [*templates, *STATIC.glob("*.css"), *STATIC.glob("*.js")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", text), f"{path.name} loads from elsewhere"
        assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", text), f"{path.name} loads from elsewhere"
        for ref in re.findall(r"(?:src|href)=\"(/static/[^\"?#]+)", text):
            assert (STATIC / ref.removeprefix("/static/")).is_file(), (
                f"{path.name}: {ref} is not in the package"
            )
