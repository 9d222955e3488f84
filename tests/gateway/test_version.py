"""The version is written once, in gateway/__init__.py: the wheel's metadata follows it.

`selfdata upgrade WHEEL` takes the new version from the wheel's name and waits for
`/healthz` to answer it (`gateway.__version__`); the image is named after it; a backup's
manifest records it. Two copies of the number could disagree, and an upgrade would then
roll back a good release as "not answering with the new version".
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import gateway

REPO = Path(__file__).resolve().parents[2]


def test_pyproject_has_no_version_of_its_own():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]


def test_the_built_metadata_takes_the_package_version(tmp_path):
    """setuptools' own metadata step (what a wheel build runs first) on a copy of the tree
    whose __init__.py says 9.8.7."""
    tree = tmp_path / "tree"
    (tree / "gateway").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tree / name)
    text = (REPO / "gateway" / "__init__.py").read_text()
    bumped = re.sub(r'^__version__ = ".*"$', '__version__ = "9.8.7"', text, count=1, flags=re.M)
    assert bumped != text
    (tree / "gateway" / "__init__.py").write_text(bumped)
    out = tmp_path / "meta"
    out.mkdir()
    subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "egg_info",
                    "--egg-base", str(out)], cwd=tree, check=True, capture_output=True,
                   timeout=300)
    info = out / "selfdata_gateway.egg-info" / "PKG-INFO"
    assert "\nVersion: 9.8.7\n" in info.read_text()


def test_the_running_version_is_the_package_one():
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", gateway.__version__)
