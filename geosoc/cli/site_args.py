"""The options every per-site command shares (``activities``, ``morile``, ``perception``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def site_options() -> argparse.ArgumentParser:
    """Return a parent parser with ``--workspace``, ``--site``, ``--user`` and ``--json``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", required=True, type=Path, help="workspace .sqlite file")
    common.add_argument("--site", required=True, help="the site's name")
    common.add_argument("--user", default=None, help="acting user (default $GEOSOC_USER)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    return common


def read_site_file(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV safely for a per-site import (every column as text)."""
    from geosoc.ingest.files import read_csv_checked

    return read_csv_checked(path, required=required)
