"""A refused ``geosoc ingest``/``profile`` answers before pandas or GDAL load."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from geosoc.cli import ingest_cmd
from geosoc.schema import AREA_KINDS

ROOT = Path(__file__).resolve().parents[1]


def _refuse(args: list[str]) -> tuple[int, list[str], str]:
    code = ("import sys; from geosoc.cli import main; rc = main(sys.argv[1:]); "
            "heavy = [m for m in ('pandas', 'geopandas', 'pyogrio', 'numpy') "
            "if m in sys.modules]; print('HEAVY=' + ','.join(heavy)); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    heavy = done.stdout.rsplit("HEAVY=", 1)[1].strip()
    return done.returncode, [h for h in heavy.split(",") if h], done.stderr


@pytest.mark.parametrize("case", ["missing", "empty", "binary", "broken gzip", "flag"])
def test_refusals_load_no_pandas(tmp_path: Path, case: str) -> None:
    path = tmp_path / "x.csv"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "binary":
        path.write_bytes(b"\x00\x01\x02" * 100)
    elif case == "broken gzip":
        path = tmp_path / "x.csv.gz"
        path.write_bytes(gzip.compress(b"Month,Longitude\n" * 1000)[:50])
    args = ["ingest", str(path), "--kind", "policeuk"]
    if case == "flag":
        path.write_text("a,b\n1,2\n")
        args = ["ingest", str(path), "--kind", "boundaries", "--lon", "a"]
    code, heavy, err = _refuse(args)
    assert code == 2 and "error:" in err and "Fix:" in err
    assert heavy == [], f"a refusal ({case}) imported {heavy}"


def test_profile_without_data_loads_no_pandas(tmp_path: Path) -> None:
    code, heavy, err = _refuse(["profile", str(tmp_path / "none"), "--out", str(tmp_path)])
    assert code == 2 and "does not exist" in err and heavy == []


def test_the_area_kinds_copy_matches_the_schema() -> None:
    assert ingest_cmd.AREA_KINDS == AREA_KINDS
