"""Copy the pinned front-end libraries from web/node_modules into the package, with a manifest.

    cd web && npm ci && python3 vendor.py

The web app serves only what lies in src/seamline/web/ui/static/vendor/: this script copies each
file listed below from the package npm installed (versions pinned in package-lock.json), with the
package's licence, and writes VENDOR.json (name, version, licence, file, sha256). The test
tests/web/test_vendor.py checks the files against the manifest and the lockfile, and against
node_modules byte for byte when it is there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE.parent / "src" / "seamline" / "web" / "ui" / "static" / "vendor"
FILES = {  # package -> (files from its folder, its licence files)
    "echarts": (["dist/echarts.min.js"], ["LICENSE", "NOTICE"]),
    "uplot": (["dist/uPlot.iife.min.js", "dist/uPlot.min.css"], ["LICENSE"]),
}


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest = []
    for package, (files, licences) in FILES.items():
        src = HERE / "node_modules" / package
        meta = json.loads((src / "package.json").read_text(encoding="utf-8"))
        for rel in [*files, *licences]:
            name = Path(rel).name if rel in files else f"{package}.{Path(rel).name}"
            shutil.copyfile(src / rel, VENDOR / name)
            manifest.append(
                {
                    "package": package,
                    "version": meta["version"],
                    "license": meta["license"],
                    "source": rel,
                    "file": name,
                    "sha256": hashlib.sha256((VENDOR / name).read_bytes()).hexdigest(),
                }
            )
    (VENDOR / "VENDOR.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{len(manifest)} files in {VENDOR}")


if __name__ == "__main__":
    main()
