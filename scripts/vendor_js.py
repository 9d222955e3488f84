"""Vendor the page's JavaScript from npm, reproducibly: `./dev vendor`.

Each package is fetched with `npm pack` at a pinned version, its tarball checked against
the pinned integrity (the registry's sha512, as in a package-lock), and only the files the
box serves are copied, with the version and licence in their names. The results are
committed, so a box (and CI) never needs npm; run this only to update a version (change
the pin and the integrity together: `npm view leaflet@X.Y.Z dist.integrity`).
"""
from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {
    # name: (version, integrity, licence, {file in the tarball: name under dest}, dest)
    "leaflet": ("1.9.4", "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
                "BSD-2-Clause",
                {"package/dist/leaflet.js": "leaflet-{v}-{lic}.js",
                 "package/dist/leaflet.css": "leaflet-{v}-{lic}.css",
                 "package/LICENSE": "leaflet-{v}-{lic}.LICENSE.txt"},
                REPO / "webui" / "static" / "vendor"),
    # The accessibility checker the browser tests inject; never served by the box.
    "axe-core": ("4.10.3", "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg==",
                 "MPL-2.0",
                 {"package/axe.min.js": "axe-core-{v}-{lic}.min.js",
                  "package/LICENSE": "axe-core-{v}-{lic}.LICENSE.txt"},
                 REPO / "tests" / "webui" / "vendor"),
}


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def vendor(name: str) -> list[Path]:
    version, expected, licence, files, dest = PACKAGES[name]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tarball = next(Path(tmp).glob("*.tgz"))
        data = tarball.read_bytes()
        if integrity(data) != expected:
            sys.exit(f"{name}@{version}: integrity mismatch ({integrity(data)}), refusing")
        dest.mkdir(parents=True, exist_ok=True)
        for old in dest.glob(f"{name}-*"):
            old.unlink()
        written = []
        with tarfile.open(tarball) as tar:
            for inner, pattern in files.items():
                out = dest / pattern.format(v=version, lic=licence)
                out.write_bytes(tar.extractfile(inner).read())
                written.append(out)
    return written


def main() -> int:
    for name in PACKAGES:
        for path in vendor(name):
            print(f"{name}: {path.relative_to(REPO)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
