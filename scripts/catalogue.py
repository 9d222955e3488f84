"""The message catalogue, in one command (`./dev catalogue`): extract every msgid from the
templates, webui/ code and the account and city-link errors of gateway/ into webui/i18n/messages.pot, bring the French .po up to date with
it (new strings arrive empty, for a translator to fill), and compile the .mo the box reads.
tests/webui/test_i18n.py fails while a msgid has no French translation or the .mo is stale.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
I18N = REPO / "webui" / "i18n"
KEYWORDS = ["-k", "N_", "-k", "translate:2", "-k", "translate_plural:2,3",
            # the library's errors a page shows in its language (gateway/said.py)
            "-k", "AccountError", "-k", "SetupClosed", "-k", "WrongSetupCode", "-k", "LinkError"]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=REPO,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def extract() -> Path:
    pot = I18N / "messages.pot"
    pybabel("extract", "-F", str(I18N / "babel.cfg"), *KEYWORDS, "--no-location",
            "--sort-output", "--omit-header", "-o", str(pot), ".")
    return pot


def main() -> int:
    pot = extract()
    po = I18N / "fr" / "LC_MESSAGES" / "messages.po"
    if po.exists():
        pybabel("update", "-i", str(pot), "-d", str(I18N), "-l", "fr", "--no-fuzzy-matching",
                "--ignore-obsolete")
    else:
        pybabel("init", "-i", str(pot), "-d", str(I18N), "-l", "fr")
    pybabel("compile", "-d", str(I18N), "-l", "fr")
    print(f"catalogue: {pot.relative_to(REPO)}, {po.relative_to(REPO)} and its .mo rebuilt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
