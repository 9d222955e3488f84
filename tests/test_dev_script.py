"""`./dev`'s own output: what a newcomer reads on the first run is progress and the result;
the installers' chatter (pip's index warnings, setuptools' editable banner, apt's progress)
goes to `.dev-install.log`, and is shown in full only when an installer fails."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

DEV = Path(__file__).resolve().parent.parent / "dev"


def _quietly(tmp_path, command: str) -> subprocess.CompletedProcess:
    """Run ``quietly COMMAND`` with the functions exactly as ./dev defines them."""
    text = DEV.read_text()
    functions = "\n".join(re.findall(r"^(?:say|quietly)\(\) \{.*?^\}$", text, re.M | re.S))
    assert "quietly()" in functions and "say()" in functions
    script = f'{functions}\nLOG="{tmp_path}/install.log"\nquietly {command}\necho finished\n'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)


def test_an_installer_that_succeeds_says_nothing(tmp_path):
    done = _quietly(tmp_path, "sh -c 'echo WARNING: pip index; echo banner >&2'")
    assert done.returncode == 0
    assert done.stdout == "finished\n" and done.stderr == ""
    assert (tmp_path / "install.log").read_text() == "WARNING: pip index\nbanner\n"


def test_an_installer_that_fails_shows_what_it_said(tmp_path):
    done = _quietly(tmp_path, "sh -c 'echo ERROR: no matching distribution; exit 3'")
    assert done.returncode == 1 and "finished" not in done.stdout
    assert "[dev] failed: sh -c" in done.stderr
    assert "ERROR: no matching distribution" in done.stderr


def test_every_installer_in_dev_goes_through_quietly():
    installers = [line.strip() for line in DEV.read_text().splitlines()
                  if re.search(r"\b(pip install|apt-get)\b", line)
                  and not line.lstrip().startswith("#")]
    assert installers, "./dev installs nothing?"
    assert all(line.startswith("quietly ") for line in installers), installers
