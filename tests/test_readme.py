"""The README is where a newcomer starts: its two commands come first, and its layout table
names every folder of the tree, and only those."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tracked_folders() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return {f.split("/")[0] for f in files if "/" in f and not f.startswith(".")}


def _layout_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| folder | role |"):].split("\n\n")[0]
    return {name for cell in re.findall(r"^\| ([^|]+) \|", table, re.M)
            for name in re.findall(r"`([\w.-]+)/`", cell)}


def test_the_layout_table_matches_the_tree():
    assert _layout_table() == _tracked_folders()


def test_the_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == \
        ["./dev demo", "./dev test"]
