"""Asset registers shipped as ``.csv.gz`` / ``.csv.bz2`` are read as the plain CSV."""

from __future__ import annotations

import bz2
import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from geosoc.assets import read_assets

TEXT = ("Name,Type,Sector,Longitude,Latitude,Last Verified\n"
        "Hub,Youth Club,VCS,-0.09,51.515,2025-02-01\n"
        "St Bride,Church,religious,-0.105,51.514,03/04/2024\n")


@pytest.mark.parametrize(("suffix", "pack"), [(".gz", gzip.compress), (".bz2", bz2.compress)])
def test_a_compressed_register_reads(tmp_path: Path, suffix: str,
                                     pack: Callable[[bytes], bytes]) -> None:
    path = tmp_path / f"assets.csv{suffix}"
    path.write_bytes(pack(TEXT.encode()))
    assets = read_assets(path)
    assert assets["category"].tolist() == ["youth", "faith"]
