"""Reading the QR code a page shows, as a phone's camera would: a screenshot of it decoded
by zbar (Debian's zbar-tools), then the OwnTracks configuration inside the link."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

PREFIX = "owntracks:///config?inline="


async def decode_qr(page, selector: str, folder: Path) -> str:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg is not installed (./dev test installs zbar-tools)")
    png = folder / "qr.png"
    await page.locator(selector).screenshot(path=str(png))
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, f"zbar could not read the QR code: {out.stderr}"
    return out.stdout.strip()


def configuration(link: str) -> dict:
    """The OwnTracks `_type: configuration` a config link carries."""
    assert link.startswith(PREFIX), link
    inline = parse_qs(urlsplit(link).query)["inline"][0]
    return json.loads(base64.b64decode(inline))
