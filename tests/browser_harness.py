"""What every real-browser test module needs before it starts the app."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def require_browser() -> None:
    """Skip, saying why, unless Debian chromium, playwright and the offline map files are here."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright")
    from geosoc.maps.vendor import missing_files

    if missing_files():
        pytest.skip("offline map assets missing: run python -m geosoc.maps.vendor")
